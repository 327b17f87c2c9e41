"""API Management's `rate-limit-by-key`: at most `calls` per key in any sliding window of `period_seconds`."""

from __future__ import annotations

import threading
from collections import deque

from emulator.clock import Clock


def rate_limit_message(seconds: int) -> str:
    """The gateway's 429 message; it says "seconds" even for 1, as API Management does."""
    return f"Rate limit is exceeded. Try again in {seconds} seconds."


class RateLimiter:
    """A sliding log per key, because API Management documents `renewal-period` as a sliding window.

    A call at instant t counts against the key until t + period. `check` admits and records a call while fewer
    than `calls` are counted; otherwise it answers the whole seconds until the oldest counted call expires
    (rounded up, at least 1), which is what API Management puts in `Retry-After`. Rejected calls are not
    counted, so a client that honours `Retry-After` gets through when told.

    Memory stays bounded: a key holds at most `calls` instants, and keys with nothing left in their window are
    forgotten by a sweep that runs at most once a period. Calls stamped after "now" (the controlled clock was
    moved back) are discarded, so moving the clock back never blocks a key for longer than one period.
    """

    def __init__(self, clock: Clock, calls: int, period_seconds: int) -> None:
        if isinstance(calls, bool) or not isinstance(calls, int) or calls < 1:
            raise ValueError(f"calls must be an integer >= 1, got {calls!r}")
        if isinstance(period_seconds, bool) or not isinstance(period_seconds, int) or period_seconds < 1:
            raise ValueError(f"period_seconds must be an integer >= 1, got {period_seconds!r}")
        self._clock = clock
        self._calls = calls
        self._period_ms = period_seconds * 1000
        self._logs: dict[str, deque[int]] = {}
        self._last_sweep_ms = clock.now_ms()
        # Sync handlers run on a thread pool: unlocked, two requests could both take the last slot.
        self._lock = threading.Lock()

    @property
    def calls(self) -> int:
        return self._calls

    @property
    def period_seconds(self) -> int:
        return self._period_ms // 1000

    def check(self, key: str) -> int | None:
        """None if the call is admitted (and now counted); else the seconds to wait before retrying."""
        with self._lock:
            now = self._clock.now_ms()
            self._maybe_sweep(now)
            log = self._logs.get(key)
            if log is None:
                self._logs[key] = deque([now])
                return None
            self._prune(log, now)
            if len(log) < self._calls:
                log.append(now)
                return None
            wait_ms = log[0] + self._period_ms - now
            return max(1, -(-wait_ms // 1000))

    def reset(self) -> None:
        with self._lock:
            self._logs.clear()
            self._last_sweep_ms = self._clock.now_ms()

    def tracked_keys(self) -> int:
        """How many keys are held in memory; for tests and diagnostics."""
        with self._lock:
            return len(self._logs)

    def _prune(self, log: deque[int], now: int) -> None:
        while log and log[0] + self._period_ms <= now:
            log.popleft()
        while log and log[-1] > now:
            log.pop()

    def _maybe_sweep(self, now: int) -> None:
        # Once a period is enough: a key's entries all expire within one period of its last call.
        if self._last_sweep_ms <= now < self._last_sweep_ms + self._period_ms:
            return
        for key in list(self._logs):
            log = self._logs[key]
            self._prune(log, now)
            if not log:
                del self._logs[key]
        self._last_sweep_ms = now
