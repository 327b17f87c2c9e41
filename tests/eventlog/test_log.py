"""The event log: rows per group, appends, lookups by number and truncation back to an earlier state."""

from __future__ import annotations

import functools
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.eventlog.events import Event, EventType, Group, NewEvent
from emulator.eventlog.generator import Recipe, generate_columns
from emulator.eventlog.identities import synthetic_identity
from emulator.eventlog.log import EventLog, LogColumns, Rows

_GROUP_OPTIONS = [None, Group.EOS, Group.OEVRIGE]
_GROUP_IDS = ["alle", "eos", "oevrige"]


@functools.cache
def _seed_columns() -> LogColumns:
    return generate_columns(Recipe(seed=17, events=600))


def _fresh_log() -> EventLog:
    """A log of its own (the columns copied), so tests that append or truncate share nothing."""
    columns = _seed_columns()
    return EventLog(columns.copy())


def _new_events(count: int, seed: int, groups: list[Group] | None = None) -> list[NewEvent]:
    rng = random.Random(seed)
    return [
        NewEvent(
            period_id=9_000_000 + index,
            personident=synthetic_identity(rng),
            group=groups[index] if groups else rng.choice([Group.EOS, Group.OEVRIGE]),
            type=EventType.OPPRETTET,
            created_ms=1_800_000_000_000 + index,
        )
        for index in range(count)
    ]


def _as_list(rows: Rows | slice) -> list[int]:
    if isinstance(rows, slice):
        return list(range(rows.start, rows.stop))
    return [int(row) for row in rows.tolist()]


def _naive_rows(log: EventLog, first_row: int, group: Group | None) -> list[int]:
    return [row for row in range(first_row, len(log)) if group is None or log.event(row + 1).group is group]


def _snapshot(log: EventLog) -> tuple[object, ...]:
    return (
        log.head,
        len(log.idents),
        [log.event(number) for number in range(1, log.head + 1)],
        log.period_id.values.tolist(),
        log.person.values.tolist(),
        log.group.values.tolist(),
        log.kind.values.tolist(),
        log.created_ms.values.tolist(),
        log.idents.values.tolist(),
        [_as_list(log.rows_from(0, 10**9, group)[0]) for group in _GROUP_OPTIONS],
        [log.count(group) for group in _GROUP_OPTIONS],
    )


# ------------------------------------------------------------------------------------------------ rows_from


@pytest.mark.parametrize("group", _GROUP_OPTIONS, ids=_GROUP_IDS)
@pytest.mark.parametrize(
    ("first_row", "limit"),
    [(0, 10), (0, 1), (250, 100), (590, 100), (599, 5), (600, 10), (601, 10), (10**12, 100), (0, 10_000)],
    ids=[
        "start",
        "start-one",
        "middle",
        "near-the-end",
        "last-row",
        "at-head",
        "past-head",
        "far-past-head",
        "everything",
    ],
)
def test_rows_from_matches_a_naive_filter(first_row: int, limit: int, group: Group | None) -> None:
    log = _fresh_log()
    rows, total = log.rows_from(first_row, limit, group)
    expected = _naive_rows(log, min(first_row, len(log)), group)
    assert _as_list(rows) == expected[:limit]
    assert total == len(expected)


def test_rows_from_without_a_group_is_a_slice_of_the_whole_log() -> None:
    rows, total = _fresh_log().rows_from(100, 25, None)
    assert rows == slice(100, 125)
    assert total == 500


def test_rows_from_past_the_head_is_empty_with_total_zero() -> None:
    log = _fresh_log()
    for group in _GROUP_OPTIONS:
        rows, total = log.rows_from(log.head + 3, 100, group)
        assert _as_list(rows) == []
        assert total == 0


def test_group_counts_add_up_to_the_log() -> None:
    log = _fresh_log()
    assert log.count(None) == len(log) == 600
    assert log.count(Group.EOS) + log.count(Group.OEVRIGE) == 600
    assert log.count(Group.EOS) == int(np.count_nonzero(log.group.values == Group.EOS.code))


def test_an_empty_log_has_head_zero_and_no_rows() -> None:
    log = EventLog()
    assert log.head == len(log) == 0
    for group in _GROUP_OPTIONS:
        rows, total = log.rows_from(0, 100, group)
        assert (_as_list(rows), total, log.count(group)) == ([], 0, 0)


# ------------------------------------------------------------------------------------------------- event()


def test_event_reads_the_generated_columns() -> None:
    log = _fresh_log()
    columns = _seed_columns()
    for number in (1, 2, 300, 600):
        event = log.event(number)
        row = number - 1
        assert event.number == number
        assert event.period_id == int(columns.period_id[row])
        assert event.personident == columns.idents[columns.person[row]].decode("ascii")
        assert event.group.code == int(columns.group[row])
        assert event.type.code == int(columns.kind[row])
        assert event.created_ms == int(columns.created_ms[row])


@pytest.mark.parametrize("number", [0, -1, 601, 10**9], ids=["zero", "negative", "head-plus-one", "far"])
def test_event_rejects_numbers_outside_the_log(number: int) -> None:
    with pytest.raises(IndexError, match=f"no event number {number}; the head is 600"):
        _fresh_log().event(number)


# --------------------------------------------------------------------------------------------------- append


def test_append_assigns_consecutive_numbers_after_the_head() -> None:
    log = _fresh_log()
    assert log.append(_new_events(3, seed=1)) == range(601, 604)
    assert log.append(_new_events(2, seed=2)) == range(604, 606)
    assert log.head == len(log) == 605


def test_append_of_nothing_changes_nothing() -> None:
    log = _fresh_log()
    before = _snapshot(log)
    assert log.append([]) == range(601, 601)
    assert _snapshot(log) == before


def test_appended_events_round_trip_through_event() -> None:
    log = EventLog()
    new = _new_events(5, seed=3)
    numbers = log.append(new)
    for number, event in zip(numbers, new, strict=True):
        assert log.event(number) == Event(
            number=number,
            period_id=event.period_id,
            personident=event.personident,
            group=event.group,
            type=event.type,
            created_ms=event.created_ms,
        )


def test_append_updates_the_group_indexes() -> None:
    log = _fresh_log()
    eos, oevrige = log.count(Group.EOS), log.count(Group.OEVRIGE)
    groups = [Group.OEVRIGE, Group.EOS, Group.OEVRIGE, Group.OEVRIGE]
    log.append(_new_events(4, seed=4, groups=groups))
    assert (log.count(Group.EOS), log.count(Group.OEVRIGE)) == (eos + 1, oevrige + 3)
    assert _as_list(log.rows_from(600, 100, Group.EOS)[0]) == [601]
    assert _as_list(log.rows_from(600, 100, Group.OEVRIGE)[0]) == [600, 602, 603]
    assert _as_list(log.rows_from(601, 100, Group.OEVRIGE)[0]) == [602, 603]


def test_append_grows_past_the_initial_capacity() -> None:
    log = EventLog()
    for batch in range(5):
        log.append(_new_events(500, seed=batch))
    assert log.head == 2500
    assert log.event(2500).period_id == 9_000_499
    assert _as_list(log.rows_from(0, 10**6, None)[0]) == list(range(2500))


def test_earlier_events_never_change_when_more_are_appended() -> None:
    log = _fresh_log()
    before = [log.event(number) for number in range(1, 601)]
    log.append(_new_events(2000, seed=5))
    assert [log.event(number) for number in range(1, 601)] == before


def test_an_append_that_fails_leaves_the_log_as_it_was() -> None:
    log = _fresh_log()
    before = _snapshot(log)
    too_late = NewEvent(
        period_id=1, personident="15918512397", group=Group.EOS, type=EventType.OPPRETTET, created_ms=2**63
    )
    with pytest.raises((OverflowError, ValueError)):
        log.append([too_late])
    assert _snapshot(log) == before
    # The next append must land where it belongs, with its own values.
    good = _new_events(1, seed=6)[0]
    (number,) = log.append([good])
    assert log.event(number).period_id == good.period_id


@pytest.mark.parametrize(
    "personident",
    ["1591851239", "159185123970", "", "1591851239ø"],
    ids=["ten-characters", "twelve-characters", "empty", "non-ascii"],
)
def test_an_append_with_a_malformed_personident_is_refused_whole(personident: str) -> None:
    log = _fresh_log()
    before = _snapshot(log)
    good, bad = _new_events(2, seed=11)
    bad = NewEvent(bad.period_id, personident, bad.group, bad.type, bad.created_ms)
    with pytest.raises(ValueError):  # noqa: PT011 - the point is that nothing is written, whatever the wording
        log.append([good, bad])
    assert _snapshot(log) == before


# ------------------------------------------------------------------------------------------------- truncate


def test_truncate_restores_an_earlier_state() -> None:
    log = _fresh_log()
    log.append(_new_events(30, seed=7))
    head, persons = log.head, len(log.idents)
    earlier = _snapshot(log)
    log.append(_new_events(1500, seed=8))
    log.truncate(head, persons)
    assert _snapshot(log) == earlier


def test_truncate_back_to_the_generated_log_and_append_again() -> None:
    log = _fresh_log()
    seeded = _snapshot(log)
    log.append(_new_events(40, seed=9))
    log.truncate(600, len(_seed_columns().idents))
    assert _snapshot(log) == seeded
    again = _new_events(3, seed=10, groups=[Group.EOS, Group.EOS, Group.OEVRIGE])
    assert log.append(again) == range(601, 604)
    assert [log.event(number).period_id for number in range(601, 604)] == [9_000_000, 9_000_001, 9_000_002]
    assert _as_list(log.rows_from(600, 10, Group.EOS)[0]) == [600, 601]
    assert _as_list(log.rows_from(600, 10, Group.OEVRIGE)[0]) == [602]


def test_truncate_into_the_generated_rows() -> None:
    log = _fresh_log()
    log.truncate(100, len(log.idents))
    assert log.head == 100
    assert log.count(Group.EOS) + log.count(Group.OEVRIGE) == 100
    for group in _GROUP_OPTIONS:
        rows, total = log.rows_from(0, 1000, group)
        assert _as_list(rows) == _naive_rows(log, 0, group)
        assert total == len(_as_list(rows))


# --------------------------------------------------------------------------------------------- invariants

_batches = st.lists(
    st.lists(st.sampled_from([Group.EOS, Group.OEVRIGE]), min_size=0, max_size=40), min_size=1, max_size=6
)


@settings(max_examples=60, deadline=None)
@given(
    batches=_batches,
    start_empty=st.booleans(),
    first_row=st.integers(0, 900),
    limit=st.integers(0, 150),
    group=st.sampled_from(_GROUP_OPTIONS),
)
def test_random_appends_then_rows_from_equals_a_naive_filter(
    batches: list[list[Group]], start_empty: bool, first_row: int, limit: int, group: Group | None
) -> None:
    log = EventLog() if start_empty else _fresh_log()
    expected_groups = [log.event(number).group for number in range(1, log.head + 1)]
    for index, groups in enumerate(batches):
        numbers = log.append(_new_events(len(groups), seed=index, groups=groups))
        assert numbers.start == len(expected_groups) + 1
        expected_groups.extend(groups)
    assert log.head == len(expected_groups)
    matching = [
        row
        for row, row_group in enumerate(expected_groups)
        if row >= first_row and (group is None or row_group is group)
    ]
    rows, total = log.rows_from(first_row, limit, group)
    assert _as_list(rows) == matching[:limit]
    assert total == len(matching)


def test_a_reader_in_the_middle_of_an_append_sees_the_log_as_it_was_before(monkeypatch: pytest.MonkeyPatch) -> None:
    # The server appends on a worker thread while the feed reads: what a reader sees at any moment must be a
    # whole state, the rows of each group below the head included.
    log = _fresh_log()
    head = log.head
    before = {group: log.rows_from(0, 10**9, group) for group in _GROUP_OPTIONS}
    seen: list[bool] = []
    group_column_extend = log.group.extend

    def read_then_extend(values: object) -> None:
        # The moment before the head moves: every other column, and each group's rows, already hold the batch.
        for group in _GROUP_OPTIONS:
            rows, total = log.rows_from(0, 10**9, group)
            expected_rows, expected_total = before[group]
            assert total == expected_total == log.count(group)
            assert np.array_equal(np.arange(head)[rows], np.arange(head)[expected_rows])
        assert log.head == head
        seen.append(True)
        group_column_extend(values)  # type: ignore[arg-type]

    monkeypatch.setattr(log.group, "extend", read_then_extend)
    log.append(_new_events(50, seed=5))
    assert seen == [True]
    assert log.head == head + 50
    assert sum(log.count(group) for group in (Group.EOS, Group.OEVRIGE)) == log.head
