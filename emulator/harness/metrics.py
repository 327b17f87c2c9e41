"""Prometheus metrics in text exposition format 0.0.4, written by hand so that no client library is needed."""

from __future__ import annotations

import bisect
import math
import re
import threading
from collections.abc import Mapping, Sequence
from types import MappingProxyType

import numpy as np

from emulator.harness.columns import tally

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

BUCKETS: tuple[float, ...] = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)

REQUESTS = "trygdehendelser_requests_total"
DURATION = "trygdehendelser_request_duration_seconds"
LOG_EVENTS = "trygdehendelser_log_events"
LOG_HEAD = "trygdehendelser_log_head"
CONSUMER_LAG = "trygdehendelser_consumer_lag"
CONSUMER_REQUESTS = "trygdehendelser_consumer_requests_total"
JOURNAL_EVICTED = "trygdehendelser_journal_evicted_total"
_BUILT_IN = frozenset({REQUESTS, DURATION, LOG_EVENTS, LOG_HEAD, CONSUMER_LAG, CONSUMER_REQUESTS, JOURNAL_EVICTED})
_NO_CONSUMER_REQUESTS: Mapping[tuple[str, str], int] = MappingProxyType({})

_BOUNDS = np.array(BUCKETS, dtype=np.float64)
# A batch of this many durations or more is counted with numpy, whose fixed cost per call a few do not repay.
_ARRAY_FROM = 32
_METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_NO_EXTRA_GAUGES: Mapping[str, float] = MappingProxyType({})


class _Histogram:
    __slots__ = ("counts", "sum")

    def __init__(self) -> None:
        # Per bucket, not cumulative: observing is one increment; render adds them up. The last is +Inf.
        self.counts = [0] * (len(BUCKETS) + 1)
        self.sum = 0.0

    def add(self, durations: Sequence[float]) -> None:
        """Count durations, in order. A duration taken from a clock that was set back can come out negative;
        Prometheus requires a histogram's sum and buckets never to go down, so such a duration counts as zero.

        The sum is added up one by one, in order, as each would have been added alone, so it comes out the same
        however the durations were batched; `le` is inclusive: a value equal to a bound belongs to that bucket.
        """
        if len(durations) < _ARRAY_FROM:
            total = self.sum
            for duration in durations:
                counted = duration if duration > 0 else 0.0
                self.counts[bisect.bisect_left(BUCKETS, counted)] += 1
                total += counted
            self.sum = total
            return
        # fmax makes a NaN zero, as the loop above does; a -0.0 it may keep adds and buckets as 0.0 does.
        array = np.fmax(np.fromiter(durations, dtype=np.float64, count=len(durations)), 0.0)
        per_bucket = np.bincount(np.searchsorted(_BOUNDS, array, side="left"), minlength=len(self.counts))
        self.counts = [count + int(more) for count, more in zip(self.counts, per_bucket.tolist(), strict=True)]
        # A running sum, not numpy's pairwise one: the same additions in the same order as one at a time.
        self.sum = float(np.add.accumulate(np.concatenate(((self.sum,), array)))[-1])


class Metrics:
    """Request counters and latency histograms per route; gauges come from the caller at render time."""

    def __init__(self) -> None:
        self._requests: dict[tuple[str, int], int] = {}
        self._durations: dict[str, _Histogram] = {}
        # Sync routes run in a thread pool; a scrape must not see a histogram half-updated.
        self._lock = threading.Lock()

    def observe_request(self, route: str, status: int, seconds: float) -> None:
        """Count one answered request. `route` is a route template, not a raw path, to bound the series."""
        self.observe_columns((route,), (status,), (seconds,))

    def observe_columns(self, routes: Sequence[str], statuses: Sequence[int], seconds: Sequence[float]) -> None:
        """Count answered requests given as columns in step: the i-th request's route, status and duration."""
        if not routes:
            return
        by_route: Mapping[str, Sequence[float]]
        if routes.count(routes[0]) == len(routes):
            by_route = {routes[0]: seconds}
        else:
            grouped: dict[str, list[float]] = {}
            for route, duration in zip(routes, seconds, strict=True):
                grouped.setdefault(route, []).append(duration)
            by_route = grouped
        with self._lock:
            counts = self._requests
            for key, count in tally(routes, statuses).items():
                counts[key] = counts.get(key, 0) + count
            for route, durations in by_route.items():
                histogram = self._durations.get(route)
                if histogram is None:
                    histogram = self._durations[route] = _Histogram()
                histogram.add(durations)

    def render(
        self,
        *,
        log_size: int,
        head: int,
        consumer_lag: Mapping[str, int],
        journal_evicted: int,
        consumer_requests: Mapping[tuple[str, str], int] = _NO_CONSUMER_REQUESTS,
        extra_gauges: Mapping[str, float] = _NO_EXTRA_GAUGES,
    ) -> str:
        """The whole exposition, families and series in a fixed order so that two scrapes can be diffed."""
        for name in extra_gauges:
            if not _METRIC_NAME.fullmatch(name) or name in _BUILT_IN:
                raise ValueError(f"not a usable metric name for an extra gauge: {name!r}")
        lines: list[str] = []
        with self._lock:
            _family(lines, REQUESTS, "counter", "Requests answered, by route template and status.")
            for (route, status), count in sorted(self._requests.items()):
                lines.append(_sample(REQUESTS, {"route": route, "status": str(status)}, count))
            _family(lines, DURATION, "histogram", "Time to answer a request, by route template, in seconds.")
            for route, histogram in sorted(self._durations.items()):
                cumulative = 0
                for bound, count in zip([*BUCKETS, math.inf], histogram.counts, strict=True):
                    cumulative += count
                    labels = {"route": route, "le": _number(bound)}
                    lines.append(_sample(f"{DURATION}_bucket", labels, cumulative))
                lines.append(_sample(f"{DURATION}_sum", {"route": route}, histogram.sum))
                lines.append(_sample(f"{DURATION}_count", {"route": route}, cumulative))
        _family(lines, LOG_EVENTS, "gauge", "Events in the log.")
        lines.append(_sample(LOG_EVENTS, {}, log_size))
        _family(lines, LOG_HEAD, "gauge", "The newest event's hendelsesnummer (0 when the log is empty).")
        lines.append(_sample(LOG_HEAD, {}, head))
        _family(lines, CONSUMER_LAG, "gauge", "Events after the number up to which a consumer has caught up.")
        for consumer, lag in sorted(consumer_lag.items()):
            lines.append(_sample(CONSUMER_LAG, {"consumer": consumer}, lag))
        _family(lines, CONSUMER_REQUESTS, "counter", "Requests a consumer made, by API: feed reads and MEDL look-ups.")
        for (consumer, route), count in sorted(consumer_requests.items()):
            lines.append(_sample(CONSUMER_REQUESTS, {"consumer": consumer, "route": route}, count))
        _family(lines, JOURNAL_EVICTED, "counter", "Request journal entries dropped at its capacity.")
        lines.append(_sample(JOURNAL_EVICTED, {}, journal_evicted))
        for name, value in sorted(extra_gauges.items()):
            _family(lines, name, "gauge", f"Emulator gauge {name}.")
            lines.append(_sample(name, {}, value))
        return "\n".join(lines) + "\n"

    def reset(self) -> None:
        with self._lock:
            self._requests.clear()
            self._durations.clear()


def _family(lines: list[str], name: str, kind: str, help_text: str) -> None:
    escaped = help_text.replace("\\", "\\\\").replace("\n", "\\n")
    lines.append(f"# HELP {name} {escaped}")
    lines.append(f"# TYPE {name} {kind}")


def _sample(name: str, labels: Mapping[str, str], value: float) -> str:
    if not labels:
        return f"{name} {_number(value)}"
    pairs = ",".join(f'{key}="{_escape_label(text)}"' for key, text in labels.items())
    return f"{name}{{{pairs}}} {_number(value)}"


def _escape_label(text: str) -> str:
    # The order matters: backslashes first, or the escapes added for quotes and newlines get doubled.
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    """Go's shortest form, as Prometheus' own clients write it: 1 not 1.0, +Inf, NaN."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if float(value).is_integer() and abs(value) < 2**53:
        return str(int(value))
    return repr(float(value))
