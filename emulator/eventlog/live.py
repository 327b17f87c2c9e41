"""Live mode's schedule: when generated events are due on the injected clock (steady, Poisson, bursts)."""

from __future__ import annotations

import math
import random
from dataclasses import asdict, dataclass
from enum import StrEnum

MAX_EVENTS_PER_TICK = 10_000
# Live events due but not yet appended, at most: a clock moved far ahead (a year at 5/s is 157 million events)
# brings the newest this many, and the older ones are skipped and counted, so catching up takes seconds and
# memory stays bounded.
MAX_BACKLOG = 100_000


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

    More than MAX_BACKLOG events due at once (the clock moved ahead) skips the oldest of them: the schedule
    jumps to where MAX_BACKLOG remain due, and `skipped` counts the events jumped over (for Poisson, their
    expected number; the arrivals after the jump are drawn afresh, as a memoryless process allows).
    """

    def __init__(self, spec: LiveSpec, start_ms: int) -> None:
        self.spec = spec
        self.skipped = 0
        self._rng = random.Random(f"live:{spec.seed}")
        self._start_ms = start_ms
        self._arrivals = 0
        self._per_arrival = spec.burst_size if spec.pattern is Pattern.BURSTS else 1
        self._next_ms = self._following(float(start_ms))

    def due(self, now_ms: int) -> list[int]:
        """Timestamps of the events due by `now_ms`, oldest first (at most MAX_EVENTS_PER_TICK per call)."""
        self._skip_beyond_backlog(now_ms)
        due: list[int] = []
        while self._next_ms <= now_ms and len(due) < MAX_EVENTS_PER_TICK:
            due.extend([math.floor(self._next_ms)] * self._per_arrival)
            self._next_ms = self._following(self._next_ms)
        return due

    def skip(self, count: int) -> None:
        """Count events that were due but not appended (the log is full)."""
        self.skipped += count

    def _skip_beyond_backlog(self, now_ms: int) -> None:
        rate = self.spec.rate
        if (now_ms - self._next_ms) * rate / 1000 <= MAX_BACKLOG:
            return
        resume_ms = now_ms - MAX_BACKLOG * 1000 / rate
        if self.spec.pattern is Pattern.POISSON:
            self.skipped += round((resume_ms - self._next_ms) * rate / 1000)
            self._next_ms = resume_ms + self._rng.expovariate(rate) * 1000
            return
        # Arrival k is due at start + k * 1000 * per_arrival / rate: jump to the first one due after resume_ms.
        arrival = math.floor((resume_ms - self._start_ms) * rate / (1000 * self._per_arrival)) + 1
        self.skipped += (arrival - self._arrivals) * self._per_arrival
        self._arrivals = arrival
        self._next_ms = self._start_ms + arrival * 1000 * self._per_arrival / rate

    def _following(self, previous_ms: float) -> float:
        """When the next arrival (an event, or a whole burst) is due."""
        self._arrivals += 1
        if self.spec.pattern is Pattern.POISSON:
            return previous_ms + self._rng.expovariate(self.spec.rate) * 1000
        # An integer numerator, one division: an arrival due on a whole millisecond lands exactly on it.
        return self._start_ms + self._arrivals * 1000 * self._per_arrival / self.spec.rate
