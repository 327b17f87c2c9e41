"""The request journal: bounded memory, counted eviction, filters, paging by a sequence that outlives it."""

from __future__ import annotations

import pytest

from emulator.harness.journal import MAX_QUERY_CHARS, Journal, JournalEntry


def _record(journal: Journal, at_ms: int, *, consumer: str | None = "client:a", status: int = 200) -> JournalEntry:
    sequence = journal.record(
        at_ms=at_ms,
        method="GET",
        path="/helse/v1/trygdehendelser/hendelser",
        query=f"hendelsesnummer={at_ms}",
        status=status,
        seconds=0.0015,
        consumer=consumer,
    )
    (entry,) = journal.entries(after=sequence - 1, limit=1)
    return entry


@pytest.mark.parametrize("capacity", [0, -1, True], ids=["zero", "negative", "bool"])
def test_capacity_below_one_is_rejected(capacity: int) -> None:
    with pytest.raises(ValueError, match="capacity"):
        Journal(capacity)


@pytest.mark.parametrize("capacity", [1, 3, 50], ids=["one", "three", "fifty"])
def test_memory_stays_bounded_and_eviction_is_counted(capacity: int) -> None:
    journal = Journal(capacity)
    for at_ms in range(10 * capacity):
        _record(journal, at_ms)
    assert len(journal) == capacity
    assert journal.capacity == capacity
    assert journal.evicted == 9 * capacity
    kept = journal.entries(limit=capacity)
    assert [entry.sequence for entry in kept] == list(range(9 * capacity + 1, 10 * capacity + 1))


def test_nothing_is_evicted_below_capacity() -> None:
    journal = Journal(5)
    for at_ms in range(5):
        _record(journal, at_ms)
    assert (len(journal), journal.evicted) == (5, 0)


def test_an_entry_keeps_what_the_caller_gave() -> None:
    journal = Journal(4)
    sequence = journal.record(
        at_ms=1_700_000_000_123,
        method="GET",
        path="/helse/v1/trygdehendelser/hendelser",
        query="hendelsesnummer=1&subscription-key=REDACTED",
        status=429,
        seconds=0.00025,
        consumer="key:1",
        fault="f-7",
        call_id="kall-1",
        consumer_id="min-app",
    )
    (entry,) = journal.entries()
    assert entry.sequence == sequence
    assert entry.as_dict() == {
        "sequence": 1,
        "at_ms": 1_700_000_000_123,
        "method": "GET",
        "path": "/helse/v1/trygdehendelser/hendelser",
        "query": "hendelsesnummer=1&subscription-key=REDACTED",
        "status": 429,
        "latency_ms": 0.25,
        "consumer": "key:1",
        "fault": "f-7",
        "call_id": "kall-1",
        "consumer_id": "min-app",
    }


def test_fault_defaults_to_none() -> None:
    assert _record(Journal(1), 0).fault is None


def test_paging_with_after_visits_every_kept_entry_once_in_order() -> None:
    journal = Journal(10)
    for at_ms in range(25):
        _record(journal, at_ms)
    seen: list[int] = []
    after: int | None = None
    while page := journal.entries(after=after, limit=3):
        seen.extend(entry.sequence for entry in page)
        after = page[-1].sequence
    assert seen == list(range(16, 26))


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        (0, [6, 7, 8, 9, 10]),
        (3, [6, 7, 8, 9, 10]),
        (7, [8, 9, 10]),
        (10, []),
        (99, []),
        (-5, [6, 7, 8, 9, 10]),
    ],
    ids=["zero", "evicted-already", "inside", "at-newest", "past-newest", "negative"],
)
def test_after_is_a_sequence_even_once_entries_were_evicted(after: int, expected: list[int]) -> None:
    journal = Journal(5)
    for at_ms in range(10):
        _record(journal, at_ms)
    assert [entry.sequence for entry in journal.entries(after=after)] == expected


def test_a_reader_can_tell_it_missed_entries_from_the_sequence_gap() -> None:
    journal = Journal(3)
    for at_ms in range(3):
        _record(journal, at_ms)
    last_read = journal.entries()[-1].sequence
    for at_ms in range(3, 8):
        _record(journal, at_ms)
    first_now = journal.entries(after=last_read)[0].sequence
    assert first_now - last_read - 1 == 2


@pytest.mark.parametrize(
    ("since_ms", "until_ms", "expected_at"),
    [
        (None, None, [100, 200, 300, 400]),
        (200, None, [200, 300, 400]),
        (None, 300, [100, 200]),
        (200, 400, [200, 300]),
        (250, 250, []),
        (500, None, []),
    ],
    ids=["open", "since-inclusive", "until-exclusive", "window", "empty-window", "after-all"],
)
def test_time_window_is_half_open(since_ms: int | None, until_ms: int | None, expected_at: list[int]) -> None:
    journal = Journal(10)
    for at_ms in (100, 200, 300, 400):
        _record(journal, at_ms)
    entries = journal.entries(since_ms=since_ms, until_ms=until_ms)
    assert [entry.at_ms for entry in entries] == expected_at


def test_time_window_holds_when_the_clock_was_set_back() -> None:
    journal = Journal(10)
    for at_ms in (500, 100, 600, 200):
        _record(journal, at_ms)
    assert [entry.at_ms for entry in journal.entries(since_ms=150, until_ms=550)] == [500, 200]


@pytest.mark.parametrize(
    ("consumer", "expected"),
    [("client:a", [1, 3]), ("key:1", [2]), ("client:nobody", [])],
    ids=["client", "key", "unknown"],
)
def test_consumer_filter_is_exact(consumer: str, expected: list[int]) -> None:
    journal = Journal(10)
    _record(journal, 1, consumer="client:a")
    _record(journal, 2, consumer="key:1")
    _record(journal, 3, consumer="client:a")
    _record(journal, 4, consumer=None)
    assert [entry.sequence for entry in journal.entries(consumer=consumer)] == expected


def test_limit_applies_after_the_filters() -> None:
    journal = Journal(20)
    for at_ms in range(10):
        _record(journal, at_ms, consumer="client:a" if at_ms % 2 else "client:b")
    page = journal.entries(consumer="client:a", limit=3)
    assert [entry.at_ms for entry in page] == [1, 3, 5]


@pytest.mark.parametrize(("limit", "expected"), [(0, 0), (1, 1), (100, 7)], ids=["zero", "one", "more-than-kept"])
def test_limit_caps_the_page(limit: int, expected: int) -> None:
    journal = Journal(10)
    for at_ms in range(7):
        _record(journal, at_ms)
    assert len(journal.entries(limit=limit)) == expected


def test_negative_limit_is_rejected() -> None:
    with pytest.raises(ValueError, match="limit"):
        Journal(1).entries(limit=-1)


def test_default_limit_is_one_hundred() -> None:
    journal = Journal(150)
    for at_ms in range(150):
        _record(journal, at_ms)
    assert [entry.sequence for entry in journal.entries()] == list(range(1, 101))


def test_clear_resets_entries_eviction_and_sequence() -> None:
    journal = Journal(2)
    for at_ms in range(5):
        _record(journal, at_ms)
    journal.clear()
    assert (len(journal), journal.evicted, journal.entries()) == (0, 0, [])
    assert _record(journal, 9).sequence == 1
    assert journal.capacity == 2


def test_a_long_query_is_kept_cut_short_saying_how_much_was_cut() -> None:
    journal = Journal(1)
    journal.record(
        at_ms=1, method="GET", path="/p", query="a" * (MAX_QUERY_CHARS + 10), status=200, seconds=0.0001, consumer=None
    )
    (entry,) = journal.entries()
    assert entry.query == "a" * MAX_QUERY_CHARS + "… (10 more characters)"


def test_newest_first_gives_the_last_requests_newest_first() -> None:
    journal = Journal(100)
    for number in range(1, 31):
        journal.record(at_ms=number, method="GET", path="/p", query="", status=200, seconds=0.0, consumer=None)
    assert [entry.sequence for entry in journal.entries(limit=3, newest_first=True)] == [30, 29, 28]
    assert [entry.sequence for entry in journal.entries(limit=3)] == [1, 2, 3]


def test_newest_first_after_a_sequence_stops_at_it() -> None:
    journal = Journal(100)
    for number in range(1, 11):
        journal.record(at_ms=number, method="GET", path="/p", query="", status=200, seconds=0.0, consumer=None)
    assert [entry.sequence for entry in journal.entries(after=7, newest_first=True)] == [10, 9, 8]


def test_a_long_correlation_header_is_kept_short() -> None:
    journal = Journal(4)
    journal.record(
        at_ms=1,
        method="GET",
        path="/p",
        query="",
        status=200,
        seconds=0.0,
        consumer=None,
        call_id="k" * 10_000,
        consumer_id="c" * 10_000,
    )
    (entry,) = journal.entries()
    assert (len(entry.call_id or ""), len(entry.consumer_id or "")) == (200, 200)
