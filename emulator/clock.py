"""The only source of "now": a system clock, or one a test can freeze, set and advance."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    """Milliseconds since the Unix epoch, UTC."""

    def now_ms(self) -> int: ...


class SystemClock:
    """Wall-clock time."""

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000


class ControlledClock:
    """A clock that follows the system clock from an offset, or stands still when frozen.

    Tests and the admin API move it; token lifetimes and new events' timestamps follow it.
    """

    def __init__(self, source: Clock | None = None, *, frozen_at_ms: int | None = None) -> None:
        self._source = source or SystemClock()
        self._system = type(self._source) is SystemClock
        self._offset_ms = 0
        self._frozen_at_ms = frozen_at_ms

    @property
    def frozen(self) -> bool:
        return self._frozen_at_ms is not None

    def now_ms(self) -> int:
        if self._frozen_at_ms is not None:
            return self._frozen_at_ms
        if self._system:
            # The usual source, read without a call through it: this runs on every request.
            return time.time_ns() // 1_000_000 + self._offset_ms
        return self._source.now_ms() + self._offset_ms

    def freeze(self) -> None:
        self._frozen_at_ms = self.now_ms()

    def unfreeze(self) -> None:
        if self._frozen_at_ms is not None:
            self._offset_ms = self._frozen_at_ms - self._source.now_ms()
            self._frozen_at_ms = None

    def set(self, instant_ms: int) -> None:
        if self._frozen_at_ms is not None:
            self._frozen_at_ms = instant_ms
        else:
            self._offset_ms = instant_ms - self._source.now_ms()

    def advance(self, delta_ms: int) -> None:
        self.set(self.now_ms() + delta_ms)

    def reset(self) -> None:
        self._offset_ms = 0
        self._frozen_at_ms = None

    def state(self) -> tuple[int, int | None]:
        """Offset from the source clock and the frozen instant, to persist and restore."""
        return self._offset_ms, self._frozen_at_ms

    def restore(self, offset_ms: int, frozen_at_ms: int | None) -> None:
        self._offset_ms, self._frozen_at_ms = offset_ms, frozen_at_ms
