"""What the tester controls and observes, as one object: faults, journal, consumers and metrics, reset together."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from emulator.clock import Clock
from emulator.harness.consumers import ConsumerTracker
from emulator.harness.faults import Faults
from emulator.harness.journal import Journal
from emulator.harness.metrics import Metrics


class Delivery(NamedTuple):
    """What a feed answer gave the consumer: where it asked from, the page size in effect, the events returned.

    `size` is None when the page was cut short by something other than the end of the feed (an injected fault).
    """

    requested_from: int | None
    size: int | None
    numbers: Sequence[int] | npt.NDArray[np.int64]


# The emulator's own dashboard reads the feed as a consumer would, but it is not one the tester is testing: it is
# left out of the consumer view, and only a fault scoped to it by name reaches it.
DASHBOARD_CONSUMER = "client:emulator-dashboard"
_OWN_CONSUMERS = frozenset({DASHBOARD_CONSUMER})


def consumer_name(client_id: str | None, key_label: int | None = None) -> str | None:
    """`client:<client_id>` when a token names one, else `key:<n>`, the key's place in the list, never the key."""
    if client_id:
        return f"client:{client_id}"
    return f"key:{key_label}" if key_label is not None else None


class Harness:
    def __init__(self, clock: Clock, journal_size: int) -> None:
        self._clock = clock
        self.faults = Faults(exempt=_OWN_CONSUMERS)
        self.journal = Journal(journal_size)
        self.consumers = ConsumerTracker(clock)
        self.metrics = Metrics()

    def observe(  # noqa: PLR0917 - positional: it runs on every request, and keywords cost more to pass
        self,
        route: str,
        method: str,
        path: str,
        query: str,
        status: int,
        seconds: float,
        consumer: str | None,
        fault_id: str | None,
        delivery: Delivery | None,
        head: int,
        call_id: str | None = None,
        consumer_id: str | None = None,
    ) -> None:
        """Journal, metrics and the consumer view, after every answer of an emulated endpoint."""
        now_ms = self._clock.now_ms()
        self.journal.record(now_ms, method, path, query, status, seconds, consumer, fault_id, call_id, consumer_id)
        self.metrics.observe_request(route, status, seconds)
        if consumer is None or consumer in _OWN_CONSUMERS:
            return
        if route == "medl":
            self.consumers.observe_lookup(consumer, status=status, at_ms=now_ms)
        elif route == "feed":
            if delivery is None:
                self.consumers.observe(
                    consumer, status=status, requested_from=None, size=None, delivered=(), head=head, at_ms=now_ms
                )
            else:
                self.consumers.observe(
                    consumer,
                    status=status,
                    requested_from=delivery.requested_from,
                    size=delivery.size,
                    delivered=delivery.numbers,
                    head=head,
                    at_ms=now_ms,
                )

    def reset(self) -> None:
        self.faults.clear()
        self.journal.clear()
        self.consumers.reset()
        self.metrics.reset()
