"""MEDL's two operations: one period by id, a person's periods by header, and their Spring-style errors."""

from __future__ import annotations

import orjson
import pytest

from emulator.errors import BadRequestError, Envelope, SpringNotFoundError
from emulator.eventlog.appends import EventDraft
from emulator.eventlog.events import EventType, Group
from emulator.medl import PERSON_HEADER, Register
from tests.medl.world import NON_NULL, World


@pytest.fixture(scope="module")
def world() -> World:
    return World.generated(42, 2_000)


def a_person_with_periods(world: World, count: int) -> str:
    for number in range(1, world.log.head + 1):
        ident = world.log.event(number).personident
        if len(world.of_person(ident)) >= count:
            return ident
    raise AssertionError("no such person")


def test_one_period_by_its_periode_id(world: World) -> None:
    event = world.log.event(1)
    answer = world.one(event.period_id, traces=False)
    assert answer["unntakId"] == event.period_id
    assert answer["ident"] == event.personident
    assert "sporingsinformasjon" not in answer
    assert all(answer[name] is not None for name in NON_NULL)


def test_fields_come_in_the_order_consumers_list_them(world: World) -> None:
    answer = world.one(world.log.event(1).period_id)
    order = ["unntakId", "ident", "fraOgMed", "tilOgMed", "status", "statusaarsak", "dekning", "helsedel", "medlem",
             "lovvalgsland", "lovvalg", "grunnlag", "sporingsinformasjon", "studieinformasjon"]  # fmt: skip
    assert list(answer) == [name for name in order if name in answer]
    assert list(answer["sporingsinformasjon"])[:2] == ["versjon", "registrert"]


def test_sporingsinformasjon_only_when_asked_for(world: World) -> None:
    period_id = str(world.log.event(1).period_id)
    for value, present in [("true", True), ("TRUE", True), ("on", True), ("false", False), ("", False)]:
        answer = orjson.loads(world.register.one(period_id, {"inkluderSporingsinfo": [value]}))
        assert ("sporingsinformasjon" in answer) is present, value


@pytest.mark.parametrize("unntak_id", ["0", "1", "-5", "1999999", "9223372036854775807"])
def test_an_unknown_id_is_a_spring_404(world: World, unntak_id: str) -> None:
    with pytest.raises(SpringNotFoundError) as raised:
        world.register.one(unntak_id, {})
    assert raised.value.status == 404
    assert raised.value.envelope is Envelope.SPRING


@pytest.mark.parametrize("unntak_id", ["abc", "1.5", "", "9223372036854775808", "12x"])
def test_an_id_that_is_not_an_integer_is_a_400_naming_it(world: World, unntak_id: str) -> None:
    with pytest.raises(BadRequestError, match="'unntakId'"):
        world.register.one(unntak_id, {})


def test_an_id_is_read_as_spring_reads_a_long(world: World) -> None:
    period_id = world.log.event(1).period_id
    assert world.register.one(f" {period_id} ", {}) == world.register.one(hex(period_id), {})


def test_a_persons_periods_are_those_their_opprettet_named(world: World) -> None:
    ident = a_person_with_periods(world, 2)
    listed = world.of_person(ident)
    expected = sorted(
        {world.log.event(n).period_id for n in range(1, world.log.head + 1)
         if world.log.event(n).personident == ident and world.log.event(n).type is EventType.OPPRETTET}
    )  # fmt: skip
    assert [entry["unntakId"] for entry in listed] == expected
    assert all(entry["ident"] == ident for entry in listed)


def test_a_person_without_periods_gets_an_empty_array(world: World) -> None:
    assert world.register.of_person("01818012345", {}) == b"[]"


@pytest.mark.parametrize("header", [None, "", "   "])
def test_a_missing_personident_is_a_400_naming_the_header(world: World, header: str | None) -> None:
    with pytest.raises(BadRequestError, match=PERSON_HEADER):
        world.register.of_person(header, {})


@pytest.mark.parametrize("header", ["1234567890", "123456789012", "1234567890a", "12345 67890"])
def test_a_malformed_personident_is_a_400_naming_the_header(world: World, header: str) -> None:
    with pytest.raises(BadRequestError, match=PERSON_HEADER):
        world.register.of_person(header, {})


def test_the_query_filters_by_overlap_status_type_and_source(world: World) -> None:
    ident = a_person_with_periods(world, 3)
    every = world.of_person(ident, inkluderSporingsinfo=["true"])
    first = every[0]
    overlapping = world.of_person(ident, fraOgMed=[first["tilOgMed"]], tilOgMed=[first["tilOgMed"]])
    assert first["unntakId"] in [entry["unntakId"] for entry in overlapping]
    assert all(entry["fraOgMed"] <= first["tilOgMed"] <= entry["tilOgMed"] for entry in overlapping)
    status = first["status"]
    assert world.of_person(ident, statuser=[status]) == [
        {k: v for k, v in entry.items() if k != "sporingsinformasjon"} for entry in every if entry["status"] == status
    ]
    both = world.of_person(ident, statuser=["GYLD,AVST", "UAVK"])
    assert len(both) == len(every)
    members = world.of_person(ident, type=["MED_MEDLEMSKAP"])
    others = world.of_person(ident, type=["UTEN_MEDLEMSKAP"])
    assert all(entry["medlem"] for entry in members)
    assert not any(entry["medlem"] for entry in others)
    assert len(members) + len(others) == len(every)
    kilde = first["sporingsinformasjon"]["kilde"]
    without = world.of_person(ident, ekskluderKilder=[kilde])
    assert len(without) == len([entry for entry in every if entry["sporingsinformasjon"]["kilde"] != kilde])


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ({"fraOgMed": ["2024-13-01"]}, "'fraOgMed'"),
        ({"tilOgMed": ["01.02.2024"]}, "'tilOgMed'"),
        ({"statuser": ["GYLD", "KLAR"]}, "'statuser'"),
        ({"type": ["MEDLEM"]}, "'type'"),
        ({"inkluderSporingsinfo": ["ja"]}, "'inkluderSporingsinfo'"),
    ],
)
def test_a_bad_query_is_a_400_naming_the_parameter(world: World, query: dict[str, list[str]], parameter: str) -> None:
    with pytest.raises(BadRequestError, match=parameter):
        world.register.of_person(world.log.event(1).personident, query)


def test_empty_values_count_as_absent(world: World) -> None:
    ident = world.log.event(1).personident
    empty = {name: [""] for name in ("fraOgMed", "tilOgMed", "statuser", "type", "ekskluderKilder")}
    assert world.register.of_person(ident, empty) == world.register.of_person(ident, {})


def test_an_annulled_period_is_avst_feilregistrert() -> None:
    world = World.generated(5, 300)
    period_id = world.log.event(world.log.head).period_id
    world.append([EventDraft(EventType.OPPRETTET, personident="15918512397", group=Group.OEVRIGE)])
    created = world.log.event(world.log.head).period_id
    world.append([EventDraft(EventType.ANNULLERT, period_id=created)])
    answer = world.one(created)
    assert (answer["status"], answer["statusaarsak"]) == ("AVST", "Feilregistrert")
    assert answer["sporingsinformasjon"]["versjon"] == 0
    assert world.one(period_id)  # the others are untouched


def test_a_register_makes_its_own_period_index_when_not_given_one(world: World) -> None:
    own = Register(world.log, world.seed)
    period_id = str(world.log.event(7).period_id)
    assert own.one(period_id, {}) == world.register.one(period_id, {})


def test_warm_builds_both_indexes_before_the_first_look_up() -> None:
    world = World.generated(3, 500)
    assert world.register.nbytes == 0
    world.register.warm()
    assert world.register.nbytes > 0
