"""Faults: validated specs, gateway-style answers, scoping, `times`, insertion order, seeded determinism."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from emulator.errors import GatewayError, error_body
from emulator.harness.faults import Decision, FaultKind, Faults, FaultSpec

FEED: dict[str, Any] = {"route": "feed", "consumer": "key:1", "from_number": 1}
TOKEN: dict[str, Any] = {"route": "token", "consumer": "client:my-client", "from_number": None}


def _decide(faults: Faults, **request: Any) -> Decision | None:
    return faults.decide(**{**FEED, **request})


def _only(spec: FaultSpec) -> Faults:
    faults = Faults()
    faults.add(spec)
    return faults


# ---------------------------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"kind": FaultKind.STATUS}, "needs a status"),
        ({"kind": FaultKind.STATUS, "status": 399}, "400 to 599"),
        ({"kind": FaultKind.STATUS, "status": 600}, "400 to 599"),
        ({"kind": FaultKind.STATUS, "status": True}, "400 to 599"),
        ({"kind": FaultKind.STATUS, "status": 500, "retry_after_seconds": 3}, "only for status 429 or 503"),
        ({"kind": FaultKind.STATUS, "status": 429, "retry_after_seconds": -1}, "retry_after_seconds"),
        ({"kind": FaultKind.LATENCY, "status": 500, "latency_ms": 10}, "only for kind 'status'"),
        ({"kind": FaultKind.DROP, "retry_after_seconds": 1}, "only for kind 'status'"),
        ({"kind": FaultKind.LATENCY}, "latency_ms or jitter_ms"),
        ({"kind": FaultKind.LATENCY, "latency_ms": -1}, "latency_ms"),
        ({"kind": FaultKind.LATENCY, "latency_ms": 5, "jitter_ms": -1}, "jitter_ms"),
        ({"kind": FaultKind.DROP, "times": 0}, "times"),
        ({"kind": FaultKind.DROP, "times": -2}, "times"),
        ({"kind": FaultKind.DROP, "probability": 0.0}, "probability"),
        ({"kind": FaultKind.DROP, "probability": 1.5}, "probability"),
        ({"kind": FaultKind.DROP, "probability": float("nan")}, "probability"),
        ({"kind": FaultKind.DROP, "route": "admin"}, "route"),
        ({"kind": FaultKind.DROP, "route": "token", "from_number": 5}, "needs route 'feed'"),
        ({"kind": FaultKind.DROP, "from_number": -1}, "from_number"),
        ({"kind": FaultKind.DROP, "consumer": ""}, "consumer"),
        ({"kind": "explode"}, "kind must be one of"),
    ],
    ids=[
        "status-without-status",
        "status-below-400",
        "status-above-599",
        "status-bool",
        "retry-after-on-500",
        "negative-retry-after",
        "status-on-latency",
        "retry-after-on-drop",
        "latency-without-delay",
        "negative-latency",
        "negative-jitter",
        "zero-times",
        "negative-times",
        "zero-probability",
        "probability-above-one",
        "probability-nan",
        "unknown-route",
        "from-number-on-token",
        "negative-from-number",
        "empty-consumer",
        "unknown-kind",
    ],
)
def test_nonsense_specs_are_refused_with_a_clear_message(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        FaultSpec(**fields)


@pytest.mark.parametrize(
    "spec",
    [
        FaultSpec(FaultKind.STATUS, status=503, retry_after_seconds=0),
        FaultSpec(FaultKind.STATUS, status=500, latency_ms=200, jitter_ms=50),
        FaultSpec(FaultKind.LATENCY, jitter_ms=1),
        FaultSpec(FaultKind.DROP, route="any", probability=1e-9, times=1),
        FaultSpec(FaultKind.TRUNCATE, consumer="key:1", from_number=0),
    ],
    ids=["503-retry-now", "slow-500", "jitter-only", "rare-drop-anywhere", "truncate-one-page"],
)
def test_sensible_specs_are_accepted(spec: FaultSpec) -> None:
    assert Faults().add(spec) == "f1"


def test_a_kind_given_as_text_becomes_the_enum_member() -> None:
    spec = FaultSpec(kind="truncate")  # type: ignore[arg-type]  # as an admin request's JSON would give it
    assert spec.kind is FaultKind.TRUNCATE


# ------------------------------------------------------------------------------------------------- answers


@pytest.mark.parametrize(
    ("retry_after_seconds", "seconds"),
    [(None, 1), (3, 3), (120, 120)],
    ids=["default", "three", "two-minutes"],
)
def test_a_429_is_the_gateways_rate_limit_answer(retry_after_seconds: int | None, seconds: int) -> None:
    faults = _only(FaultSpec(FaultKind.STATUS, status=429, retry_after_seconds=retry_after_seconds))
    decision = _decide(faults)
    assert decision is not None
    assert decision.status == 429
    assert decision.headers == {"Retry-After": str(seconds)}
    assert decision.body is not None
    assert orjson.loads(decision.body) == {
        "statusCode": 429,
        "message": f"Rate limit is exceeded. Try again in {seconds} seconds.",
    }


@pytest.mark.parametrize(
    ("status", "retry_after_seconds", "message", "headers"),
    [
        (500, None, "Internal Server Error", {}),
        (502, None, "Bad Gateway", {}),
        (503, None, "Service Unavailable", {}),
        (503, 30, "Service Unavailable", {"Retry-After": "30"}),
        (504, None, "Gateway Timeout", {}),
        (404, None, "Not Found", {}),
        (599, None, "Error", {}),
    ],
    ids=["500", "502", "503", "503-retry-after", "504", "404", "unregistered-599"],
)
def test_other_statuses_carry_the_gateway_envelope_with_the_reason_phrase(
    status: int, retry_after_seconds: int | None, message: str, headers: dict[str, str]
) -> None:
    faults = _only(FaultSpec(FaultKind.STATUS, status=status, retry_after_seconds=retry_after_seconds))
    decision = _decide(faults)
    assert decision is not None
    assert (decision.status, decision.headers) == (status, headers)
    assert decision.body is not None
    assert orjson.loads(decision.body) == {"statusCode": status, "message": message}


@pytest.mark.parametrize("status", [429, 503], ids=["429", "503"])
def test_a_status_body_has_the_same_bytes_as_the_gateways_own_errors(status: int) -> None:
    decision = _decide(_only(FaultSpec(FaultKind.STATUS, status=status, retry_after_seconds=7)))
    assert decision is not None
    assert decision.body is not None
    message = orjson.loads(decision.body)["message"]
    rendered = error_body(GatewayError(status, message), path="/x", now_ms=0)
    assert decision.body == rendered


@pytest.mark.parametrize(
    "kind", [FaultKind.LATENCY, FaultKind.DROP, FaultKind.TRUNCATE], ids=["latency", "drop", "truncate"]
)
def test_non_status_faults_carry_only_their_kind_and_delay(kind: FaultKind) -> None:
    decision = _decide(_only(FaultSpec(kind, latency_ms=250)))
    assert decision == Decision(fault_id="f1", kind=kind, status=None, headers={}, body=None, delay_ms=250)


def test_jitter_is_uniform_over_zero_to_jitter_inclusive() -> None:
    faults = _only(FaultSpec(FaultKind.LATENCY, latency_ms=100, jitter_ms=50, seed=3))
    delays = []
    for _ in range(2_000):
        decision = _decide(faults)
        assert decision is not None
        delays.append(decision.delay_ms)
    assert set(delays) == set(range(100, 151))


def test_no_faults_means_no_decision() -> None:
    assert _decide(Faults()) is None


def test_an_unknown_request_route_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="route"):
        Faults().decide(route="fed", consumer=None, from_number=None)


# --------------------------------------------------------------------------------------------------- scope


@pytest.mark.parametrize(
    ("spec_route", "request_route", "applies"),
    [
        ("feed", "feed", True),
        ("feed", "token", False),
        ("token", "token", True),
        ("token", "feed", False),
        ("any", "feed", True),
        ("any", "token", True),
    ],
    ids=["feed-feed", "feed-token", "token-token", "token-feed", "any-feed", "any-token"],
)
def test_a_fault_applies_only_to_its_route(spec_route: str, request_route: str, applies: bool) -> None:
    faults = _only(FaultSpec(FaultKind.DROP, route=spec_route))
    request = FEED if request_route == "feed" else TOKEN
    assert (faults.decide(**request) is not None) is applies


@pytest.mark.parametrize(
    ("consumer", "applies"),
    [("key:1", True), ("key:2", False), (None, False)],
    ids=["same-consumer", "other-consumer", "anonymous"],
)
def test_a_consumer_scoped_fault_spares_everyone_else(consumer: str | None, applies: bool) -> None:
    faults = _only(FaultSpec(FaultKind.DROP, consumer="key:1"))
    assert (_decide(faults, consumer=consumer) is not None) is applies


@pytest.mark.parametrize(
    ("from_number", "applies"),
    [(101, True), (100, False), (102, False), (None, False)],
    ids=["that-page", "page-before", "page-after", "no-number"],
)
def test_a_page_scoped_fault_hits_only_that_page(from_number: int | None, applies: bool) -> None:
    faults = _only(FaultSpec(FaultKind.TRUNCATE, from_number=101))
    assert (_decide(faults, from_number=from_number) is not None) is applies


def test_an_unscoped_fault_hits_every_consumer_and_page() -> None:
    faults = _only(FaultSpec(FaultKind.DROP))
    requests: list[dict[str, Any]] = [
        {"consumer": None, "from_number": None},
        {"consumer": "key:9", "from_number": 7_000},
    ]
    assert all(_decide(faults, **request) is not None for request in requests)


# ------------------------------------------------------------------------------------- order, times, ids


def test_the_first_matching_fault_in_insertion_order_wins() -> None:
    faults = Faults()
    faults.add(FaultSpec(FaultKind.DROP, consumer="key:2"))
    faults.add(FaultSpec(FaultKind.STATUS, status=502))
    faults.add(FaultSpec(FaultKind.STATUS, status=503))
    first = _decide(faults, consumer="key:1")
    second = _decide(faults, consumer="key:2")
    assert first is not None
    assert second is not None
    assert (first.fault_id, first.status) == ("f2", 502)
    assert (second.fault_id, second.kind) == ("f1", FaultKind.DROP)


@pytest.mark.parametrize("times", [1, 2, 5], ids=["once", "twice", "five-times"])
def test_a_fault_with_times_applies_that_often_then_is_gone(times: int) -> None:
    faults = _only(FaultSpec(FaultKind.STATUS, status=500, times=times))
    outcomes = [_decide(faults) is not None for _ in range(times + 3)]
    assert outcomes == [True] * times + [False] * 3
    assert faults.list() == []


def test_a_used_up_fault_lets_the_next_one_through() -> None:
    faults = Faults()
    faults.add(FaultSpec(FaultKind.STATUS, status=503, times=1))
    faults.add(FaultSpec(FaultKind.STATUS, status=500))
    statuses = [decision.status for decision in (_decide(faults), _decide(faults)) if decision]
    assert statuses == [503, 500]


def test_a_fault_without_times_stays_until_removed() -> None:
    faults = Faults()
    fault_id = faults.add(FaultSpec(FaultKind.DROP))
    assert all(_decide(faults) is not None for _ in range(100))
    assert faults.remove(fault_id) is True
    assert faults.remove(fault_id) is False
    assert _decide(faults) is None


def test_the_listing_shows_the_spec_what_is_left_and_what_was_applied() -> None:
    faults = Faults()
    faults.add(FaultSpec(FaultKind.STATUS, status=429, retry_after_seconds=2, times=3, consumer="key:1"))
    faults.add(FaultSpec(FaultKind.LATENCY, latency_ms=40, route="any"))
    _decide(faults, consumer="key:1")
    _decide(faults, consumer="key:2")
    listing = faults.list()
    assert listing == [
        {
            "id": "f1",
            "kind": "status",
            "status": 429,
            "retry_after_seconds": 2,
            "latency_ms": 0,
            "jitter_ms": 0,
            "times": 3,
            "consumer": "key:1",
            "from_number": None,
            "route": "feed",
            "probability": 1.0,
            "seed": 0,
            "remaining": 2,
            "applied": 1,
        },
        {
            "id": "f2",
            "kind": "latency",
            "status": None,
            "retry_after_seconds": None,
            "latency_ms": 40,
            "jitter_ms": 0,
            "times": None,
            "consumer": None,
            "from_number": None,
            "route": "any",
            "probability": 1.0,
            "seed": 0,
            "remaining": None,
            "applied": 1,
        },
    ]
    assert type(listing[0]["kind"]) is str  # plain JSON values for the admin API
    assert orjson.loads(orjson.dumps(listing)) == listing


def test_ids_increase_are_not_reused_and_restart_after_clear() -> None:
    faults = Faults()
    assert [faults.add(FaultSpec(FaultKind.DROP)) for _ in range(2)] == ["f1", "f2"]
    faults.remove("f2")
    assert faults.add(FaultSpec(FaultKind.DROP)) == "f3"
    faults.clear()
    assert faults.list() == []
    assert _decide(faults) is None
    assert faults.add(FaultSpec(FaultKind.DROP)) == "f1"


# ----------------------------------------------------------------------------------------- probability


def _run(faults: Faults, calls: int = 200) -> list[Decision | None]:
    # A mixed sequence of requests, so scoping and draws interleave as they would in a real run.
    requests: list[dict[str, Any]] = [FEED, TOKEN, {**FEED, "consumer": "key:2", "from_number": 101}]
    return [faults.decide(**requests[index % len(requests)]) for index in range(calls)]


def _probabilistic(seed: int) -> Faults:
    faults = Faults()
    faults.add(FaultSpec(FaultKind.STATUS, status=503, probability=0.3, seed=seed, consumer="key:2"))
    faults.add(FaultSpec(FaultKind.LATENCY, latency_ms=5, jitter_ms=100, probability=0.5, seed=seed))
    faults.add(FaultSpec(FaultKind.DROP, route="any", probability=0.2, seed=seed + 1))
    return faults


def test_the_same_seed_gives_the_same_decisions() -> None:
    first, second = _run(_probabilistic(seed=11)), _run(_probabilistic(seed=11))
    assert first == second
    assert any(decision is None for decision in first)
    assert {decision.kind for decision in first if decision} == set(FaultKind) - {FaultKind.TRUNCATE}


def test_a_different_seed_gives_different_decisions() -> None:
    assert _run(_probabilistic(seed=11)) != _run(_probabilistic(seed=12))


@pytest.mark.parametrize("probability", [0.1, 0.5, 0.9], ids=["rare", "even", "frequent"])
def test_a_probabilistic_fault_hits_about_that_often(probability: float) -> None:
    faults = _only(FaultSpec(FaultKind.DROP, probability=probability, seed=5))
    hits = sum(_decide(faults) is not None for _ in range(2_000))
    assert abs(hits / 2_000 - probability) < 0.05


def test_a_probabilistic_miss_uses_no_times_and_falls_through() -> None:
    faults = Faults()
    faults.add(FaultSpec(FaultKind.STATUS, status=503, probability=0.5, times=3, seed=2))
    faults.add(FaultSpec(FaultKind.LATENCY, latency_ms=1))
    decisions = [_decide(faults) for _ in range(40)]
    kinds = [decision.kind for decision in decisions if decision]
    assert len(kinds) == 40  # every miss of f1 was caught by f2
    assert kinds.count(FaultKind.STATUS) == 3
    assert kinds.count(FaultKind.LATENCY) == 37
    last_status = max(index for index, kind in enumerate(kinds) if kind is FaultKind.STATUS)
    # Misses happened while f1 was still live, yet it still got all three of its hits.
    assert FaultKind.LATENCY in kinds[:last_status]
    assert [fault["id"] for fault in faults.list()] == ["f2"]
