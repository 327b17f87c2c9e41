"""The API's semantics: paging never skips or repeats, totals count what is left, Spring-like parameters."""

from __future__ import annotations

import bisect
import functools
import random

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.errors import BadRequestError, Envelope
from emulator.eventlog.canonical import event_fragments
from emulator.eventlog.events import EventType, Group, GroupFilter, NewEvent
from emulator.eventlog.generator import Recipe, generate_columns
from emulator.eventlog.identities import synthetic_identity
from emulator.eventlog.log import EventLog, LogColumns
from emulator.eventlog.timestamps import OsloTime
from emulator.nav.feed import FeedQuery, parse_query, select_page
from emulator.nav.wire import EMPTY_PAGE, page_body
from emulator.settings import TimestampStyle

_FILTERS = [GroupFilter.ALLE, GroupFilter.EOS, GroupFilter.OEVRIGE]


@functools.cache
def _columns(seed: int, events: int) -> LogColumns:
    return generate_columns(Recipe(seed=seed, events=events))


def _log_with(seed: int, events: int, appended: list[Group]) -> tuple[EventLog, list[Group]]:
    """A generated log (its own copy) with events of the given groups appended; and every event's group."""
    columns = _columns(seed, events)
    log = EventLog(columns.copy())
    rng = random.Random(seed)
    last_ms = int(columns.created_ms[-1]) if events else 1_700_000_000_000
    log.append(
        [
            NewEvent(
                period_id=50_000_000 + index,
                personident=synthetic_identity(rng),
                group=group,
                type=EventType.OPPRETTET,
                created_ms=last_ms + index,
            )
            for index, group in enumerate(appended)
        ]
    )
    groups = [Group.EOS if code == Group.EOS.code else Group.OEVRIGE for code in columns.group.tolist()]
    return log, [*groups, *appended]


def _read(log: EventLog, query: FeedQuery) -> tuple[bytes, dict[str, object]]:
    page = select_page(log, query)
    body = page_body(event_fragments(log, page.rows, OsloTime(), TimestampStyle.OFFSET), page.total)
    parsed = orjson.loads(body)
    assert isinstance(parsed, dict)
    return body, parsed


def _walk(log: EventLog, groups: list[Group], start: int, size: int, group_filter: GroupFilter) -> None:
    """Read as consumers do, asking for last seen + 1, and check every page against the model `groups`."""
    matching = [
        number
        for number, group in enumerate(groups, start=1)
        if group_filter is GroupFilter.ALLE or group.value == group_filter.value
    ]
    expected = matching[bisect.bisect_left(matching, max(start, 1)) :]
    seen: list[int] = []
    cursor = start
    for _ in range(len(groups) + 2):
        body, page = _read(log, FeedQuery(from_number=cursor, size=size, group_filter=group_filter))
        events = page["hendelser"]
        assert isinstance(events, list)
        numbers = [event["hendelsesnummer"] for event in events]
        remaining = matching[bisect.bisect_left(matching, max(cursor, 1)) :]
        assert page["antallHendelser"] == len(events)
        assert page["totaltAntallHendelser"] == len(remaining)
        assert numbers == remaining[:size]
        if group_filter is not GroupFilter.ALLE:
            assert {event["metadata"]["hjemmelgruppe"] for event in events} <= {group_filter.value}
        if not numbers:
            assert body == EMPTY_PAGE
            break
        seen.extend(numbers)
        cursor = numbers[-1] + 1
    else:
        pytest.fail("the walk never reached an empty page")
    assert seen == expected


# -------------------------------------------------------------------------------------- the paging invariant

_logs = st.tuples(
    st.sampled_from([1, 2, 3]),
    st.sampled_from([0, 1, 37, 400]),
    st.lists(st.sampled_from([Group.EOS, Group.OEVRIGE]), max_size=60),
)


@settings(max_examples=150, deadline=None)
@given(log_spec=_logs, size=st.integers(1, 100), group_filter=st.sampled_from(_FILTERS), data=st.data())
def test_walking_from_any_start_yields_the_filtered_log_once_in_order(
    log_spec: tuple[int, int, list[Group]], size: int, group_filter: GroupFilter, data: st.DataObject
) -> None:
    seed, events, appended = log_spec
    log, groups = _log_with(seed, events, appended)
    start = data.draw(st.one_of(st.just(0), st.just(1), st.integers(0, log.head + 5)), label="start")
    _walk(log, groups, start, size, group_filter)


@pytest.mark.parametrize("group_filter", _FILTERS, ids=["alle", "eos", "oevrige"])
@pytest.mark.parametrize("size", [1, 7, 100], ids=["size-1", "size-7", "size-100"])
@pytest.mark.parametrize("start", [0, 1], ids=["from-0", "from-1"])
def test_walking_a_whole_generated_log(group_filter: GroupFilter, size: int, start: int) -> None:
    log, groups = _log_with(4, 1500, [Group.OEVRIGE, Group.EOS])
    _walk(log, groups, start, size, group_filter)


def test_hendelsesnummer_0_reads_like_1() -> None:
    log, _ = _log_with(1, 400, [])
    for group_filter in _FILTERS:
        from_zero = _read(log, FeedQuery(from_number=0, size=13, group_filter=group_filter))
        from_one = _read(log, FeedQuery(from_number=1, size=13, group_filter=group_filter))
        assert from_zero == from_one


@pytest.mark.parametrize(
    "from_number", [401, 402, 10**6, 2**63 - 1], ids=["head-plus-one", "head-plus-two", "far", "int64-max"]
)
@pytest.mark.parametrize("group_filter", _FILTERS, ids=["alle", "eos", "oevrige"])
def test_past_the_head_the_page_is_empty_with_total_zero(from_number: int, group_filter: GroupFilter) -> None:
    log, _ = _log_with(1, 400, [])
    body, page = _read(log, FeedQuery(from_number=from_number, size=100, group_filter=group_filter))
    assert page == {"antallHendelser": 0, "hendelser": [], "totaltAntallHendelser": 0}
    assert body == EMPTY_PAGE


def test_the_head_itself_is_the_last_event_read() -> None:
    log, _ = _log_with(1, 400, [])
    _, page = _read(log, FeedQuery(from_number=400, size=100))
    assert page["antallHendelser"] == 1
    assert page["totaltAntallHendelser"] == 1


def test_an_empty_log_has_nothing_from_anywhere() -> None:
    log = EventLog()
    for from_number in (0, 1, 5):
        page = select_page(log, FeedQuery(from_number=from_number))
        assert page.total == 0
        assert event_fragments(log, page.rows, OsloTime(), TimestampStyle.OFFSET) == []


def test_reads_are_repeatable() -> None:
    log, _ = _log_with(2, 400, [])
    query = FeedQuery(from_number=17, size=50, group_filter=GroupFilter.EOS)
    assert _read(log, query) == _read(log, query)


def test_a_page_sees_events_appended_after_an_earlier_read() -> None:
    log, _ = _log_with(2, 37, [])
    _, before = _read(log, FeedQuery(from_number=38))
    assert before["totaltAntallHendelser"] == 0
    log.append(
        [NewEvent(1, "15918512397", Group.EOS, EventType.OPPRETTET, 1_900_000_000_000)],
    )
    _, after = _read(log, FeedQuery(from_number=38))
    assert after["antallHendelser"] == after["totaltAntallHendelser"] == 1


# ----------------------------------------------------------------------------------------------- parse_query


def _parse(pairs: list[tuple[str, str]]) -> FeedQuery:
    def first_value(name: str) -> str | None:
        return next((value for key, value in pairs if key == name), None)

    return parse_query(first_value)


_LONG = "Method parameter 'hendelsesnummer': Failed to convert value of type 'java.lang.String' to required type 'java.lang.Long'; For input string: "  # noqa: E501
_INTEGER = "Method parameter 'antallHendelser': Failed to convert value of type 'java.lang.String' to required type 'java.lang.Integer'; For input string: "  # noqa: E501
_ENUM = "Method parameter 'hjemmelgruppe': Failed to convert value of type 'java.lang.String' to required type 'Hjemmelgruppe'; No enum constant Hjemmelgruppe."  # noqa: E501


@pytest.mark.parametrize(
    ("pairs", "message"),
    [
        ([], "Required request parameter 'hendelsesnummer' for method parameter type Long is not present"),
        (
            [("antallHendelser", "5"), ("hjemmelgruppe", "EOS")],
            "Required request parameter 'hendelsesnummer' for method parameter type Long is not present",
        ),
        (
            [("hendelsesnummer", "")],
            "Required request parameter 'hendelsesnummer' for method parameter type Long is present but converted to null",  # noqa: E501
        ),
        ([("hendelsesnummer", "abc")], _LONG + '"abc"'),
        ([("hendelsesnummer", "1.5")], _LONG + '"1.5"'),
        ([("hendelsesnummer", "1e3")], _LONG + '"1e3"'),
        ([("hendelsesnummer", "1_000")], _LONG + '"1_000"'),
        ([("hendelsesnummer", "--1")], _LONG + '"--1"'),
        ([("hendelsesnummer", "+0x10")], _LONG + '"+0x10"'),
        ([("hendelsesnummer", "0x")], _LONG + '"0x"'),
        ([("hendelsesnummer", "0xG")], _LONG + '"0xG"'),
        ([("hendelsesnummer", '"1"')], _LONG + '"\\"1\\""'),
        ([("hendelsesnummer", "9223372036854775808")], _LONG + '"9223372036854775808"'),
        ([("hendelsesnummer", "-9223372036854775809")], _LONG + '"-9223372036854775809"'),
        ([("hendelsesnummer", "0x8000000000000000")], _LONG + '"0x8000000000000000"'),
        (
            [("hendelsesnummer", "-1")],
            "hentTrygdehendelser.hendelsesnummer: must be greater than or equal to 0",
        ),
        (
            [("hendelsesnummer", "-9223372036854775808")],
            "hentTrygdehendelser.hendelsesnummer: must be greater than or equal to 0",
        ),
        ([("hendelsesnummer", "1"), ("antallHendelser", "x")], _INTEGER + '"x"'),
        ([("hendelsesnummer", "1"), ("antallHendelser", "1.5")], _INTEGER + '"1.5"'),
        ([("hendelsesnummer", "1"), ("antallHendelser", "2147483648")], _INTEGER + '"2147483648"'),
        ([("hendelsesnummer", "1"), ("antallHendelser", "-2147483649")], _INTEGER + '"-2147483649"'),
        (
            [("hendelsesnummer", "1"), ("antallHendelser", "0")],
            "hentTrygdehendelser.antallHendelser: must be greater than or equal to 1",
        ),
        (
            [("hendelsesnummer", "1"), ("antallHendelser", "-5")],
            "hentTrygdehendelser.antallHendelser: must be greater than or equal to 1",
        ),
        (
            [("hendelsesnummer", "1"), ("antallHendelser", "101")],
            "hentTrygdehendelser.antallHendelser: must be less than or equal to 100",
        ),
        (
            [("hendelsesnummer", "1"), ("antallHendelser", "2147483647")],
            "hentTrygdehendelser.antallHendelser: must be less than or equal to 100",
        ),
        (
            [("hendelsesnummer", "1"), ("hjemmelgruppe", "eos")],
            _ENUM + "eos (accepted values: EOS, OEVRIGE, ALLE)",
        ),
        (
            [("hendelsesnummer", "1"), ("hjemmelgruppe", "Alle")],
            _ENUM + "Alle (accepted values: EOS, OEVRIGE, ALLE)",
        ),
        (
            [("hendelsesnummer", "1"), ("hjemmelgruppe", "EØS")],
            _ENUM + "EØS (accepted values: EOS, OEVRIGE, ALLE)",
        ),
        (
            [("hendelsesnummer", "1"), ("hjemmelgruppe", "E OS")],
            _ENUM + "E OS (accepted values: EOS, OEVRIGE, ALLE)",
        ),
    ],
    ids=[
        "missing",
        "missing-among-others",
        "empty-required",
        "letters",
        "float",
        "exponent",
        "underscore",
        "double-minus",
        "plus-hex",
        "hex-without-digits",
        "hex-bad-digit",
        "quoted",
        "int64-overflow",
        "int64-underflow",
        "hex-int64-overflow",
        "negative",
        "int64-min",
        "size-letters",
        "size-float",
        "size-int32-overflow",
        "size-int32-underflow",
        "size-zero",
        "size-negative",
        "size-101",
        "size-int32-max",
        "group-lowercase",
        "group-mixed-case",
        "group-non-ascii",
        "group-inner-space",
    ],
)
def test_parse_query_rejects_with_a_message_naming_the_parameter(pairs: list[tuple[str, str]], message: str) -> None:
    with pytest.raises(BadRequestError) as caught:
        _parse(pairs)
    assert caught.value.message == message
    assert caught.value.status == 400
    assert caught.value.envelope is Envelope.SPRING
    # Exactly one parameter is named, so a consumer can tell which one to fix.
    assert sum(name in message for name in ("hendelsesnummer", "antallHendelser", "hjemmelgruppe")) == 1


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        ([("hendelsesnummer", "1")], FeedQuery(1, 100, GroupFilter.ALLE)),
        ([("hendelsesnummer", "0")], FeedQuery(0, 100, GroupFilter.ALLE)),
        ([("hendelsesnummer", "9223372036854775807")], FeedQuery(2**63 - 1)),
        ([("hendelsesnummer", " 42 ")], FeedQuery(42)),
        ([("hendelsesnummer", "\t42\n")], FeedQuery(42)),
        ([("hendelsesnummer", "4 2")], FeedQuery(42)),
        ([("hendelsesnummer", "+5")], FeedQuery(5)),
        ([("hendelsesnummer", "-0")], FeedQuery(0)),
        ([("hendelsesnummer", "007")], FeedQuery(7)),
        ([("hendelsesnummer", "0x10")], FeedQuery(16)),
        ([("hendelsesnummer", "0X1f")], FeedQuery(31)),
        ([("hendelsesnummer", "#10")], FeedQuery(16)),
        ([("hendelsesnummer", "-0x0")], FeedQuery(0)),
        ([("hendelsesnummer", "0x7fffffffffffffff")], FeedQuery(2**63 - 1)),
        ([("hendelsesnummer", "1"), ("antallHendelser", "1")], FeedQuery(1, 1)),
        ([("hendelsesnummer", "1"), ("antallHendelser", "100")], FeedQuery(1, 100)),
        ([("hendelsesnummer", "1"), ("antallHendelser", " 50 ")], FeedQuery(1, 50)),
        ([("hendelsesnummer", "1"), ("antallHendelser", "0x64")], FeedQuery(1, 100)),
        ([("hendelsesnummer", "1"), ("antallHendelser", "")], FeedQuery(1, 100)),
        ([("hendelsesnummer", "1"), ("hjemmelgruppe", "EOS")], FeedQuery(1, 100, GroupFilter.EOS)),
        ([("hendelsesnummer", "1"), ("hjemmelgruppe", "OEVRIGE")], FeedQuery(1, 100, GroupFilter.OEVRIGE)),
        ([("hendelsesnummer", "1"), ("hjemmelgruppe", "ALLE")], FeedQuery(1, 100, GroupFilter.ALLE)),
        ([("hendelsesnummer", "1"), ("hjemmelgruppe", " EOS ")], FeedQuery(1, 100, GroupFilter.EOS)),
        (
            [("hendelsesnummer", "1"), ("hjemmelgruppe", "\tOEVRIGE\n")],
            FeedQuery(1, 100, GroupFilter.OEVRIGE),
        ),
        ([("hendelsesnummer", "1"), ("hjemmelgruppe", "")], FeedQuery(1, 100, GroupFilter.ALLE)),
        ([("hendelsesnummer", "1"), ("hjemmelgruppe", "   ")], FeedQuery(1, 100, GroupFilter.ALLE)),
        ([("hendelsesnummer", "5"), ("hendelsesnummer", "abc")], FeedQuery(5)),
        (
            [("hjemmelgruppe", "EOS"), ("hendelsesnummer", "3"), ("hjemmelgruppe", "nope")],
            FeedQuery(3, 100, GroupFilter.EOS),
        ),
        ([("hendelsesnummer", "1"), ("antallHendelser", "7"), ("antallHendelser", "0")], FeedQuery(1, 7)),
        ([("hendelsesnummer", "1"), ("ukjent", "x"), ("HENDELSESNUMMER", "y")], FeedQuery(1)),
    ],
    ids=[
        "defaults",
        "zero",
        "int64-max",
        "spaces-trimmed",
        "tab-newline-trimmed",
        "inner-space-removed",
        "plus-sign",
        "minus-zero",
        "leading-zeros-are-decimal",
        "hex",
        "hex-upper-x",
        "hash-hex",
        "negative-hex-zero",
        "hex-int64-max",
        "size-1",
        "size-100",
        "size-trimmed",
        "size-hex",
        "size-empty-is-default",
        "eos",
        "oevrige",
        "alle",
        "group-trimmed",
        "group-tab-newline-trimmed",
        "group-empty-is-alle",
        "group-blank-is-alle",
        "first-of-repeated",
        "first-group-of-repeated",
        "first-size-of-repeated",
        "unknown-names-ignored",
    ],
)
def test_parse_query_accepts_what_spring_accepts(pairs: list[tuple[str, str]], expected: FeedQuery) -> None:
    assert _parse(pairs) == expected


def test_the_first_value_decides_even_when_a_later_one_is_valid() -> None:
    with pytest.raises(BadRequestError, match="'hendelsesnummer'"):
        _parse([("hendelsesnummer", "abc"), ("hendelsesnummer", "5")])


@pytest.mark.parametrize(
    ("pairs", "named"),
    [
        ([("antallHendelser", "x")], "Required request parameter 'hendelsesnummer'"),
        ([("hendelsesnummer", "x"), ("antallHendelser", "y")], "'hendelsesnummer'"),
        ([("hendelsesnummer", "-1"), ("antallHendelser", "y")], "'antallHendelser'"),
        ([("hendelsesnummer", "-1"), ("hjemmelgruppe", "x")], "'hjemmelgruppe'"),
        ([("hendelsesnummer", "1"), ("antallHendelser", "0"), ("hjemmelgruppe", "x")], "'hjemmelgruppe'"),
    ],
    ids=[
        "missing-before-bad-size",
        "in-parameter-order",
        "conversion-before-range-check",
        "group-conversion-before-range-check",
        "group-conversion-before-size-range-check",
    ],
)
def test_conversion_errors_come_first_in_parameter_order(pairs: list[tuple[str, str]], named: str) -> None:
    with pytest.raises(BadRequestError) as caught:
        _parse(pairs)
    assert named in caught.value.message


def test_parse_query_asks_only_for_its_three_parameters() -> None:
    asked: list[str] = []

    def first_value(name: str) -> str | None:
        asked.append(name)
        return "1" if name == "hendelsesnummer" else None

    parse_query(first_value)
    assert sorted(asked) == ["antallHendelser", "hendelsesnummer", "hjemmelgruppe"]


def test_a_number_with_thousands_of_digits_is_out_of_range_not_a_crash() -> None:
    digits = "9" * 5_000
    with pytest.raises(BadRequestError) as caught:
        _parse([("hendelsesnummer", digits)])
    assert caught.value.message == _LONG + f'"{digits}"'
    with pytest.raises(BadRequestError, match="'antallHendelser'"):
        _parse([("hendelsesnummer", "1"), ("antallHendelser", "1" * 5_000)])


def test_thousands_of_leading_zeros_are_read_as_java_reads_them() -> None:
    assert _parse([("hendelsesnummer", "0" * 5_000 + "42")]) == FeedQuery(42)
    assert _parse([("hendelsesnummer", "-" + "0" * 5_000)]) == FeedQuery(0)
    # Arabic-Indic zeros are zeros to Long.valueOf too.
    assert _parse([("hendelsesnummer", "\u0660" * 5_000 + "7"), ("antallHendelser", "0" * 30 + "5")]) == FeedQuery(7, 5)
    with pytest.raises(BadRequestError, match="must be greater than or equal to 0"):
        _parse([("hendelsesnummer", "-" + "0" * 30 + "1")])
