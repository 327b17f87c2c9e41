"""Assertion ids already used: a `jti` is refused until the assertion that carried it has expired."""

from __future__ import annotations

from emulator.clock import Clock

_PRUNE_EVERY = 1024


class ReplayGuard:
    """Remembers each jti until its assertion's `exp`: memory holds about two minutes of assertions."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._expiry_by_jti: dict[str, float] = {}

    def seen(self, jti: str) -> bool:
        expiry = self._expiry_by_jti.get(jti)
        return expiry is not None and expiry * 1000 > self._clock.now_ms()

    def remember(self, jti: str, expires_at: float) -> None:
        self._expiry_by_jti[jti] = expires_at
        if len(self._expiry_by_jti) % _PRUNE_EVERY == 0:
            now = self._clock.now_ms() / 1000
            self._expiry_by_jti = {key: exp for key, exp in self._expiry_by_jti.items() if exp > now}

    def clear(self) -> None:
        self._expiry_by_jti.clear()

    def __len__(self) -> int:
        return len(self._expiry_by_jti)
