"""A run's measurement: requests, rate and latency percentiles on a fixed grid, and slices of a run combined."""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

HISTOGRAM_GROWTH = 1.01
# The percentiles each run reports, so that runs can be combined (see combine()).
PERCENTILE_GRID: tuple[float, ...] = (*range(1, 100), 99.5, 99.9, 99.99, 100)
_LOG_GROWTH = math.log(HISTOGRAM_GROWTH)


class Histogram:
    """Latencies in buckets growing by 1 %, from 1 µs up; percentiles read back at the bucket's upper edge."""

    def __init__(self) -> None:
        self.counts: dict[int, int] = {}
        self.total = 0
        self.maximum = 0.0

    def record(self, seconds: float) -> None:
        micros = max(seconds * 1e6, 1.0)
        bucket = int(math.log(micros) / _LOG_GROWTH)
        self.counts[bucket] = self.counts.get(bucket, 0) + 1
        self.total += 1
        self.maximum = max(self.maximum, seconds)

    def percentile(self, percent: float) -> float:
        """The latency in seconds below which `percent` % of the recorded ones lie."""
        if self.total == 0:
            return math.nan
        wanted = math.ceil(self.total * percent / 100)
        seen = 0
        for bucket in sorted(self.counts):
            seen += self.counts[bucket]
            if seen >= wanted:
                return min(HISTOGRAM_GROWTH ** (bucket + 1) / 1e6, self.maximum)
        return self.maximum


@dataclass(frozen=True)
class LoadResult:
    requests: int
    duration_s: float
    requests_per_s: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    errors: int
    non_2xx: int
    exhausted: bool = False
    # (percent, latency in ms) at each of PERCENTILE_GRID.
    grid: tuple[tuple[float, float], ...] = ()

    @classmethod
    def measured(
        cls,
        *,
        requests: int,
        duration_s: float,
        percentile: Callable[[float], float],
        max_ms: float,
        errors: int,
        non_2xx: int,
        exhausted: bool,
    ) -> LoadResult:
        """A run's result from its counts and `percentile(percent)`, its latency in ms at each of PERCENTILE_GRID."""
        return cls(
            requests=requests,
            duration_s=duration_s,
            requests_per_s=requests / duration_s if duration_s else 0.0,
            p50_ms=percentile(50),
            p90_ms=percentile(90),
            p99_ms=percentile(99),
            max_ms=max_ms,
            errors=errors,
            non_2xx=non_2xx,
            exhausted=exhausted,
            grid=tuple((percent, percentile(percent)) for percent in PERCENTILE_GRID),
        )

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        del data["grid"]
        return data

    def fraction_at_most(self, latency_ms: float) -> float:
        """The share of this run's requests that took at most latency_ms, interpolated on its percentile grid."""
        values = [value for _, value in self.grid]
        below = bisect.bisect_right(values, latency_ms)
        if below == len(values):
            return 1.0
        if below == 0:
            first_percent, first_value = self.grid[0]
            return first_percent / 100 * (latency_ms / first_value if first_value > 0 else 0.0)
        (low_percent, low_value), (high_percent, high_value) = self.grid[below - 1], self.grid[below]
        share = (latency_ms - low_value) / (high_value - low_value)
        return (low_percent + share * (high_percent - low_percent)) / 100


def combine(results: Sequence[LoadResult]) -> LoadResult:
    """Several runs (slices of one measurement) as one: rates over the summed time, percentiles of the union.

    The union's percentiles are found from each run's percentile grid, weighted by its request count: exact at the
    grid's points for one run, within the grid's interpolation for several.
    """
    if len(results) == 1:
        return results[0]
    total = sum(result.requests for result in results)
    duration = sum(result.duration_s for result in results)
    maximum = max(result.max_ms for result in results)
    weighted = [result for result in results if result.requests and result.grid]

    def percentile(percent: float) -> float:
        if not weighted:
            return math.nan
        low, high = 0.0, maximum
        for _ in range(60):
            middle = (low + high) / 2
            share = sum(result.requests * result.fraction_at_most(middle) for result in weighted) / total
            if share >= percent / 100:
                high = middle
            else:
                low = middle
        return high

    return LoadResult.measured(
        requests=total,
        duration_s=duration,
        percentile=percentile,
        max_ms=maximum,
        errors=sum(result.errors for result in results),
        non_2xx=sum(result.non_2xx for result in results),
        exhausted=any(result.exhausted for result in results),
    )
