"""Scoped, seeded fault injection: which error, delay, dropped or truncated answer the next request gets."""

from __future__ import annotations

import math
import random
import threading
from collections.abc import Mapping
from dataclasses import dataclass, fields
from enum import StrEnum
from http import HTTPStatus
from types import MappingProxyType

from emulator.errors import GatewayError, error_body
from emulator.gateway import rate_limit_message

ROUTES = frozenset({"feed", "medl", "token"})
"""The routes a request can come from; a fault may also name "any"."""

_SPEC_ROUTES = ROUTES | {"any"}
_RETRY_AFTER_STATUSES = frozenset({429, 503})
_DEFAULT_RETRY_AFTER_SECONDS = 1


class FaultKind(StrEnum):
    STATUS = "status"
    LATENCY = "latency"
    DROP = "drop"  # the HTTP layer closes the connection part-way through the body
    TRUNCATE = "truncate"  # the HTTP layer sends a body cut short


def _is_int(value: object) -> bool:
    # bool is an int subclass; `"times": true` in an admin request is a mistake, not 1.
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class FaultSpec:
    """What to inject and for which requests; every filter that is set must match.

    `latency_ms` and `jitter_ms` may accompany any kind: a slow 503, a slow drop. `from_number` matches the
    request's `hendelsesnummer` exactly as the HTTP layer parsed it, so 0 and 1 are different pages here.
    """

    kind: FaultKind
    status: int | None = None
    retry_after_seconds: int | None = None
    latency_ms: int = 0
    jitter_ms: int = 0
    times: int | None = None
    consumer: str | None = None
    from_number: int | None = None
    route: str = "feed"
    probability: float = 1.0
    seed: int = 0

    def __post_init__(self) -> None:
        try:
            kind = FaultKind(self.kind)
        except ValueError:
            allowed = ", ".join(kind.value for kind in FaultKind)
            raise ValueError(f"kind must be one of {allowed}, got {self.kind!r}") from None
        # Admin requests arrive as JSON strings; keep the enum member so `is` comparisons hold.
        object.__setattr__(self, "kind", kind)
        self._check_status(kind)
        for name in ("latency_ms", "jitter_ms"):
            value = getattr(self, name)
            if not _is_int(value) or value < 0:
                raise ValueError(f"{name} must be an integer >= 0, got {value!r}")
        if kind is FaultKind.LATENCY and self.latency_ms == 0 and self.jitter_ms == 0:
            raise ValueError("a latency fault needs latency_ms or jitter_ms > 0")
        if self.times is not None and (not _is_int(self.times) or self.times < 1):
            raise ValueError(f"times must be an integer >= 1 or null (until removed), got {self.times!r}")
        if self.consumer is not None and (not isinstance(self.consumer, str) or not self.consumer):
            raise ValueError(f"consumer must be a non-empty string or null, got {self.consumer!r}")
        if self.route not in _SPEC_ROUTES:
            raise ValueError(f"route must be one of any, feed, medl, token, got {self.route!r}")
        if self.from_number is not None:
            if not _is_int(self.from_number) or self.from_number < 0:
                raise ValueError(f"from_number must be an integer >= 0 or null, got {self.from_number!r}")
            if self.route != "feed":
                raise ValueError("from_number selects a feed page, so it needs route 'feed'")
        probability = self.probability
        if (
            isinstance(probability, bool)
            or not isinstance(probability, int | float)
            or not math.isfinite(probability)
            or not 0 < probability <= 1
        ):
            raise ValueError(f"probability must be > 0 and <= 1, got {probability!r}")
        if not _is_int(self.seed):
            raise ValueError(f"seed must be an integer, got {self.seed!r}")

    def _check_status(self, kind: FaultKind) -> None:
        if kind is not FaultKind.STATUS:
            if self.status is not None:
                raise ValueError(f"status is only for kind 'status', not {kind.value!r}")
            if self.retry_after_seconds is not None:
                raise ValueError(f"retry_after_seconds is only for kind 'status', not {kind.value!r}")
            return
        if self.status is None:
            raise ValueError("a status fault needs a status (400-599)")
        if not _is_int(self.status) or not 400 <= self.status <= 599:
            raise ValueError(f"status must be an integer from 400 to 599, got {self.status!r}")
        if self.retry_after_seconds is not None:
            if self.status not in _RETRY_AFTER_STATUSES:
                raise ValueError(f"retry_after_seconds is only for status 429 or 503, not {self.status}")
            if not _is_int(self.retry_after_seconds) or self.retry_after_seconds < 0:
                raise ValueError(f"retry_after_seconds must be an integer >= 0, got {self.retry_after_seconds!r}")

    def matches(
        self, *, route: str, consumer: str | None, from_number: int | None, exempt: frozenset[str] = frozenset()
    ) -> bool:
        """Whether the request is in scope, before any probability is drawn; an exempt consumer only by name."""
        if self.route not in ("any", route):
            return False
        named = self.consumer == consumer
        if not named and (self.consumer is not None or consumer in exempt):
            return False
        return self.from_number is None or self.from_number == from_number


@dataclass(frozen=True)
class Decision:
    """What to do to one request; `body` is JSON (application/json) whenever it is set."""

    fault_id: str
    kind: FaultKind
    status: int | None
    headers: dict[str, str]
    body: bytes | None
    delay_ms: int


def gateway_status_answer(status: int, retry_after_seconds: int | None) -> tuple[dict[str, str], bytes]:
    """Headers and body API Management would send with `status`, as the gateway envelope renders them."""
    seconds = retry_after_seconds
    if status == 429:
        # A 429 without Retry-After is not what the gateway sends, so one is always given.
        seconds = _DEFAULT_RETRY_AFTER_SECONDS if seconds is None else seconds
        message = rate_limit_message(seconds)
    else:
        try:
            message = HTTPStatus(status).phrase
        except ValueError:
            # Codes without a registered reason phrase (499, 599) still deserve a readable message.
            message = "Error"
    headers = {} if seconds is None else {"Retry-After": str(seconds)}
    # The gateway's envelope names neither path nor time.
    return headers, error_body(GatewayError(status, message), path="", now_ms=0)


@dataclass
class _Active:
    fault_id: str
    spec: FaultSpec
    random: random.Random
    remaining: int | None
    applied: int = 0


class Faults:
    """The active faults, in insertion order; the first that matches a request decides its fate.

    A fault in scope draws from its own `random.Random(seed)` when its probability is below 1; a miss passes
    the request on to the next fault and uses none of its `times`. A hit uses one, and the fault is gone when
    none are left. Each fault's generator advances only on the requests it is asked about, so the same faults
    and the same sequence of requests give the same decisions.
    """

    def __init__(self, exempt: frozenset[str] = frozenset()) -> None:
        # Consumers that only a fault naming them reaches (the emulator's own dashboard).
        self._exempt = exempt
        self._active: dict[str, _Active] = {}
        # Read-only, and true when any fault is active: callers skip working out a request's scope when none is,
        # and read it on every request without a call into Python.
        self.active: Mapping[str, object] = MappingProxyType(self._active)
        self._next_id = 1
        # Sync route handlers run on a thread pool: decrementing `times` must not race.
        self._lock = threading.Lock()

    def add(self, spec: FaultSpec) -> str:
        with self._lock:
            fault_id = f"f{self._next_id}"
            self._next_id += 1
            self._active[fault_id] = _Active(fault_id, spec, random.Random(spec.seed), spec.times)
            return fault_id

    def remove(self, fault_id: str) -> bool:
        with self._lock:
            return self._active.pop(fault_id, None) is not None

    def list(self) -> list[dict[str, object]]:
        """Each active fault as plain JSON-ready values: id, the spec's fields, remaining and applied."""
        with self._lock:
            return [_describe(active) for active in self._active.values()]

    def clear(self) -> None:
        """Remove every fault and start the ids again at f1."""
        with self._lock:
            self._active.clear()
            self._next_id = 1

    def decide(self, *, route: str, consumer: str | None, from_number: int | None) -> Decision | None:
        if route not in ROUTES:
            raise ValueError(f"route must be one of feed, medl, token, got {route!r}")
        if not self._active:
            # Nearly every request: no fault is set, and nothing to lock for.
            return None
        with self._lock:
            for active in self._active.values():
                spec = active.spec
                if not spec.matches(route=route, consumer=consumer, from_number=from_number, exempt=self._exempt):
                    continue
                if spec.probability < 1 and active.random.random() >= spec.probability:
                    continue
                active.applied += 1
                if active.remaining is not None:
                    active.remaining -= 1
                    if active.remaining == 0:
                        del self._active[active.fault_id]
                return _decision(active)
            return None


def _decision(active: _Active) -> Decision:
    spec = active.spec
    delay_ms = spec.latency_ms
    if spec.jitter_ms:
        delay_ms += active.random.randint(0, spec.jitter_ms)
    headers: dict[str, str] = {}
    body: bytes | None = None
    if spec.kind is FaultKind.STATUS:
        assert spec.status is not None  # FaultSpec guarantees it for STATUS
        headers, body = gateway_status_answer(spec.status, spec.retry_after_seconds)
    return Decision(
        fault_id=active.fault_id,
        kind=spec.kind,
        status=spec.status,
        headers=headers,
        body=body,
        delay_ms=delay_ms,
    )


def _describe(active: _Active) -> dict[str, object]:
    described: dict[str, object] = {"id": active.fault_id}
    for spec_field in fields(FaultSpec):
        value = getattr(active.spec, spec_field.name)
        described[spec_field.name] = value.value if isinstance(value, FaultKind) else value
    described["remaining"] = active.remaining
    described["applied"] = active.applied
    return described
