"""Live mode's schedule: when generated events are due on the injected clock (steady, Poisson, bursts)."""

from __future__ import annotations

import math
import random
from dataclasses import asdict, dataclass
from enum import StrEnum

MAX_EVENTS_PER_TICK = 10_000


class Pattern(StrEnum):
    STEADY = "steady"
    POISSON = "poisson"
    BURSTS = "bursts"


@dataclass(frozen=True)
class LiveSpec:
    """`rate` events per second on average; bursts come `burst_size` at a time."""

    rate: float
    pattern: Pattern = Pattern.POISSON
    burst_size: int = 10
    seed: int = 0

    def __post_init__(self) -> None:
        if not 0 < self.rate <= 10_000:
            raise ValueError("rate must be above 0 and at most 10000 events per second")
        if not 1 <= self.burst_size <= 10_000:
            raise ValueError("burst_size must be between 1 and 10000")

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


class LiveSchedule:
    """Due times follow the clock: frozen, it brings no events; advanced, it brings those due meanwhile.

    The schedule is kept in fractional milliseconds, so that any rate up to the limit is kept on average (an
    event every 0.4 ms at 2,500/s); events due within the same millisecond share its timestamp. Steady and burst
    times are computed from the start, not summed, so they never drift.
    """

    def __init__(self, spec: LiveSpec, start_ms: int) -> None:
        self.spec = spec
        self._rng = random.Random(f"live:{spec.seed}")
        self._start_ms = start_ms
        self._arrivals = 0
        self._next_ms = self._following(float(start_ms))

    def due(self, now_ms: int) -> list[int]:
        """Timestamps of the events due by `now_ms`, oldest first (at most MAX_EVENTS_PER_TICK per call)."""
        due: list[int] = []
        while self._next_ms <= now_ms and len(due) < MAX_EVENTS_PER_TICK:
            count = self.spec.burst_size if self.spec.pattern is Pattern.BURSTS else 1
            due.extend([math.floor(self._next_ms)] * count)
            self._next_ms = self._following(self._next_ms)
        return due

    def _following(self, previous_ms: float) -> float:
        """When the next arrival (an event, or a whole burst) is due."""
        spec = self.spec
        self._arrivals += 1
        if spec.pattern is Pattern.POISSON:
            return previous_ms + self._rng.expovariate(spec.rate) * 1000
        per_arrival = spec.burst_size if spec.pattern is Pattern.BURSTS else 1
        # An integer numerator, one division: an arrival due on a whole millisecond lands exactly on it.
        return self._start_ms + self._arrivals * 1000 * per_arrival / spec.rate
