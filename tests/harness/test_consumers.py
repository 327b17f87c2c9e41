"""Consumer progress: caught_up_to from short and full pages, lag behind the head, waiting for a consumer."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence

import pytest

from emulator.clock import ControlledClock
from emulator.harness.consumers import ConsumerTracker
from emulator.harness.progress import ConsumerView

_T0 = 1_700_000_000_000


def _tracker() -> tuple[ConsumerTracker, ControlledClock]:
    clock = ControlledClock(frozen_at_ms=_T0)
    return ConsumerTracker(clock), clock


def _read(
    tracker: ConsumerTracker,
    consumer: str,
    delivered: Sequence[int],
    *,
    head: int,
    size: int | None = 100,
    status: int = 200,
) -> None:
    tracker.observe(
        consumer,
        status=status,
        requested_from=delivered[0] if delivered else head + 1,
        size=size,
        delivered=delivered,
        head=head,
    )


async def _let_other_tasks_run() -> None:
    # A yield to the event loop, not a delay: sleep(0) returns as soon as the ready tasks have had a turn.
    await asyncio.sleep(0)


def _view(tracker: ConsumerTracker, consumer: str, head: int) -> ConsumerView:
    view = tracker.view(consumer, head)
    assert view is not None
    return view


@pytest.mark.parametrize(
    ("delivered", "size", "head", "expected"),
    [
        (range(1, 101), 100, 500, 100),
        (range(1, 41), 100, 40, 40),
        ([3, 7, 9], 10, 12, 12),
        ([], 100, 250, 250),
        ([], 100, 0, 0),
        (range(101, 111), 10, 500, 110),
        ([5, 6], None, 500, 6),
    ],
    ids=[
        "full-page",
        "short-page",
        "filtered-short-page",
        "empty-past-head",
        "empty-log",
        "full-mid",
        "size-unknown",
    ],
)
def test_caught_up_to_from_one_page(delivered: Sequence[int], size: int | None, head: int, expected: int) -> None:
    tracker, _ = _tracker()
    tracker.observe("client:a", status=200, requested_from=1, size=size, delivered=list(delivered), head=head)
    view = _view(tracker, "client:a", head)
    assert view.caught_up_to == expected
    assert view.lag == head - expected


def test_a_consumer_polling_like_a_real_one_catches_up_and_then_lags_as_the_log_grows() -> None:
    tracker, _ = _tracker()
    head = 250
    cursor = 1
    while True:
        page = list(range(cursor, min(cursor + 100, head + 1)))
        _read(tracker, "client:a", page, head=head)
        if len(page) < 100:
            break
        cursor = page[-1] + 1
    assert _view(tracker, "client:a", head).caught_up_to == 250
    assert _view(tracker, "client:a", 260).lag == 10
    _read(tracker, "client:a", [], head=250)
    assert _view(tracker, "client:a", 250).requests == 4


def test_caught_up_to_never_decreases_when_a_consumer_rereads() -> None:
    tracker, _ = _tracker()
    _read(tracker, "client:a", [], head=300)
    _read(tracker, "client:a", list(range(1, 101)), head=300)
    view = _view(tracker, "client:a", 300)
    assert view.caught_up_to == 300
    assert view.last_requested == 1
    assert view.highest_delivered == 100


@pytest.mark.parametrize("status", [400, 401, 403, 429, 500, 503], ids=str)
def test_an_error_answer_counts_but_does_not_move_progress(status: int) -> None:
    tracker, _ = _tracker()
    _read(tracker, "client:a", list(range(1, 11)), head=10, size=10)
    tracker.observe("client:a", status=status, requested_from=None, size=100, delivered=[], head=50)
    view = _view(tracker, "client:a", 50)
    assert view.caught_up_to == 10
    assert view.lag == 40
    assert view.requests == 2
    assert view.requests_by_status == {200: 1, status: 1}
    assert view.last_requested == 1


def test_last_seen_follows_the_injected_clock() -> None:
    tracker, clock = _tracker()
    _read(tracker, "client:a", [1], head=1)
    clock.advance(5_000)
    _read(tracker, "client:a", [], head=1)
    assert _view(tracker, "client:a", 1).last_seen_ms == _T0 + 5_000


def test_lag_is_never_negative_after_the_log_shrank() -> None:
    tracker, _ = _tracker()
    _read(tracker, "client:a", [], head=900)
    assert _view(tracker, "client:a", 100).lag == 0


def test_views_are_sorted_by_consumer_and_an_unknown_one_has_no_view() -> None:
    tracker, _ = _tracker()
    for consumer in ("key:2", "client:z", "client:a"):
        _read(tracker, consumer, [], head=5)
    assert [view.consumer for view in tracker.views(5)] == ["client:a", "client:z", "key:2"]
    assert tracker.view("client:nobody", 5) is None


def test_view_is_a_snapshot() -> None:
    tracker, _ = _tracker()
    _read(tracker, "client:a", [], head=5)
    before = _view(tracker, "client:a", 5)
    _read(tracker, "client:a", [], head=5, status=429)
    assert before.requests_by_status == {200: 1}
    assert before.requests == 1


def test_as_dict_is_json_shaped() -> None:
    tracker, _ = _tracker()
    _read(tracker, "client:a", [], head=5, status=429)
    _read(tracker, "client:a", [1, 2], head=5, size=2)
    assert _view(tracker, "client:a", 7).as_dict() == {
        "consumer": "client:a",
        "last_requested": 1,
        "highest_delivered": 2,
        "caught_up_to": 2,
        "lag": 5,
        "requests": 2,
        "requests_by_status": {"200": 1, "429": 1},
        "last_seen_ms": _T0,
        "medl_requests": 0,
        "medl_requests_by_status": {},
    }


def test_medl_look_ups_are_counted_beside_feed_reads_and_move_no_progress() -> None:
    tracker, _ = _tracker()
    _read(tracker, "client:a", [1, 2], head=5, size=2)
    tracker.observe_lookup("client:a", status=200, at_ms=_T0 + 1)
    tracker.observe_lookup("client:a", status=404, at_ms=_T0 + 2)
    tracker.observe_lookup("client:b", status=200, at_ms=_T0 + 3)
    view = _view(tracker, "client:a", 5)
    assert (view.requests, view.medl_requests, view.medl_requests_by_status) == (1, 2, {200: 1, 404: 1})
    assert (view.caught_up_to, view.last_seen_ms) == (2, _T0 + 2)
    only_lookups = _view(tracker, "client:b", 5)
    assert (only_lookups.requests, only_lookups.caught_up_to, only_lookups.medl_requests) == (0, 0, 1)


def test_reset_forgets_everyone() -> None:
    tracker, _ = _tracker()
    _read(tracker, "client:a", [], head=5)
    tracker.reset()
    assert tracker.views(5) == []


@pytest.mark.parametrize(("target", "expected"), [(0, True), (40, True), (41, False)], ids=["zero", "at", "beyond"])
def test_wait_until_answers_at_once_when_there_is_nothing_to_wait_for(target: int, expected: bool) -> None:
    tracker, _ = _tracker()
    _read(tracker, "client:a", [], head=40)
    assert asyncio.run(tracker.wait_until("client:a", target, timeout_s=0)) is expected


async def _woken(task: asyncio.Task[bool]) -> bool:
    """Whether `task` finishes within a few turns of the event loop: woken, not rescued by its timeout."""
    for _ in range(50):
        if task.done():
            return True
        await _let_other_tasks_run()
    return False


def test_wait_until_returns_true_when_another_task_brings_the_consumer_there() -> None:
    tracker, _ = _tracker()

    async def scenario() -> tuple[bool, bool, bool]:
        waiting = asyncio.create_task(tracker.wait_until("client:a", 150, timeout_s=10))
        await _let_other_tasks_run()  # the wait registers before anything is observed
        _read(tracker, "client:a", list(range(1, 101)), head=300)
        woken_too_early = await _woken(waiting)
        _read(tracker, "client:a", list(range(101, 201)), head=300)
        return woken_too_early, await _woken(waiting), waiting.result()

    assert asyncio.run(scenario()) == (False, True, True)


def test_wait_until_times_out_with_false() -> None:
    tracker, _ = _tracker()
    _read(tracker, "client:a", [1], head=10, size=1)
    assert asyncio.run(tracker.wait_until("client:a", 5, timeout_s=0.05)) is False


def test_wait_until_for_one_consumer_is_not_woken_by_another() -> None:
    tracker, _ = _tracker()

    async def scenario() -> tuple[bool, bool]:
        # A timeout no loaded machine reaches within the turns `_woken` looks: the wait is ended by the release.
        waiting = asyncio.create_task(tracker.wait_until("client:a", 10, timeout_s=60))
        await _let_other_tasks_run()
        _read(tracker, "client:b", [], head=10)
        woken = await _woken(waiting)
        tracker.release_waits()
        return woken, await waiting

    assert asyncio.run(scenario()) == (False, False)


def test_wait_until_wakes_every_waiter_that_is_reached() -> None:
    tracker, _ = _tracker()

    async def scenario() -> list[tuple[bool, bool]]:
        waits = [asyncio.create_task(tracker.wait_until("client:a", target, timeout_s=60)) for target in (5, 10, 11)]
        await _let_other_tasks_run()
        _read(tracker, "client:a", [], head=10)
        woken = [await _woken(waiting) for waiting in waits]
        tracker.release_waits()
        return [(was_woken, await waiting) for was_woken, waiting in zip(woken, waits, strict=True)]

    assert asyncio.run(scenario()) == [(True, True), (True, True), (False, False)]


def test_wait_until_is_woken_by_an_observation_from_another_thread() -> None:
    tracker, _ = _tracker()

    async def scenario() -> bool:
        waiting = asyncio.create_task(tracker.wait_until("client:a", 10, timeout_s=10))
        await _let_other_tasks_run()
        # As a sync route would, from the server's thread pool.
        worker = threading.Thread(target=_read, args=(tracker, "client:a", []), kwargs={"head": 10})
        worker.start()
        worker.join()
        return await _woken(waiting) and waiting.result()

    assert asyncio.run(scenario()) is True


def test_finished_waits_leave_nothing_behind() -> None:
    tracker, _ = _tracker()

    async def scenario() -> None:
        await tracker.wait_until("client:a", 1, timeout_s=0.01)
        waiting = asyncio.create_task(tracker.wait_until("client:a", 1, timeout_s=10))
        await _let_other_tasks_run()
        _read(tracker, "client:a", [1], head=1, size=1)
        assert await _woken(waiting)

    asyncio.run(scenario())
    assert tracker._waiters == {}
