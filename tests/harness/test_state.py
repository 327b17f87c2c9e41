"""The harness: answers observed now and recorded in batches, read as if each had been recorded at once."""

from __future__ import annotations

import asyncio
import threading

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.clock import ControlledClock
from emulator.harness import DASHBOARD_CONSUMER, Answered, Delivery, Harness
from emulator.harness.state import SETTLE_AFTER

FEED = "/helse/v1/trygdehendelser/hendelser"
_T0 = 1_700_000_000_000

# One observed answer: route, status, consumer, and for the feed where it asked from and how many it got.
_Answer = tuple[str, int, str | None, int, int]


def _harness(journal_size: int = 100_000) -> tuple[Harness, ControlledClock]:
    clock = ControlledClock(frozen_at_ms=_T0)
    return Harness(clock, journal_size), clock


def _answered(answer: _Answer, head: int = 1_000) -> Answered:
    route, status, consumer, first, count = answer
    numbers = np.arange(first, first + count, dtype=np.int64)
    delivery = Delivery(first, 100, numbers) if route == "feed" and status == 200 else None
    return Answered(route, "GET", FEED, f"hendelsesnummer={first}", status, consumer, None, delivery, head)


def _observe(harness: Harness, answer: _Answer, head: int = 1_000) -> None:
    harness.observe(_answered(answer, head), 0.002)


def _everything(harness: Harness) -> tuple[object, ...]:
    entries = [entry.as_dict() for entry in harness.journal.entries(limit=1_000_000)]
    views = [view.as_dict() for view in harness.consumers.views(1_000)]
    metrics = harness.metrics.render(log_size=1_000, head=1_000, consumer_lag={}, journal_evicted=0)
    return entries, views, metrics, harness.journal.evicted


_ANSWERS = st.tuples(
    st.sampled_from(["feed", "medl", "token"]),
    st.sampled_from([200, 400, 401, 503]),
    st.sampled_from(["client:a", "key:1", DASHBOARD_CONSUMER, None]),
    st.integers(1, 900),
    st.integers(0, 100),
)


@settings(max_examples=60, deadline=None)
@given(
    answers=st.lists(_ANSWERS, max_size=3 * SETTLE_AFTER),
    reads=st.sets(st.integers(0, 3 * SETTLE_AFTER)),
    journal_size=st.sampled_from([1, 7, 100_000]),
)
def test_what_a_reader_sees_is_as_if_every_answer_had_been_recorded_at_once(
    answers: list[_Answer], reads: set[int], journal_size: int
) -> None:
    batched, clock = _harness(journal_size)
    at_once, other_clock = _harness(journal_size)
    for index, answer in enumerate(answers):
        clock.advance(1)
        other_clock.advance(1)
        _observe(batched, answer)
        _observe(at_once, answer)
        at_once.settle()
        if index in reads:
            assert _everything(batched) == _everything(at_once)
    assert _everything(batched) == _everything(at_once)


@settings(max_examples=40, deadline=None)
@given(
    sent=st.lists(st.tuples(st.integers(0, 3), st.floats(-0.01, 3.0)), min_size=40, max_size=3 * SETTLE_AFTER),
    reads=st.sets(st.integers(0, 3 * SETTLE_AFTER)),
)
def test_an_answer_sent_again_is_recorded_as_if_each_sending_were_its_own_answer(
    sent: list[tuple[int, float]], reads: set[int]
) -> None:
    # As the pipeline does for answers it keeps: the same Answered observed again, with its delivery's numbers an
    # array, beside answers each observed with an Answered of their own.
    kinds = [("feed", 200, "client:a", 1, 100), ("feed", 200, "client:b", 5, 3), ("medl", 200, "client:a", 1, 0)]
    shared = [_answered(kind) for kind in kinds]
    again, clock = _harness()
    afresh, other_clock = _harness()
    for index, (kind, seconds) in enumerate(sent):
        clock.advance(1)
        other_clock.advance(1)
        if kind == len(kinds):
            again.observe(_answered(("feed", 401, "key:1", 9, 0)), seconds)
            afresh.observe(_answered(("feed", 401, "key:1", 9, 0)), seconds)
        else:
            again.observe(shared[kind], seconds)
            afresh.observe(_answered(kinds[kind]), seconds)
        afresh.settle()
        if index in reads:
            assert _everything(again) == _everything(afresh)
    assert _everything(again) == _everything(afresh)


def test_a_read_sees_every_answer_observed_before_it() -> None:
    harness, _ = _harness()
    for first in range(1, 6):
        _observe(harness, ("feed", 200, "client:a", first, 100))
    assert [entry.query for entry in harness.journal.entries()] == [f"hendelsesnummer={n}" for n in range(1, 6)]
    (view,) = harness.consumers.views(1_000)
    assert (view.requests, view.highest_delivered) == (5, 104)


def test_answers_are_recorded_once_a_batch_is_full_without_a_reader() -> None:
    harness, _ = _harness()
    for _ in range(SETTLE_AFTER):
        _observe(harness, ("feed", 200, "client:a", 1, 100))
    assert len(harness._journal) == SETTLE_AFTER


def test_a_pending_wait_is_woken_by_the_answer_that_reaches_its_target() -> None:
    harness, _ = _harness()

    async def scenario() -> bool:
        waiting = asyncio.create_task(harness.consumers.wait_until("client:a", 150, timeout_s=30))
        await asyncio.sleep(0)
        _observe(harness, ("feed", 200, "client:a", 101, 100))
        # Nobody reads the harness: the answer itself must wake the wait.
        return await asyncio.wait_for(waiting, timeout=5)

    assert asyncio.run(scenario()) is True


def test_reset_forgets_answers_not_yet_recorded() -> None:
    harness, _ = _harness()
    _observe(harness, ("feed", 200, "client:a", 1, 100))
    harness.reset()
    assert harness.journal.entries() == []
    assert harness.consumers.views(1_000) == []


def test_readers_on_other_threads_never_reorder_or_lose_an_answer() -> None:
    harness, clock = _harness()
    done = threading.Event()

    def read_until_done() -> None:
        while not done.is_set():
            harness.journal.entries(limit=1)

    readers = [threading.Thread(target=read_until_done) for _ in range(2)]
    for reader in readers:
        reader.start()
    try:
        for first in range(1, 20_001):
            clock.advance(1)
            _observe(harness, ("feed", 200, "client:a", first, 1))
    finally:
        done.set()
        for reader in readers:
            reader.join()
    entries = harness.journal.entries(limit=100_000)
    assert [entry.sequence for entry in entries] == list(range(1, 20_001))
    assert [entry.at_ms for entry in entries] == list(range(_T0 + 1, _T0 + 20_001))
