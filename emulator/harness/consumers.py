"""What each consumer has read of the feed: where it asked from, what it got, how far it lags the head."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from emulator.clock import Clock


class Delivery(NamedTuple):
    """What a feed answer gave the consumer: where it asked from, the page size in effect, the events returned.

    `size` is None when the page was cut short by something other than the end of the feed (an injected fault).
    """

    requested_from: int | None
    size: int | None
    numbers: Sequence[int] | npt.NDArray[np.int64]


# One answered request as `observe_many` counts it: consumer, at_ms, status, then the head and what was delivered
# (None for a rejected read), or for a MEDL look-up None and None.
Answered = tuple[str, int, int, int | None, Delivery | None]


@dataclass(frozen=True)
class ConsumerView:
    """One consumer's progress as of a given head."""

    consumer: str
    # The hendelsesnummer of its latest request that had one.
    last_requested: int | None
    highest_delivered: int | None
    # Everything up to this number (in its filter) has reached the consumer; 0 before the first read.
    caught_up_to: int
    lag: int
    requests: int
    requests_by_status: dict[int, int]
    last_seen_ms: int | None
    # Its look-ups of periods in MEDL, beside its reads of the feed.
    medl_requests: int = 0
    medl_requests_by_status: dict[int, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {
            "consumer": self.consumer,
            "last_requested": self.last_requested,
            "highest_delivered": self.highest_delivered,
            "caught_up_to": self.caught_up_to,
            "lag": self.lag,
            "requests": self.requests,
            # JSON object keys are strings; ascending status so the output is stable.
            "requests_by_status": {str(status): count for status, count in sorted(self.requests_by_status.items())},
            "last_seen_ms": self.last_seen_ms,
            "medl_requests": self.medl_requests,
            "medl_requests_by_status": {
                str(status): count for status, count in sorted(self.medl_requests_by_status.items())
            },
        }


@dataclass(slots=True)
class _Progress:
    last_requested: int | None = None
    highest_delivered: int | None = None
    caught_up_to: int = 0
    requests: int = 0
    requests_by_status: dict[int, int] = field(default_factory=dict)
    last_seen_ms: int | None = None
    medl_requests: int = 0
    medl_requests_by_status: dict[int, int] = field(default_factory=dict)


# Identity, not field equality: two waits for the same target are still two waiters.
@dataclass(frozen=True, slots=True, eq=False)
class _Waiter:
    target: int
    event: asyncio.Event
    loop: asyncio.AbstractEventLoop


class ConsumerTracker:
    """Per-consumer progress, fed one observation per answered request."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._progress: dict[str, _Progress] = {}
        self._waiters: dict[str, list[_Waiter]] = {}
        self._released = False
        # Sync routes run in a thread pool; the lock keeps the read-modify-write of counters whole.
        self._lock = threading.Lock()

    @property
    def waiting(self) -> bool:
        """Whether a wait is pending: then an answer must be counted at once, to wake it without delay."""
        return bool(self._waiters)

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
        self.observe_many([(consumer, at_ms, status, head, Delivery(requested_from, size, delivered))])

    def observe_lookup(self, consumer: str, *, status: int, at_ms: int) -> None:
        """Count one answered MEDL look-up of `consumer`: it moves no progress through the feed."""
        self.observe_many([(consumer, at_ms, status, None, None)])

    def observe_many(self, answers: Iterable[Answered]) -> None:
        """Count answered requests in order: feed reads as `observe` does, MEDL look-ups (head None) as
        `observe_lookup` does."""
        with self._lock:
            touched: set[str] = set()
            for consumer, at_ms, status, head, delivery in answers:
                progress = self._seen(consumer, at_ms)
                if head is None:
                    progress.medl_requests += 1
                    _count(progress.medl_requests_by_status, status)
                    continue
                progress.requests += 1
                _count(progress.requests_by_status, status)
                if delivery is None:
                    continue
                if delivery.requested_from is not None:
                    progress.last_requested = delivery.requested_from
                if 200 <= status < 300:
                    _move(progress, delivery, head)
                    touched.add(consumer)
            woken = [
                waiter
                for consumer in touched & self._waiters.keys()
                for waiter in self._waiters[consumer]
                if waiter.target <= self._progress[consumer].caught_up_to
            ]
        for waiter in woken:
            _wake(waiter)

    def _seen(self, consumer: str, at_ms: int) -> _Progress:
        """The consumer's progress, made on its first request, with the time of this one (under the lock)."""
        progress = self._progress.get(consumer)
        if progress is None:
            progress = self._progress[consumer] = _Progress()
        progress.last_seen_ms = at_ms
        return progress

    def views(self, head: int) -> list[ConsumerView]:
        with self._lock:
            return [self._view(consumer, progress, head) for consumer, progress in sorted(self._progress.items())]

    def view(self, consumer: str, head: int) -> ConsumerView | None:
        with self._lock:
            progress = self._progress.get(consumer)
            return None if progress is None else self._view(consumer, progress, head)

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

    @staticmethod
    def _view(consumer: str, progress: _Progress, head: int) -> ConsumerView:
        return ConsumerView(
            consumer=consumer,
            last_requested=progress.last_requested,
            highest_delivered=progress.highest_delivered,
            caught_up_to=progress.caught_up_to,
            # The log can be reset below what a consumer saw; lag is "events it has not seen", never negative.
            lag=max(head - progress.caught_up_to, 0),
            requests=progress.requests,
            requests_by_status=dict(progress.requests_by_status),
            last_seen_ms=progress.last_seen_ms,
            medl_requests=progress.medl_requests,
            medl_requests_by_status=dict(progress.medl_requests_by_status),
        )


def _move(progress: _Progress, delivery: Delivery, head: int) -> None:
    """What a 2xx page moves: the highest event delivered, and how far the consumer has caught up."""
    numbers = delivery.numbers
    count = len(numbers)
    highest = int(numbers[-1]) if count else None
    if highest is not None and (progress.highest_delivered is None or highest > progress.highest_delivered):
        progress.highest_delivered = highest
    # A page shorter than asked for reached the end of what matches at this head.
    reached = head if delivery.size is not None and count < delivery.size else (highest or 0)
    # A consumer that re-reads from an earlier number has not forgotten what it saw.
    progress.caught_up_to = max(progress.caught_up_to, reached)


def _count(by_status: dict[int, int], status: int) -> None:
    by_status[status] = by_status.get(status, 0) + 1


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
