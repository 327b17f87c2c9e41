"""MEDL's query and header as Spring converts them, and the words of each rejection."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from emulator.errors import BadRequestError
from emulator.medl.parameters import PersonQuery, person_query, personident, traces, unntak_id


def message(call: Callable[..., object], *args: object) -> str:
    with pytest.raises(BadRequestError) as raised:
        call(*args)
    return raised.value.message


def test_the_missing_header_in_springs_words() -> None:
    assert message(personident, None) == (
        "Required request header 'Nav-Personident' for method parameter type String is not present"
    )


@pytest.mark.parametrize("header", ["", "123", "1234567890１"])
def test_a_malformed_header_fails_its_pattern(header: str) -> None:
    assert message(personident, header) == 'hentMedlemskapsunntakListe.Nav-Personident: must match "[0-9]{11}"'


def test_a_header_is_trimmed() -> None:
    assert personident(" 15918512397 ") == "15918512397"


def test_an_empty_query_asks_for_everything() -> None:
    assert person_query({}) == PersonQuery()


def test_a_full_query() -> None:
    query = person_query(
        {
            "fraOgMed": ["2024-01-01"],
            "tilOgMed": ["2024-12-31", "2030-01-01"],
            "statuser": ["GYLD", " AVST ,UAVK"],
            "type": ["UTEN_MEDLEMSKAP"],
            "ekskluderKilder": ["srvgosys,E500"],
            "inkluderSporingsinfo": ["yes"],
        }
    )
    assert query == PersonQuery(
        from_day=date(2024, 1, 1).toordinal(),
        to_day=date(2024, 12, 31).toordinal(),
        statuses=frozenset({"GYLD", "AVST", "UAVK"}),
        medlem=False,
        excluded_kilder=frozenset({"srvgosys", "E500"}),
        traces=True,
    )


def test_a_bad_date_names_the_parameter_and_value() -> None:
    text = message(person_query, {"fraOgMed": ["2024-1-1"]})
    assert text.startswith("Method parameter 'fraOgMed': Failed to convert value of type 'java.lang.String' to")
    assert text.endswith("for value [2024-1-1]")


def test_a_bad_boolean_in_springs_words() -> None:
    assert message(traces, {"inkluderSporingsinfo": ["kanskje"]}) == (
        "Method parameter 'inkluderSporingsinfo': Failed to convert value of type 'java.lang.String' to required "
        "type 'java.lang.Boolean'; Invalid boolean value [kanskje]"
    )


@pytest.mark.parametrize(("raw", "value"), [("2000010", 2000010), (" 12 ", 12), ("0x1F", 31), ("#10", 16), ("-3", -3)])
def test_an_id_is_read_as_a_long(raw: str, value: int) -> None:
    assert unntak_id(raw) == value


def test_a_non_integer_id_in_springs_words() -> None:
    assert message(unntak_id, "abc") == (
        "Method parameter 'unntakId': Failed to convert value of type 'java.lang.String' to required type "
        "'java.lang.Long'; For input string: \"abc\""
    )
