"""What each consumer has read of the feed: where it asked from, what it got, how far it lags the head."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from emulator.clock import Clock
from emulator.harness.columns import one_object, tally
from emulator.harness.progress import (
    COUNTED_ROUTES,
    Answers,
    ConsumerView,
    Delivery,
    Progress,
    count_status,
    move,
    view_of,
)


# Identity, not field equality: two waits for the same target are still two waiters.
@dataclass(frozen=True, slots=True, eq=False)
class _Waiter:
    target: int
    event: asyncio.Event
    loop: asyncio.AbstractEventLoop


class ConsumerTracker:
    """Per-consumer progress, fed one observation per answered request."""

    def __init__(self, clock: Clock, ignored: frozenset[str] = frozenset()) -> None:
        self._clock = clock
        # Consumers left out of the view (the emulator's own dashboard).
        self._ignored = ignored
        self._progress: dict[str, Progress] = {}
        self._waiters: dict[str, list[_Waiter]] = {}
        # Whether a wait is pending: then each answer must be counted at once, to wake it without delay. An
        # attribute, not a property: it is read on every answer.
        self.waiting = False
        self._released = False
        # Sync routes run in a thread pool; the lock keeps the read-modify-write of counters whole.
        self._lock = threading.Lock()

    def observe(
        self,
        consumer: str,
        *,
        status: int,
        requested_from: int | None,
        size: int | None,
        delivered: Sequence[int] | npt.NDArray[np.int64],
        head: int,
        at_ms: int | None = None,
    ) -> None:
        """Count one answered request of `consumer` against a feed whose newest event is `head`.

        `requested_from` is the hendelsesnummer asked for (None if it was unparseable or rejected),
        `size` the page size in effect (default applied), `delivered` the event numbers returned, ascending.
        Only a 2xx answer moves `caught_up_to`: a page shorter than `size` reached the end of what matches,
        so the consumer has seen everything up to `head`; a full page, only up to its last event. Pass
        `size=None` when the page was cut short by something other than the end of the feed (an injected
        fault, say), so that only the delivered events count.
        """
        at_ms = self._clock.now_ms() if at_ms is None else at_ms
        delivery = Delivery(requested_from, size, delivered)
        self.observe_columns(Answers((consumer,), ("feed",), (at_ms,), (status,), (delivery,), (head,)))

    def observe_lookup(self, consumer: str, *, status: int, at_ms: int) -> None:
        """Count one answered MEDL look-up of `consumer`: it moves no progress through the feed."""
        self.observe_columns(Answers((consumer,), ("medl",), (at_ms,), (status,), (None,), (0,)))

    def observe_columns(self, answers: Answers) -> None:
        """Count answered requests, given as columns, in order: a feed read (route "feed") as `observe` counts
        it, a MEDL look-up (route "medl") as `observe_lookup` does; other routes and no consumer are not counted.

        Requests alike in consumer, route, status, delivery and head are counted together, so a batch of a poller
        asking for the same page costs a step per kind of request, not per request.
        """
        delivery_ids, deliveries = _by_identity(answers.delivery)
        alike = tally(answers.consumer, answers.route, answers.status, delivery_ids, answers.head)
        with self._lock:
            counted: set[str] = set()
            touched: set[str] = set()
            for (consumer, route, status, delivery_id, head), count in alike.items():
                if consumer is None or consumer in self._ignored or route not in COUNTED_ROUTES:
                    continue
                progress = self._progress.get(consumer)
                if progress is None:
                    progress = self._progress[consumer] = Progress()
                counted.add(consumer)
                if route == "medl":
                    progress.medl_requests += count
                    count_status(progress.medl_requests_by_status, status, count)
                    continue
                progress.requests += count
                count_status(progress.requests_by_status, status, count)
                delivery = deliveries[delivery_id]
                if delivery is not None and 200 <= status < 300:
                    move(progress, delivery, head)
                    touched.add(consumer)
            if counted:
                self._note_last(answers, counted)
            woken = [
                waiter
                for consumer in touched & self._waiters.keys()
                for waiter in self._waiters[consumer]
                if waiter.target <= self._progress[consumer].caught_up_to
            ]
        for waiter in woken:
            _wake(waiter)

    def _note_last(self, answers: Answers, consumers: set[str]) -> None:
        """Each consumer's last request's time, and the last number it asked for: from the end of the batch back."""
        unseen, unasked = set(consumers), set(consumers)
        for index in range(len(answers.consumer) - 1, -1, -1):
            consumer, route = answers.consumer[index], answers.route[index]
            if consumer is None or route not in COUNTED_ROUTES or (consumer not in unseen and consumer not in unasked):
                continue
            progress = self._progress[consumer]
            if consumer in unseen:
                unseen.discard(consumer)
                progress.last_seen_ms = answers.at_ms[index]
            delivery = answers.delivery[index]
            if route == "feed" and delivery is not None and delivery.requested_from is not None and consumer in unasked:
                unasked.discard(consumer)
                progress.last_requested = delivery.requested_from
            if not unseen and not unasked:
                return

    def views(self, head: int) -> list[ConsumerView]:
        with self._lock:
            return [view_of(consumer, progress, head) for consumer, progress in sorted(self._progress.items())]

    def view(self, consumer: str, head: int) -> ConsumerView | None:
        with self._lock:
            progress = self._progress.get(consumer)
            return None if progress is None else view_of(consumer, progress, head)

    async def wait_until(self, consumer: str, target: int, timeout_s: float) -> bool:
        """True once `consumer` has caught up to `target` (at once if it has), False after `timeout_s`."""
        loop = asyncio.get_running_loop()
        waiter = _Waiter(target=target, event=asyncio.Event(), loop=loop)
        with self._lock:
            if self._caught_up_to(consumer) >= target:
                return True
            if timeout_s <= 0 or self._released:
                return False
            self._waiters.setdefault(consumer, []).append(waiter)
            self.waiting = True
        try:
            await asyncio.wait_for(waiter.event.wait(), timeout_s)
        except TimeoutError:
            pass
        finally:
            with self._lock:
                waiters = self._waiters.get(consumer, [])
                if waiter in waiters:
                    waiters.remove(waiter)
                if not waiters:
                    self._waiters.pop(consumer, None)
                self.waiting = bool(self._waiters)
        # Woken by progress, by the timeout or by shutdown: the state decides, not the race.
        with self._lock:
            return self._caught_up_to(consumer) >= target

    def release_waits(self) -> None:
        """End every pending wait now and any later one at once (the server is shutting down)."""
        with self._lock:
            self._released = True
            woken = [waiter for waiters in self._waiters.values() for waiter in waiters]
        for waiter in woken:
            _wake(waiter)

    def pending_waits(self) -> int:
        with self._lock:
            return sum(len(waiters) for waiters in self._waiters.values())

    def reset(self) -> None:
        """Forget all progress. Pending waits stay pending: they belong to requests still in flight."""
        with self._lock:
            self._progress.clear()

    def _caught_up_to(self, consumer: str) -> int:
        progress = self._progress.get(consumer)
        return 0 if progress is None else progress.caught_up_to


def _wake(waiter: _Waiter) -> None:
    # asyncio.Event is not thread-safe: set it directly only from its own loop's thread.
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is waiter.loop:
        waiter.event.set()
    else:
        # The waiting loop may have closed since (its request gave up); nobody is left to wake.
        with contextlib.suppress(RuntimeError):
            waiter.loop.call_soon_threadsafe(waiter.event.set)


def _by_identity(deliveries: Sequence[Delivery | None]) -> tuple[Sequence[int], dict[int, Delivery | None]]:
    """Deliveries told apart by identity, as their numbers may be an array, which has no truth value to compare by;
    a batch of one answer sent again and again, the usual one, shares one delivery."""
    if deliveries and one_object(deliveries):
        return (id(deliveries[0]),) * len(deliveries), {id(deliveries[0]): deliveries[0]}
    ids = tuple(map(id, deliveries))
    return ids, dict(zip(ids, deliveries, strict=True))
