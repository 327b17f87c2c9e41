"""Live mode's schedule on the controlled clock: steady, Poisson and bursts, at any rate up to the limit."""

from __future__ import annotations

import itertools

import pytest

from emulator.eventlog.live import MAX_BACKLOG, MAX_EVENTS_PER_TICK, LiveSchedule, LiveSpec, Pattern

START = 1_767_225_600_000


def _due_over(spec: LiveSpec, seconds: int) -> list[int]:
    schedule = LiveSchedule(spec, START)
    due: list[int] = []
    while batch := schedule.due(START + seconds * 1000):
        due.extend(batch)
    return due


def test_a_frozen_clock_brings_no_events() -> None:
    schedule = LiveSchedule(LiveSpec(100, Pattern.STEADY), START)
    assert schedule.due(START) == []
    assert schedule.due(START) == []


@pytest.mark.parametrize("rate", [0.5, 3, 10, 600, 2_500, 10_000])
def test_steady_mode_keeps_its_rate_exactly(rate: float) -> None:
    due = _due_over(LiveSpec(rate, Pattern.STEADY), 10)
    assert len(due) == int(rate * 10)
    assert due == sorted(due)
    assert due[0] >= START
    assert due[-1] == START + 10_000


def test_steady_events_are_evenly_spaced() -> None:
    due = _due_over(LiveSpec(4, Pattern.STEADY), 2)
    assert due == [START + 250 * step for step in range(1, 9)]


def test_bursts_come_burst_size_at_a_time_at_the_average_rate() -> None:
    due = _due_over(LiveSpec(20, Pattern.BURSTS, burst_size=5), 1)
    assert due == [START + 250 * step for step in range(1, 5) for _ in range(5)]


def test_poisson_arrivals_keep_the_rate_on_average_and_vary() -> None:
    due = _due_over(LiveSpec(5, Pattern.POISSON, seed=3), 1_000)
    assert 4_750 <= len(due) <= 5_250
    gaps = {later - earlier for earlier, later in itertools.pairwise(due)}
    assert len(gaps) > 100, "exponential gaps, not a fixed interval"


def test_poisson_arrivals_at_a_high_rate_keep_it_too() -> None:
    due = _due_over(LiveSpec(5_000, Pattern.POISSON, seed=1), 10)
    assert 47_500 <= len(due) <= 52_500


def test_the_same_seed_gives_the_same_arrivals_and_another_seed_others() -> None:
    first = _due_over(LiveSpec(50, Pattern.POISSON, seed=7), 10)
    assert first == _due_over(LiveSpec(50, Pattern.POISSON, seed=7), 10)
    assert first != _due_over(LiveSpec(50, Pattern.POISSON, seed=8), 10)


def test_a_long_jump_of_the_clock_is_delivered_in_bounded_batches() -> None:
    schedule = LiveSchedule(LiveSpec(1_000, Pattern.STEADY), START)
    batches = []
    while batch := schedule.due(START + 25_000):
        batches.append(len(batch))
    assert batches == [MAX_EVENTS_PER_TICK, MAX_EVENTS_PER_TICK, 5_000]


@pytest.mark.parametrize(
    ("spec", "seconds"),
    [
        (LiveSpec(5, Pattern.STEADY), 365 * 86_400),
        (LiveSpec(5, Pattern.POISSON, seed=2), 365 * 86_400),
        (LiveSpec(10_000, Pattern.BURSTS, burst_size=7), 86_400),
    ],
    ids=["steady-a-year", "poisson-a-year", "bursts-a-day"],
)
def test_a_jump_past_the_backlog_brings_the_newest_events_and_counts_the_skipped_ones(
    spec: LiveSpec, seconds: int
) -> None:
    # A year at 5/s is 157 million events: without a bound, live mode appends them at full CPU for hours.
    schedule = LiveSchedule(spec, START)
    now = START + seconds * 1000
    due: list[int] = []
    for _ in range(MAX_BACKLOG // MAX_EVENTS_PER_TICK + 2):
        batch = schedule.due(now)
        if not batch:
            break
        due.extend(batch)
    assert schedule.due(now) == [], "caught up within the backlog's ticks"
    # Steady and bursts bring exactly the backlog (to a burst); Poisson's count after the jump is itself random.
    spread = MAX_BACKLOG // 100 if spec.pattern is Pattern.POISSON else spec.burst_size
    assert MAX_BACKLOG - spread <= len(due) <= MAX_BACKLOG + spread
    expected = spec.rate * seconds
    assert abs(schedule.skipped + len(due) - expected) <= 0.01 * expected
    assert due[0] >= now - MAX_BACKLOG * 1000 / spec.rate - 1, "the newest are kept, the oldest skipped"
    assert due == sorted(due)
    assert due[-1] <= now


def test_within_the_backlog_nothing_is_skipped() -> None:
    schedule = LiveSchedule(LiveSpec(1_000, Pattern.STEADY), START)
    assert len(_drain(schedule, START + 100_000)) == MAX_BACKLOG
    assert schedule.skipped == 0


def _drain(schedule: LiveSchedule, now: int) -> list[int]:
    due: list[int] = []
    while batch := schedule.due(now):
        due.extend(batch)
    return due
