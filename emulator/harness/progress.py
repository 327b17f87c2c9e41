"""A consumer's progress through the feed: what it was delivered, how far it has caught up, how it is shown."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import numpy.typing as npt


class Delivery(NamedTuple):
    """What a feed answer gave the consumer: where it asked from, the page size in effect, the events returned.

    `size` is None when the page was cut short by something other than the end of the feed (an injected fault).
    """

    requested_from: int | None
    size: int | None
    numbers: Sequence[int] | npt.NDArray[np.int64]


# The routes whose requests the consumer view counts: reads of the feed, and look-ups in MEDL.
COUNTED_ROUTES = frozenset({"feed", "medl"})


class Answers(NamedTuple):
    """Answered requests as `observe_columns` takes them: one sequence per field, in step.

    `delivery` is what a feed read delivered (None for a rejected read or another route), `head` the newest
    event's number when it was answered.
    """

    consumer: Sequence[str | None]
    route: Sequence[str]
    at_ms: Sequence[int]
    status: Sequence[int]
    delivery: Sequence[Delivery | None]
    head: Sequence[int]


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
class Progress:
    last_requested: int | None = None
    highest_delivered: int | None = None
    caught_up_to: int = 0
    requests: int = 0
    requests_by_status: dict[int, int] = field(default_factory=dict)
    last_seen_ms: int | None = None
    medl_requests: int = 0
    medl_requests_by_status: dict[int, int] = field(default_factory=dict)


def view_of(consumer: str, progress: Progress, head: int) -> ConsumerView:
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


def move(progress: Progress, delivery: Delivery, head: int) -> None:
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


def count_status(by_status: dict[int, int], status: int, count: int) -> None:
    by_status[status] = by_status.get(status, 0) + count
