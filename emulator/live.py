"""Live mode's schedule: when generated events are due on the injected clock (steady, Poisson, bursts)."""

from __future__ import annotations

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
    """Due times follow the clock: frozen, it brings no events; advanced, it brings those due meanwhile."""

    def __init__(self, spec: LiveSpec, start_ms: int) -> None:
        self.spec = spec
        self._rng = random.Random(f"live:{spec.seed}")
        self._next_ms = start_ms + self._gap_ms()

    def due(self, now_ms: int) -> list[int]:
        """Timestamps of the events due by `now_ms`, oldest first (at most MAX_EVENTS_PER_TICK per call)."""
        due: list[int] = []
        while self._next_ms <= now_ms and len(due) < MAX_EVENTS_PER_TICK:
            count = self.spec.burst_size if self.spec.pattern is Pattern.BURSTS else 1
            due.extend([self._next_ms] * count)
            self._next_ms += self._gap_ms()
        return due

    def _gap_ms(self) -> int:
        spec = self.spec
        if spec.pattern is Pattern.STEADY:
            return max(round(1000 / spec.rate), 1)
        if spec.pattern is Pattern.BURSTS:
            return max(round(1000 * spec.burst_size / spec.rate), 1)
        return max(round(self._rng.expovariate(spec.rate) * 1000), 1)
