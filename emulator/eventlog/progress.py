"""A large build's progress as log records (events built, rate, time left), for whoever shows them."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

LOGGER_NAME = "emulator.build"
# Smaller logs are built in a few seconds at most; their start says nothing until it is done.
MIN_EVENTS = 5_000_000


class BuildProgress:
    """Called with the fraction done; logs a line every `interval` seconds and one at the end."""

    def __init__(self, events: int, clock: Callable[[], float] = time.monotonic, interval: float = 2.0) -> None:
        self._events = events
        self._clock = clock
        self._interval = interval
        self._started = self._last = clock()
        self._logger = logging.getLogger(LOGGER_NAME)

    def __call__(self, fraction: float) -> None:
        now = self._clock()
        if now - self._last < self._interval and fraction < 1:
            return
        self._last = now
        self._logger.info(describe(self._events, fraction, now - self._started))


def describe(events: int, fraction: float, elapsed: float) -> str:
    built = int(events * fraction)
    rate = built / elapsed if elapsed > 0 else 0.0
    if fraction >= 1:
        return f"built {events:,} events in {elapsed:.1f} s ({rate:,.0f} events/s)"
    left = elapsed * (1 - fraction) / fraction if fraction > 0 else float("nan")
    return f"building the log: {built:,} of {events:,} events, {rate:,.0f} events/s, about {left:.0f} s left"
