"""What the tester controls and observes, as one object: faults, journal, consumers and metrics, reset together."""

from __future__ import annotations

import threading
from collections import deque
from typing import Any, NamedTuple

from emulator.clock import Clock
from emulator.harness.columns import one_object
from emulator.harness.consumers import ConsumerTracker
from emulator.harness.faults import Faults
from emulator.harness.journal import Columns, Journal
from emulator.harness.metrics import Metrics
from emulator.harness.progress import Answers, Delivery

# The emulator's own dashboard reads the feed as a consumer would, but it is not one the tester is testing: it is
# left out of the consumer view, and only a fault scoped to it by name reaches it.
DASHBOARD_CONSUMER = "client:emulator-dashboard"
_OWN_CONSUMERS = frozenset({DASHBOARD_CONSUMER})
# Answers observed before they are recorded at the latest: enough to record them in one go, few enough that the
# pause to record them is short.
SETTLE_AFTER = 256


class Answered(NamedTuple):
    """An answer as observed, but for when it was sent and how long it took: an answer sent again from memory is
    observed with the same one, so that a batch of them is recorded a column at a time."""

    route: str
    method: str
    path: str
    # Redacted by the caller: no key or token.
    query: str
    status: int
    consumer: str | None
    fault_id: str | None
    delivery: Delivery | None
    head: int


# An answer as queued: when, how long, the correlation headers as sent, and the rest.
_Observed = tuple[int, float, bytes | None, bytes | None, Answered]


def consumer_name(client_id: str | None, key_label: int | None = None) -> str | None:
    """`client:<client_id>` when a token names one, else `key:<n>`, the key's place in the list, never the key."""
    if client_id:
        return f"client:{client_id}"
    return f"key:{key_label}" if key_label is not None else None


class Harness:
    """Faults, journal, consumer view and metrics.

    An answer is observed by queueing it; the queue is settled into the journal, the metrics and the consumer
    view in batches, because recording each answer at once cost a cached page more than the rest of answering
    it. Whoever reads the journal, the metrics or the consumer view through the harness settles it first, and a
    pending wait for a consumer settles every answer at once, so nothing a reader sees is any less up to date.
    """

    def __init__(self, clock: Clock, journal_size: int) -> None:
        self._clock = clock
        self.faults = Faults(exempt=_OWN_CONSUMERS)
        self._journal = Journal(journal_size)
        self._consumers = ConsumerTracker(clock, ignored=_OWN_CONSUMERS)
        self._metrics = Metrics()
        # Appended on the event loop, drained by whichever thread settles: a deque's append and popleft are atomic.
        self._pending: deque[_Observed] = deque()
        # Settling takes turns, so that batches reach the journal in the order they were observed.
        self._settling = threading.Lock()

    @property
    def journal(self) -> Journal:
        self.settle()
        return self._journal

    @property
    def consumers(self) -> ConsumerTracker:
        self.settle()
        return self._consumers

    @property
    def metrics(self) -> Metrics:
        self.settle()
        return self._metrics

    def observe(
        self,
        answered: Answered,
        seconds: float,
        call_id: bytes | None = None,
        consumer_id: bytes | None = None,
        at_ms: int | None = None,
    ) -> None:
        """Journal, metrics and the consumer view, after every answer of an emulated endpoint.

        `call_id` and `consumer_id` are the Nav-Call-Id and Nav-Consumer-Id headers as sent (decoded when
        recorded); `at_ms` is when the request was answered, if the caller has read the clock already.
        """
        pending = self._pending
        pending.append((self._clock.now_ms() if at_ms is None else at_ms, seconds, call_id, consumer_id, answered))
        if len(pending) >= SETTLE_AFTER or self._consumers.waiting:
            self.settle()

    def settle(self) -> None:
        """Record every answer observed so far."""
        pending = self._pending
        if not pending:
            return
        with self._settling:
            batch = [pending.popleft() for _ in range(len(pending))]
            if not batch:
                return
            at_ms, seconds, call_ids, consumer_ids, answered = zip(*batch, strict=True)
            routes, methods, paths, queries, statuses, consumers, faults, deliveries, heads = _columns(answered)
            self._journal.record_columns(
                Columns(
                    at_ms, methods, paths, queries, statuses, seconds, consumers, faults, _decoded(call_ids),
                    _decoded(consumer_ids),
                )
            )  # fmt: skip
            self._metrics.observe_columns(routes, statuses, seconds)
            self._consumers.observe_columns(Answers(consumers, routes, at_ms, statuses, deliveries, heads))

    def reset(self) -> None:
        with self._settling:
            self._pending.clear()
            self.faults.clear()
            self._journal.clear()
            self._consumers.reset()
            self._metrics.reset()


def _decoded(headers: tuple[bytes | None, ...]) -> tuple[str | None, ...]:
    """Header values as text, as HTTP/1.1 carries them (latin-1); most requests send none."""
    if headers.count(None) == len(headers):
        return (None,) * len(headers)
    return tuple(None if value is None else value.decode("latin-1") for value in headers)


def _columns(answered: tuple[Answered, ...]) -> tuple[tuple[Any, ...], ...]:
    """The answers' fields as columns. A batch of one answer sent again and again is the usual one: its columns are
    each one value repeated, made without a step per answer in Python."""
    if one_object(answered):
        return tuple((value,) * len(answered) for value in answered[0])
    return tuple(zip(*answered, strict=True))
