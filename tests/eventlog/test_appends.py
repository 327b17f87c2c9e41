"""Appends' cost: a batch is checked in a bounded number of steps per event, whatever came before it in the batch
or in the log; live mode stays within its backlog and the log within its maximum.

Speed itself is measured in bench/appends.py; these tests count operations instead of timing them.
"""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import pytest

from emulator.clock import ControlledClock
from emulator.eventlog import appends, fixture, live
from emulator.eventlog.appends import Appender, AppendRejectedError, EventDraft
from emulator.eventlog.events import EventType
from emulator.eventlog.fixture import load_seeded_log
from emulator.eventlog.history import History
from emulator.eventlog.identities import synthetic_identity
from emulator.eventlog.live import LiveSpec, Pattern

NOW_MS = 1_767_225_600_000


def _history(events: int = 500, clock: ControlledClock | None = None) -> History:
    clock = clock or ControlledClock()
    clock.set(NOW_MS)
    clock.freeze()
    return History(load_seeded_log(None, seed=4, events=events), clock)


def _counting_ids(counter: Counter[str]) -> type[int]:
    """Period ids that count every comparison made with them (the work a check does per id it looks at)."""

    class CountedId(int):
        def _compare(self, other: Any, name: str) -> bool:
            counter["comparisons"] += 1
            result: bool = getattr(int(self), name)(int(other))
            return result

        def __lt__(self, other: Any) -> bool:
            return self._compare(other, "__lt__")

        def __le__(self, other: Any) -> bool:
            return self._compare(other, "__le__")

        def __gt__(self, other: Any) -> bool:
            return self._compare(other, "__gt__")

        def __ge__(self, other: Any) -> bool:
            return self._compare(other, "__ge__")

        def __eq__(self, other: object) -> bool:
            return self._compare(other, "__eq__") if isinstance(other, int) else NotImplemented

        __hash__ = int.__hash__

    return CountedId


@pytest.mark.parametrize("size", [500, 2_000])
def test_checking_a_batch_compares_each_period_id_a_bounded_number_of_times(size: int) -> None:
    # Each new period used to be checked against every period the batch had opened before it: n²/2 comparisons,
    # 17.9 s for 40,000 events and 104 s for 100,000, on the event loop.
    history = _history()
    counter: Counter[str] = Counter()
    counted = _counting_ids(counter)
    rng = random.Random(size)
    first_id = 10**9
    drafts = [
        EventDraft(EventType.OPPRETTET, period_id=counted(first_id + index), personident=synthetic_identity(rng))
        for index in range(size)
    ]
    drafts += [EventDraft(EventType.ENDRET, period_id=counted(first_id + index)) for index in range(0, size, 3)]
    planned = history.plan(drafts)
    assert len(planned) == len(drafts)
    assert counter["comparisons"] <= 10 * len(drafts)


def test_a_batch_still_takes_new_ids_above_every_period_it_opened() -> None:
    history = _history()
    rng = random.Random(1)
    highest = history.log.period_id.values.max()
    drafts = [
        EventDraft(EventType.OPPRETTET, period_id=int(highest) + 50, personident=synthetic_identity(rng)),
        EventDraft(EventType.OPPRETTET, personident=synthetic_identity(rng)),
        EventDraft(EventType.OPPRETTET, period_id=int(highest) + 10, personident=synthetic_identity(rng)),
        EventDraft(EventType.OPPRETTET, personident=synthetic_identity(rng)),
    ]
    assert [event.period_id for event in history.plan(drafts)] == [
        highest + 50,
        highest + 51,
        highest + 10,
        highest + 52,
    ]


def test_generated_events_pick_from_a_bounded_pool_of_recent_open_periods(monkeypatch: pytest.MonkeyPatch) -> None:
    # Every period generated used to join the pool for good, and each generate call copied it and removed
    # annulled ones from it one by one: 3.0 s for 100,000 events on a 10,000-event log, 15.7 s on an 810,000 one.
    monkeypatch.setattr(appends, "_POOL_LIMIT", 40)
    history = _history()
    for _ in range(5):
        history.generate(200)
    appender: Appender = history._appender
    pool = appender._open_pool()
    assert len(pool) <= 40
    newest = [int(period_id) for period_id in history.log.period_id.values[-400:].tolist()]
    assert set(pool) <= set(newest), "the pool keeps the most recent open periods"
    assert not any(appender.periods.get(period_id).annulled for period_id in pool)  # type: ignore[union-attr]


def test_live_mode_after_a_year_long_jump_appends_the_backlog_and_counts_the_rest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(live, "MAX_BACKLOG", 2_000)
    monkeypatch.setattr(live, "MAX_EVENTS_PER_TICK", 500)
    clock = ControlledClock()
    history = _history(clock=clock)
    history.start_live(LiveSpec(5, Pattern.STEADY))
    clock.set(NOW_MS + 365 * 86_400_000)
    ticks = []
    for _ in range(10):
        appended = history.tick_live()
        ticks.append(appended)
        if not appended:
            break
    assert ticks == [500, 500, 500, 500, 0]
    status = history.live_status()
    assert status is not None
    assert status["skipped"] == 5 * 365 * 86_400 - 2_000


def test_appends_stop_at_the_logs_maximum(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = ControlledClock()
    history = _history(500, clock)
    monkeypatch.setattr("emulator.eventlog.history.MAX_EVENTS", 520)
    history.generate(15)
    with pytest.raises(AppendRejectedError, match="at most 520 events"):
        history.generate(6)
    history.start_live(LiveSpec(100, Pattern.STEADY))
    clock.set(NOW_MS + 1_000)
    assert history.tick_live() == 5
    assert history.log.head == 520
    status = history.live_status()
    assert status is not None
    assert status["skipped"] == 95
    assert fixture.MAX_EVENTS == 100_000_000
