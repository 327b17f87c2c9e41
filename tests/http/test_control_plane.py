"""The control plane under /_emulator, in-process: one test per behaviour a tester relies on.

Each test builds its own emulator with `create_app(Settings(...))` and talks to it through
`emulator.testing.InProcessClient`, as a consumer's own test suite would. In-process there is no background
ticker, so live mode is driven by calling `tick_live()` after moving the frozen clock.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from openapi_spec_validator import validate

from emulator.backend import Backend
from emulator.eventlog.digest import log_digest
from emulator.eventlog.generator import Recipe, generate
from emulator.eventlog.identities import check_digits, synthetic_identity
from emulator.http import admin, insight, scenario
from emulator.http.app import create_app
from emulator.settings import Settings
from emulator.testing import InProcessClient, api_headers

FEED = "/helse/v1/trygdehendelser/hendelser"
SEEDED = 200
TEST_CONSUMER = "client:trygdehendelser-test-client"
INT64_MAX = 2**63 - 1
Json = dict[str, Any]


@dataclass
class Emulator:
    app: FastAPI
    http: InProcessClient

    @property
    def backend(self) -> Backend:
        backend: Backend = self.app.state.backend
        return backend

    def feed(self, number: int = 1, *, headers: dict[str, str] | None = None, **params: Any) -> httpx.Response:
        return self.http.get(FEED, params={"hendelsesnummer": number, **params}, headers=headers)

    def events(self, first: int = 1) -> list[Json]:
        """Every event from `first` on, read through the feed itself (fresh credentials: the clock may move)."""
        headers = api_headers(self.app)
        events: list[Json] = []
        while True:
            page = self.http.get(FEED, params={"hendelsesnummer": first}, headers=headers).json()
            if not page["hendelser"]:
                return events
            events.extend(page["hendelser"])
            first = page["hendelser"][-1]["hendelsesnummer"] + 1

    def status(self) -> Json:
        response = self.http.get("/_emulator/status")
        assert response.status_code == 200, response.text
        body: Json = response.json()
        return body

    def call(self, method: str, path: str, body: Any = None, **kwargs: Any) -> httpx.Response:
        if body is not None:
            kwargs["json"] = body
        return self.http.request(method, path, **kwargs)

    def ok(self, method: str, path: str, body: Any = None) -> Json:
        response = self.call(method, path, body)
        assert response.status_code in (200, 201), response.text
        result: Json = response.json()
        return result

    def add_fault(self, **spec: Any) -> str:
        fault_id: str = self.ok("POST", "/_emulator/faults", spec)["id"]
        return fault_id

    def clock(self, action: str, **fields: Any) -> Json:
        return self.ok("POST", "/_emulator/clock", {"action": action, **fields})


Make = Callable[..., Emulator]


@pytest.fixture
def make(signing_key_file: Path) -> Iterator[Make]:
    """A new emulator per call on a small seeded log, with a client that carries the API's credentials."""
    made: list[InProcessClient] = []

    def build(**options: Any) -> Emulator:
        app = create_app(Settings(**{"events": SEEDED, "signing_key_file": signing_key_file, **options}))
        http = InProcessClient(app, headers=api_headers(app))
        made.append(http)
        return Emulator(app, http)

    yield build
    for http in made:
        http.close()


@pytest.fixture
def emulator(make: Make) -> Emulator:
    return make()


def ident(seed: int = 1) -> str:
    return synthetic_identity(random.Random(seed))


def real_looking_fnr() -> str:
    """A fødselsnummer with a real month (06) and valid check digits: what the emulator must never accept."""
    for individnummer in range(100, 500):
        first_nine = f"150685{individnummer:03d}"
        checks = check_digits(first_nine)
        if checks is not None:
            return f"{first_nine}{checks[0]}{checks[1]}"
    raise AssertionError("no individnummer fits")


def epoch_ms(text: str) -> int:
    return round(datetime.fromisoformat(text).timestamp() * 1000)


# ---------------------------------------------------------------------------------------------- status, reset


def test_status_reports_seed_size_head_digest_clock_uptime_faults_and_settings_without_secrets(make: Make) -> None:
    key, other_key, admin = "hemmelig-noekkel-1", "hemmelig-noekkel-2", "admin-hemmelighet"
    emulator = make(seed=5, subscription_keys=f"{key},{other_key}", admin_token=admin, journal_size=77)
    admin_headers = {"Authorization": f"Bearer {admin}"}
    fault = emulator.call("POST", "/_emulator/faults", {"kind": "drop", "times": 2}, headers=admin_headers)
    assert fault.status_code == 201, fault.text

    response = emulator.http.get("/_emulator/status", headers=admin_headers)
    assert response.status_code == 200, response.text
    status = response.json()
    assert (status["seed"], status["events"], status["head"]) == (5, SEEDED, SEEDED)
    assert (status["seeded_head"], status["appended"]) == (SEEDED, 0)
    assert status["digest"] == log_digest(generate(Recipe(seed=5, events=SEEDED)))
    assert set(status["clock"]) == {"now", "now_ms", "frozen"}
    assert status["clock"]["frozen"] is False
    assert abs(status["clock"]["now_ms"] - time.time() * 1000) < 60_000
    assert 0 <= status["uptime_seconds"] < 600
    assert [(item["kind"], item["remaining"]) for item in status["faults"]] == [("drop", 2)]
    assert status["live"] is None
    assert status["persistent"] is False
    assert status["journal"] == {"size": 0, "capacity": 77, "evicted": 0}
    settings = status["settings"]
    assert (settings["seed"], settings["events"], settings["journal_size"]) == (5, SEEDED, 77)
    assert settings["subscription_keys"] == "2 configured"
    assert settings["admin_token"] == "set"
    for secret in (key, other_key, admin):
        assert secret not in response.text


def test_every_control_plane_route_is_in_its_generated_openapi_document(emulator: Emulator) -> None:
    response = emulator.http.get("/_emulator/openapi.json")
    assert response.status_code == 200
    document = response.json()
    validate(document)
    documented = {(path, method.upper()) for path, operations in document["paths"].items() for method in operations}
    routes = [*emulator.app.routes, *admin.router.routes, *scenario.router.routes, *insight.router.routes]
    served = {
        (route.path, method)
        for route in routes
        if isinstance(route, APIRoute) and route.path.startswith("/_emulator/")
        for method in route.methods or ()
    }
    assert served, "the control plane has routes"
    assert served == documented
    assert {path for path, _ in served} >= {
        "/_emulator/status",
        "/_emulator/reset",
        "/_emulator/events",
        "/_emulator/clock",
        "/_emulator/live",
        "/_emulator/faults",
        "/_emulator/faults/{fault_id}",
        "/_emulator/journal",
        "/_emulator/consumers",
        "/_emulator/consumers/{consumer}/wait",
        "/_emulator/tokens",
        "/_emulator/clients",
    }
    docs = emulator.http.get("/_emulator/docs")
    assert docs.status_code == 200
    assert "/_emulator/openapi.json" in docs.text


def test_reset_restores_events_faults_journal_consumers_and_clock(emulator: Emulator) -> None:
    before = emulator.status()
    seeded_last = emulator.feed(SEEDED).json()
    emulator.ok("POST", "/_emulator/events", {"generate": 10})
    emulator.add_fault(kind="status", status=500, consumer="client:someone-else")
    assert emulator.feed(1).status_code == 200
    emulator.clock("freeze")
    emulator.clock("advance", seconds=86_400)
    emulator.ok("PUT", "/_emulator/live", {"rate": 5})
    changed = emulator.status()
    assert changed["head"] == SEEDED + 10
    assert changed["faults"]
    assert changed["journal"]["size"] == 2
    assert changed["consumers"] == 1
    assert changed["clock"]["frozen"] is True
    assert changed["live"] is not None

    after = emulator.ok("POST", "/_emulator/reset")
    assert (after["events"], after["head"], after["appended"]) == (SEEDED, SEEDED, 0)
    assert after["digest"] == before["digest"]
    assert after["faults"] == []
    assert after["journal"] == {"size": 0, "capacity": before["journal"]["capacity"], "evicted": 0}
    assert after["consumers"] == 0
    assert after["live"] is None
    assert after["clock"]["frozen"] is False
    assert abs(after["clock"]["now_ms"] - time.time() * 1000) < 60_000
    assert emulator.ok("GET", "/_emulator/journal?order=oldest")["entries"] == []
    assert emulator.ok("GET", "/_emulator/consumers")["consumers"] == []
    assert emulator.feed(SEEDED).json() == seeded_last


def test_reset_forgets_clients_registered_at_run_time_and_keeps_those_from_the_file(make: Make) -> None:
    emulator = make(auth_mode="strict")
    grant = {"grant_type": "client_credentials", "client_id": "added-by-a-test", "client_secret": "hemmelig"}
    registration = {"client_id": "added-by-a-test", "client_secret": "hemmelig"}
    assert emulator.call("POST", "/_emulator/clients", registration).status_code == 201
    assert emulator.http.post("/maskinporten/token", data=grant).status_code == 200

    emulator.ok("POST", "/_emulator/reset")
    refused = emulator.http.post("/maskinporten/token", data=grant)
    assert refused.status_code == 401
    assert refused.json()["error"] == "invalid_client"
    assert emulator.http.post("/maskinporten/token", data=DEMO_GRANT).status_code == 200


# ---------------------------------------------------------------------------------------------- appending


def test_explicit_events_are_appended_in_order_and_their_numbers_returned(emulator: Emulator) -> None:
    person, period = ident(11), 9_000_001
    appended = emulator.ok(
        "POST",
        "/_emulator/events",
        {
            "events": [
                {"type": "OPPRETTET", "periodeId": period, "personident": person, "hjemmelgruppe": "OEVRIGE"},
                {"type": "ENDRET", "periodeId": period},
                {"type": "ANNULLERT", "periodeId": period},
            ]
        },
    )
    assert appended == {"first": SEEDED + 1, "last": SEEDED + 3, "count": 3, "head": SEEDED + 3}
    fresh = emulator.ok("POST", "/_emulator/events", {"events": [{"type": "OPPRETTET", "personident": ident(12)}]})
    assert (fresh["first"], fresh["last"], fresh["head"]) == (SEEDED + 4, SEEDED + 4, SEEDED + 4)

    events = emulator.events(SEEDED)
    new = events[1:]
    assert [event["hendelsesnummer"] for event in new] == [SEEDED + 1, SEEDED + 2, SEEDED + 3, SEEDED + 4]
    assert [event["type"] for event in new] == ["OPPRETTET", "ENDRET", "ANNULLERT", "OPPRETTET"]
    for event in new[:3]:
        assert event["innhold"] == {"periodeId": period, "personident": person}
        assert event["metadata"]["hjemmelgruppe"] == "OEVRIGE"
    assert new[3]["innhold"]["periodeId"] > period, "a new period gets a new, higher id"
    assert new[3]["metadata"]["hjemmelgruppe"] == "EOS"
    stamps = [epoch_ms(event["metadata"]["opprettetDato"]) for event in events]
    assert stamps == sorted(stamps)


@pytest.mark.parametrize(
    ("events", "reason"),
    [
        ([{"type": "ENDRET", "periodeId": 8_888_888}], "does not exist"),
        (
            [
                {"type": "OPPRETTET", "periodeId": 8_888_888, "personident": ident()},
                {"type": "ANNULLERT", "periodeId": 8_888_888},
                {"type": "ENDRET", "periodeId": 8_888_888},
            ],
            "annulled",
        ),
        (
            [
                {"type": "OPPRETTET", "periodeId": 8_888_888, "personident": ident(1)},
                {"type": "ENDRET", "periodeId": 8_888_888, "personident": ident(2)},
            ],
            "personident",
        ),
        (
            [
                {"type": "OPPRETTET", "periodeId": 8_888_888, "personident": ident(), "hjemmelgruppe": "EOS"},
                {"type": "ENDRET", "periodeId": 8_888_888, "hjemmelgruppe": "OEVRIGE"},
            ],
            "hjemmelgruppe never changes",
        ),
        ([{"type": "OPPRETTET", "personident": real_looking_fnr()}], "not synthetic"),
        (
            [{"type": "OPPRETTET", "personident": ident(), "opprettetDato": "2023-01-01T00:00:00.000+01:00"}],
            "may not be earlier",
        ),
        (
            [
                {"type": "OPPRETTET", "periodeId": 8_888_888, "personident": ident()},
                {"type": "OPPRETTET", "periodeId": 8_888_888, "personident": ident()},
            ],
            "already exists",
        ),
    ],
    ids=[
        "endret-unknown-period",
        "endret-annulled-period",
        "changed-personident",
        "changed-hjemmelgruppe",
        "real-looking-personident",
        "earlier-than-the-head",
        "opprettet-twice",
    ],
)
def test_lifecycle_violations_are_refused_with_a_reason_and_append_nothing(
    emulator: Emulator, events: list[Json], reason: str
) -> None:
    before = emulator.status()
    response = emulator.call("POST", "/_emulator/events", {"events": events})
    assert response.status_code == 400, response.text
    assert reason in response.json()["detail"]
    after = emulator.status()
    assert (after["head"], after["digest"]) == (before["head"], before["digest"])


def test_generate_appends_n_events_that_keep_every_period_consistent(emulator: Emulator) -> None:
    appended = emulator.ok("POST", "/_emulator/events", {"generate": 60})
    assert appended == {"first": SEEDED + 1, "last": SEEDED + 60, "count": 60, "head": SEEDED + 60}
    events = emulator.events()
    assert [event["hendelsesnummer"] for event in events] == list(range(1, SEEDED + 61))
    periods: dict[int, list[Json]] = {}
    for event in events:
        periods.setdefault(event["innhold"]["periodeId"], []).append(event)
    for lifecycle in periods.values():
        kinds = [event["type"] for event in lifecycle]
        assert kinds[0] == "OPPRETTET"
        assert "OPPRETTET" not in kinds[1:]
        assert "ANNULLERT" not in kinds[:-1]
        assert len({event["innhold"]["personident"] for event in lifecycle}) == 1
        assert len({event["metadata"]["hjemmelgruppe"] for event in lifecycle}) == 1
    stamps = [epoch_ms(event["metadata"]["opprettetDato"]) for event in events]
    assert stamps == sorted(stamps)


# ---------------------------------------------------------------------------------------------- clock, live


def test_the_clock_freezes_advances_sets_and_resets_and_new_events_and_tokens_follow_it(emulator: Emulator) -> None:
    frozen = emulator.clock("freeze")
    assert frozen["frozen"] is True
    assert emulator.ok("GET", "/_emulator/clock") == frozen
    assert emulator.clock("advance", seconds=90)["now_ms"] == frozen["now_ms"] + 90_000
    assert emulator.clock("advance", seconds=-30)["now_ms"] == frozen["now_ms"] + 60_000

    # Without an offset the instant is Oslo time: summer time in May.
    moved = emulator.clock("set", now="2031-05-17T12:00:00")
    assert moved == {
        "now": "2031-05-17T12:00:00.000+02:00",
        "now_ms": epoch_ms("2031-05-17T10:00:00+00:00"),
        "frozen": True,
    }
    now_s = moved["now_ms"] // 1000

    explicit = emulator.ok("POST", "/_emulator/events", {"events": [{"type": "OPPRETTET", "personident": ident()}]})
    generated = emulator.ok("POST", "/_emulator/events", {"generate": 2})
    new = emulator.events(explicit["first"])
    assert len(new) == 3 == generated["last"] - explicit["first"] + 1
    assert {event["metadata"]["opprettetDato"] for event in new} == {"2031-05-17T12:00:00.000+02:00"}

    minted = emulator.ok("POST", "/_emulator/tokens", {})
    demo = emulator.http.post(
        "/maskinporten/token",
        data={"grant_type": "client_credentials", "client_id": "trygdehendelser-demo", "client_secret": "demo-secret"},
    )
    assert demo.status_code == 200, demo.text
    for token in (minted["access_token"], demo.json()["access_token"]):
        claims = jwt.decode(token, options={"verify_signature": False})
        assert claims["iat"] == now_s
        assert claims["exp"] == now_s + 120
    # The credentials made at the start are from 2026 and expired by the clock's 2031.
    assert emulator.feed(1).status_code == 401

    unfrozen = emulator.clock("unfreeze")
    assert unfrozen["frozen"] is False
    assert unfrozen["now_ms"] >= moved["now_ms"]
    assert unfrozen["now_ms"] - moved["now_ms"] < 60_000, "unfreezing keeps the time it was set to"
    back = emulator.clock("reset")
    assert back["frozen"] is False
    assert abs(back["now_ms"] - time.time() * 1000) < 60_000


def test_live_mode_appends_as_the_frozen_clock_advances(emulator: Emulator) -> None:
    start = emulator.clock("freeze")["now_ms"]
    live = emulator.ok("PUT", "/_emulator/live", {"rate": 10, "pattern": "steady"})
    assert live["live"]["rate"] == 10
    assert emulator.status()["live"]["pattern"] == "steady"
    backend = emulator.backend
    assert backend.history.tick_live() == 0, "a frozen clock brings no events"

    emulator.clock("advance", seconds=3)
    assert backend.history.tick_live() == 30
    assert emulator.status()["head"] == SEEDED + 30
    stamps = [epoch_ms(event["metadata"]["opprettetDato"]) for event in emulator.events(SEEDED + 1)]
    assert len(stamps) == 30
    assert stamps == sorted(stamps)
    assert stamps[0] > start
    assert stamps[-1] == start + 3_000
    assert backend.history.tick_live() == 0, "nothing more until the clock moves"
    emulator.clock("advance", seconds=1)
    assert backend.history.tick_live() == 10

    assert emulator.ok("DELETE", "/_emulator/live") == {"live": None}
    emulator.clock("advance", seconds=5)
    assert backend.history.tick_live() == 0
    assert emulator.status()["head"] == SEEDED + 40


# ---------------------------------------------------------------------------------------------- faults


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_status_fault_answers_in_the_gateways_format(emulator: Emulator, status: int) -> None:
    emulator.add_fault(kind="status", status=status, times=1)
    faulted = emulator.feed()
    assert faulted.status_code == status
    assert faulted.headers["content-type"] == "application/json"
    assert faulted.json() == {"statusCode": status, "message": HTTPStatus(status).phrase}
    assert "retry-after" not in faulted.headers
    assert emulator.feed().status_code == 200


@pytest.mark.parametrize(("status", "retry_after"), [(503, 7), (429, 12), (429, None)])
def test_a_429_or_503_fault_says_when_to_retry(emulator: Emulator, status: int, retry_after: int | None) -> None:
    emulator.add_fault(kind="status", status=status, retry_after_seconds=retry_after)
    faulted = emulator.feed()
    assert faulted.status_code == status
    expected = 1 if retry_after is None else retry_after  # a gateway 429 always says when
    assert faulted.headers["retry-after"] == str(expected)
    message = f"Rate limit is exceeded. Try again in {expected} seconds." if status == 429 else "Service Unavailable"
    assert faulted.json() == {"statusCode": status, "message": message}


def test_a_fault_with_times_is_used_up_and_then_gone(emulator: Emulator) -> None:
    fault_id = emulator.add_fault(kind="status", status=503, times=2)
    assert [emulator.feed().status_code for _ in range(4)] == [503, 503, 200, 200]
    assert emulator.ok("GET", "/_emulator/faults")["faults"] == []
    assert emulator.call("DELETE", f"/_emulator/faults/{fault_id}").status_code == 404


def test_faults_are_scoped_by_consumer_and_by_from_number(emulator: Emulator) -> None:
    emulator.add_fault(kind="status", status=500, consumer="client:someone-else")
    emulator.add_fault(kind="status", status=502, from_number=50)
    assert emulator.feed(1).status_code == 200
    assert emulator.feed(49).status_code == 200
    assert emulator.feed(50).status_code == 502
    someone_else = emulator.ok("POST", "/_emulator/tokens", {"client_id": "someone-else"})["access_token"]
    assert emulator.feed(1, headers={"Authorization": f"Bearer {someone_else}"}).status_code == 500

    emulator.add_fault(kind="status", status=503, consumer=TEST_CONSUMER)
    assert emulator.feed(1).status_code == 503
    journal = emulator.ok("GET", "/_emulator/journal?order=oldest")["entries"]
    assert [(entry["consumer"], entry["status"], entry["fault"]) for entry in journal] == [
        (TEST_CONSUMER, 200, None),
        (TEST_CONSUMER, 200, None),
        (TEST_CONSUMER, 502, "f2"),
        ("client:someone-else", 500, "f1"),
        (TEST_CONSUMER, 503, "f3"),
    ]


DEMO_GRANT = {"grant_type": "client_credentials", "client_id": "trygdehendelser-demo", "client_secret": "demo-secret"}


def _token_request(emulator: Emulator, grant: dict[str, str] = DEMO_GRANT) -> httpx.Response:
    return emulator.http.post("/maskinporten/token", data=grant)


def test_a_token_route_fault_answers_the_token_endpoint_and_spares_the_feed(emulator: Emulator) -> None:
    fault_id = emulator.add_fault(kind="status", status=503, retry_after_seconds=2, route="token", times=2)
    assert emulator.feed().status_code == 200
    refused = _token_request(emulator)
    assert refused.status_code == 503
    assert refused.headers["retry-after"] == "2"
    assert refused.json() == {"statusCode": 503, "message": "Service Unavailable"}
    assert _token_request(emulator).status_code == 503
    assert _token_request(emulator).status_code == 200, "used up after two"
    journal = emulator.ok("GET", "/_emulator/journal?order=oldest")["entries"]
    token_entries = [
        (entry["status"], entry["consumer"], entry["fault"]) for entry in journal if "token" in entry["path"]
    ]
    assert token_entries == [
        (503, "client:trygdehendelser-demo", fault_id),
        (503, "client:trygdehendelser-demo", fault_id),
        (200, "client:trygdehendelser-demo", None),
    ]


def test_a_token_route_fault_scoped_to_a_consumer_spares_other_clients(emulator: Emulator) -> None:
    emulator.add_fault(kind="status", status=500, route="token", consumer="client:someone-else")
    assert _token_request(emulator).status_code == 200
    emulator.add_fault(kind="status", status=502, route="token", consumer="client:trygdehendelser-demo")
    assert _token_request(emulator).status_code == 502


def test_an_any_route_fault_meets_both_the_token_endpoint_and_the_feed(emulator: Emulator) -> None:
    emulator.add_fault(kind="status", status=429, route="any", times=2)
    assert _token_request(emulator).status_code == 429
    assert emulator.feed().status_code == 429
    assert _token_request(emulator).status_code == 200


def test_a_truncate_fault_on_the_token_route_cuts_the_token_response_in_half(emulator: Emulator) -> None:
    whole = _token_request(emulator)
    emulator.add_fault(kind="truncate", route="token", times=1)
    cut = _token_request(emulator)
    assert cut.status_code == 200
    assert len(cut.content) == len(whole.content) // 2
    with pytest.raises(ValueError, match=r"Expecting|Unterminated|Invalid"):
        cut.json()


def test_a_fault_with_a_probability_and_a_seed_hits_the_same_requests_every_time(make: Make) -> None:
    def statuses(seed: int) -> list[int]:
        emulator = make()
        emulator.add_fault(kind="status", status=500, probability=0.5, seed=seed)
        return [emulator.feed().status_code for _ in range(40)]

    first = statuses(42)
    assert first == statuses(42)
    assert set(first) == {200, 500}
    assert first != statuses(43)


def test_faults_are_listed_removed_one_by_one_and_cleared(emulator: Emulator) -> None:
    ids = [
        emulator.add_fault(kind="status", status=500, times=3),
        emulator.add_fault(kind="latency", latency_ms=1, consumer="client:x"),
        emulator.add_fault(kind="truncate", from_number=7),
    ]
    assert ids == ["f1", "f2", "f3"]
    listed = emulator.ok("GET", "/_emulator/faults")["faults"]
    assert [(item["id"], item["kind"], item["remaining"], item["applied"]) for item in listed] == [
        ("f1", "status", 3, 0),
        ("f2", "latency", None, 0),
        ("f3", "truncate", None, 0),
    ]
    assert [item["id"] for item in emulator.ok("DELETE", "/_emulator/faults/f2")["faults"]] == ["f1", "f3"]
    assert emulator.call("DELETE", "/_emulator/faults/f2").status_code == 404
    assert emulator.ok("DELETE", "/_emulator/faults") == {"faults": []}
    assert emulator.feed().status_code == 200
    assert emulator.add_fault(kind="drop") == "f1", "ids start again after a clear"


def test_the_rate_limit_setting_answers_the_gateways_429_with_retry_after(make: Make) -> None:
    emulator = make(rate_limit="3/60")
    assert [emulator.feed().status_code for _ in range(3)] == [200, 200, 200]
    limited = emulator.feed()
    assert limited.status_code == 429
    seconds = int(limited.headers["retry-after"])
    assert 1 <= seconds <= 60
    assert limited.json() == {"statusCode": 429, "message": f"Rate limit is exceeded. Try again in {seconds} seconds."}


# ---------------------------------------------------------------------------------------------- journal, consumers


def test_the_journal_is_bounded_and_counts_what_it_evicted(make: Make) -> None:
    emulator = make(journal_size=5)
    for number in range(1, 13):
        assert emulator.feed(number).status_code == 200
    journal = emulator.ok("GET", "/_emulator/journal?order=oldest")
    assert (journal["size"], journal["capacity"], journal["evicted"]) == (5, 5, 7)
    assert [entry["sequence"] for entry in journal["entries"]] == [8, 9, 10, 11, 12]
    assert [entry["query"] for entry in journal["entries"]] == [f"hendelsesnummer={n}" for n in range(8, 13)]
    assert emulator.status()["journal"] == {"size": 5, "capacity": 5, "evicted": 7}


def test_the_journal_filters_by_consumer(emulator: Emulator) -> None:
    other = emulator.ok("POST", "/_emulator/tokens", {"client_id": "other-client"})["access_token"]
    for _ in range(3):
        emulator.feed()
    for _ in range(2):
        emulator.feed(headers={"Authorization": f"Bearer {other}"})
    mine = emulator.ok("GET", f"/_emulator/journal?consumer={TEST_CONSUMER}")["entries"]
    theirs = emulator.ok("GET", "/_emulator/journal?consumer=client:other-client")["entries"]
    assert [entry["consumer"] for entry in mine] == [TEST_CONSUMER] * 3
    assert [entry["consumer"] for entry in theirs] == ["client:other-client"] * 2
    assert len(emulator.ok("GET", "/_emulator/journal?order=oldest")["entries"]) == 5


def test_the_journal_never_stores_a_subscription_key_given_in_the_query(make: Make) -> None:
    key = "noekkel-i-spoerringen"
    emulator = make(subscription_keys=key)
    response = emulator.http.get(FEED, params={"hendelsesnummer": 3, "subscription-key": key})
    assert response.status_code == 200
    journal = emulator.call("GET", "/_emulator/journal?order=oldest")
    assert key not in journal.text
    (entry,) = journal.json()["entries"]
    assert entry["query"] == "hendelsesnummer=3&subscription-key=%2A%2A%2A"


@pytest.mark.parametrize(
    ("method", "path", "query", "stored"),
    [
        ("GET", FEED, "hendelsesnummer=3&access_token=eyJ-hemmelig", "hendelsesnummer=3&access_token=%2A%2A%2A"),
        ("GET", FEED, "access%5Ftoken=eyJ-hemmelig&hendelsesnummer=3", "access_token=%2A%2A%2A&hendelsesnummer=3"),
        (
            "POST",
            "/maskinporten/token",
            "grant_type=client_credentials&client_id=trygdehendelser-demo&client_secret=hemmelig",
            "grant_type=client_credentials&client_id=trygdehendelser-demo&client_secret=%2A%2A%2A",
        ),
        (
            "POST",
            "/maskinporten/token",
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=eyJ-hemmelig",
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=%2A%2A%2A",
        ),
        ("GET", FEED, "hendelsesnummer=%33&antallHendelser=2", "hendelsesnummer=%33&antallHendelser=2"),
    ],
    ids=[
        "bearer-token-in-the-feeds-query",
        "percent-encoded-name",
        "client-secret-in-the-token-endpoints-query",
        "assertion-in-the-token-endpoints-query",
        "nothing-secret-is-kept-as-sent",
    ],
)
def test_the_journal_never_stores_a_token_assertion_or_secret_given_in_a_query(
    make: Make, method: str, path: str, query: str, stored: str
) -> None:
    emulator = make()
    emulator.http.request(method, f"{path}?{query}")
    journal = emulator.call("GET", "/_emulator/journal?order=oldest")
    assert "hemmelig" not in journal.text
    (entry,) = journal.json()["entries"]
    assert entry["query"] == stored


def test_the_consumer_view_shows_requested_delivered_lag_and_counts_by_status(emulator: Emulator) -> None:
    assert emulator.feed(1, antallHendelser=100).status_code == 200
    assert emulator.feed(101, antallHendelser=100).status_code == 200
    emulator.add_fault(kind="status", status=503, times=1)
    assert emulator.feed(201).status_code == 503
    assert emulator.feed(201).json()["hendelser"] == []
    emulator.ok("POST", "/_emulator/events", {"generate": 5})

    view = emulator.ok("GET", "/_emulator/consumers")
    assert view["head"] == SEEDED + 5
    (consumer,) = view["consumers"]
    assert consumer["consumer"] == TEST_CONSUMER
    assert consumer["last_requested"] == 201
    assert consumer["highest_delivered"] == SEEDED
    assert consumer["caught_up_to"] == SEEDED
    assert consumer["lag"] == 5
    assert consumer["requests"] == 4
    assert consumer["requests_by_status"] == {"200": 3, "503": 1}
    assert consumer["last_seen_ms"] is not None


def test_waiting_for_a_consumer_answers_200_when_reached_and_408_on_timeout(emulator: Emulator) -> None:
    wait = f"/_emulator/consumers/{TEST_CONSUMER}/wait"
    early = emulator.call("GET", wait, params={"up_to": 1, "timeout": 0.01})
    assert early.status_code == 408
    assert early.json() == {"reached": False, "target": 1, "consumer": None}

    for first in (1, 101, 201):
        assert emulator.feed(first).status_code == 200
    reached = emulator.call("GET", wait, params={"up_to": SEEDED, "timeout": 5})
    assert reached.status_code == 200
    assert reached.json()["reached"] is True
    assert reached.json()["consumer"]["caught_up_to"] == SEEDED
    assert emulator.call("GET", wait).status_code == 200, "up_to defaults to the head"

    too_far = emulator.call("GET", wait, params={"up_to": SEEDED + 1, "timeout": 0.01})
    assert too_far.status_code == 408
    assert too_far.json()["reached"] is False
    assert too_far.json()["target"] == SEEDED + 1


def test_metrics_count_requests_and_show_latency_log_size_and_consumer_lag(emulator: Emulator) -> None:
    emulator.feed(1)
    emulator.feed(SEEDED + 1)
    emulator.add_fault(kind="status", status=503, times=1)
    emulator.feed(1)
    emulator.ok("POST", "/_emulator/events", {"generate": 7})

    response = emulator.http.get("/internal/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    lines = set(response.text.splitlines())
    assert 'trygdehendelser_requests_total{route="feed",status="200"} 2' in lines
    assert 'trygdehendelser_requests_total{route="feed",status="503"} 1' in lines
    assert "# TYPE trygdehendelser_request_duration_seconds histogram" in lines
    assert 'trygdehendelser_request_duration_seconds_bucket{route="feed",le="+Inf"} 3' in lines
    assert 'trygdehendelser_request_duration_seconds_count{route="feed"} 3' in lines
    assert f"trygdehendelser_log_events {SEEDED + 7}" in lines
    assert f"trygdehendelser_log_head {SEEDED + 7}" in lines
    assert f'trygdehendelser_consumer_lag{{consumer="{TEST_CONSUMER}"}} 7' in lines


# ---------------------------------------------------------------------------------------------- protection, bad input


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"action": "set", "now": "0001-01-01T00:00:00"}, "now '0001-01-01T00:00:00' is outside the years 0001-9999"),
        ({"action": "set", "now": "i morgen"}, "now 'i morgen' is not an ISO 8601 date-time"),
    ],
    ids=["out-of-range", "not-a-date"],
)
def test_a_clock_set_to_an_unusable_instant_says_which_way_it_is_unusable(
    emulator: Emulator, body: Json, message: str
) -> None:
    response = emulator.call("POST", "/_emulator/clock", body)
    assert response.status_code == 400
    assert response.json()["detail"].startswith(message)


def test_an_opprettetdato_out_of_range_is_named_as_such(emulator: Emulator) -> None:
    event = {"type": "OPPRETTET", "personident": ident(), "opprettetDato": "9999-12-31T23:59:59+00:00"}
    response = emulator.call("POST", "/_emulator/events", {"events": [event]})
    assert response.status_code == 400
    assert "is outside the years 0001-9999" in response.json()["detail"]


def test_an_admin_token_protects_the_control_plane_but_not_the_api(make: Make) -> None:
    emulator = make(admin_token="kontroll-hemmelighet")
    refusals: list[dict[str, str]] = [
        {},
        {"Authorization": "Bearer feil"},
        {"Authorization": "kontroll-hemmelighet"},
        {"Authorization": "Basic kontroll-hemmelighet"},
        {"Authorization": "Bearer kontroll-hemmelighet-og-mer"},
    ]
    for headers in refusals:
        refused = emulator.http.get("/_emulator/status", headers=headers)
        assert refused.status_code == 401, headers
        assert refused.headers["content-type"] == "application/json"
        assert "kontroll-hemmelighet" not in refused.text
    # The API's own bearer token is not the admin token.
    assert emulator.http.get("/_emulator/status").status_code == 401
    assert emulator.http.post("/_emulator/reset").status_code == 401
    assert emulator.http.post("/_emulator/faults", json={"kind": "drop"}).status_code == 401
    admin = {"Authorization": "Bearer kontroll-hemmelighet"}
    assert emulator.http.get("/_emulator/status", headers=admin).status_code == 200
    # The scheme is case-insensitive, as in any Authorization header.
    assert emulator.http.get("/_emulator/status", headers={"Authorization": "bearer kontroll-hemmelighet"}).is_success
    assert emulator.http.get("/_emulator/faults", headers=admin).json() == {"faults": []}

    assert emulator.feed().status_code == 200
    token = emulator.http.post(
        "/maskinporten/token",
        data={"grant_type": "client_credentials", "client_id": "trygdehendelser-demo", "client_secret": "demo-secret"},
    )
    assert token.status_code == 200
    assert emulator.http.get("/internal/isalive").status_code == 200


def test_a_period_id_at_the_int64_limit_does_not_break_later_appends(emulator: Emulator) -> None:
    """Whether or not the largest int64 periodeId is taken, what follows must never be a 500."""
    requests: list[Json] = [
        {"events": [{"type": "OPPRETTET", "personident": ident(), "periodeId": INT64_MAX}]},
        {"events": [{"type": "OPPRETTET", "personident": ident(2)}]},
        {"generate": 3},
    ]
    for body in requests:
        try:
            response = emulator.call("POST", "/_emulator/events", body)
        except Exception as error:  # in-process, an unhandled error surfaces here instead of as a 500
            pytest.fail(f"{body} gave a 500: {type(error).__name__}: {error}")
        assert response.status_code < 500, response.text
    assert emulator.status()["head"] >= SEEDED + 3
    emulator.clock("freeze")
    emulator.ok("PUT", "/_emulator/live", {"rate": 10, "pattern": "steady"})
    emulator.clock("advance", seconds=1)
    assert emulator.backend.history.tick_live() == 10


def _bad(name: str, method: str, path: str, body: Any = None) -> Any:
    return pytest.param(method, f"/_emulator{path}", body, id=name)


BAD_INPUT = [
    _bad("tokens-lifetime-not-a-number", "POST", "/tokens", {"lifetime_seconds": "long"}),
    _bad("tokens-lifetime-too-long", "POST", "/tokens", {"lifetime_seconds": 10**9}),
    _bad("tokens-organisation-not-9-digits", "POST", "/tokens", {"organisation_number": "123"}),
    _bad("tokens-empty-client-id", "POST", "/tokens", {"client_id": ""}),
    _bad("tokens-not-json", "POST", "/tokens", b"{"),
    _bad("clients-empty", "POST", "/clients", {}),
    _bad("clients-empty-client-id", "POST", "/clients", {"client_id": ""}),
    _bad("clients-organisation-not-9-digits", "POST", "/clients", {"client_id": "c", "organisation_number": "12"}),
    _bad("clients-jwk-without-kid", "POST", "/clients", {"client_id": "c", "jwks": [{"kty": "RSA"}]}),
    _bad("clients-jwk-set-of-numbers", "POST", "/clients", {"client_id": "c", "jwks": {"keys": [5]}}),
    _bad("clients-jwk-set-keys-not-a-list", "POST", "/clients", {"client_id": "c", "jwks": {"keys": "k"}}),
    _bad("clients-certificate-not-base64-der", "POST", "/clients", {"client_id": "c", "certificates": ["not a cert"]}),
    _bad("events-neither", "POST", "/events", {}),
    _bad("events-both-empty", "POST", "/events", {"events": [], "generate": 0}),
    _bad("events-both", "POST", "/events", {"events": [{"type": "ENDRET", "periodeId": 1}], "generate": 1}),
    _bad("events-generate-negative", "POST", "/events", {"generate": -1}),
    _bad("events-generate-too-many", "POST", "/events", {"generate": 100_001}),
    _bad("events-unknown-type", "POST", "/events", {"events": [{"type": "CREATED"}]}),
    _bad("events-opprettet-without-person", "POST", "/events", {"events": [{"type": "OPPRETTET"}]}),
    _bad(
        "events-personident-not-11-digits", "POST", "/events", {"events": [{"type": "OPPRETTET", "personident": "1"}]}
    ),
    _bad("events-endret-without-period", "POST", "/events", {"events": [{"type": "ENDRET"}]}),
    _bad(
        "events-hjemmelgruppe-alle",
        "POST",
        "/events",
        {"events": [{"type": "OPPRETTET", "personident": ident(), "hjemmelgruppe": "ALLE"}]},
    ),
    _bad(
        "events-opprettetdato-not-a-date",
        "POST",
        "/events",
        {"events": [{"type": "OPPRETTET", "personident": ident(), "opprettetDato": "i går"}]},
    ),
    _bad(
        "events-negative-period",
        "POST",
        "/events",
        {"events": [{"type": "OPPRETTET", "personident": ident(), "periodeId": -5}]},
    ),
    _bad(
        "events-period-beyond-int64",
        "POST",
        "/events",
        {"events": [{"type": "OPPRETTET", "personident": ident(), "periodeId": 2**63}]},
    ),
    _bad(
        "events-opprettetdato-beyond-year-9999-in-oslo",
        "POST",
        "/events",
        {"events": [{"type": "OPPRETTET", "personident": ident(), "opprettetDato": "9999-12-31T23:59:59+00:00"}]},
    ),
    _bad("events-a-list", "POST", "/events", [1, 2]),
    _bad("events-not-json", "POST", "/events", b"[1,"),
    _bad("clock-empty", "POST", "/clock", {}),
    _bad("clock-unknown-action", "POST", "/clock", {"action": "warp"}),
    _bad("clock-advance-without-seconds", "POST", "/clock", {"action": "advance"}),
    _bad("clock-advance-seconds-not-a-number", "POST", "/clock", {"action": "advance", "seconds": "ten"}),
    _bad("clock-advance-beyond-any-date", "POST", "/clock", {"action": "advance", "seconds": 1e300}),
    _bad("clock-advance-before-year-1", "POST", "/clock", {"action": "advance", "seconds": -1e12}),
    _bad("clock-set-without-now", "POST", "/clock", {"action": "set"}),
    _bad("clock-set-not-a-date", "POST", "/clock", {"action": "set", "now": "snart"}),
    _bad("clock-set-beyond-year-9999-in-oslo", "POST", "/clock", {"action": "set", "now": "9999-12-31T23:59:59+00:00"}),
    _bad("live-empty", "PUT", "/live", {}),
    _bad("live-rate-zero", "PUT", "/live", {"rate": 0}),
    _bad("live-rate-too-high", "PUT", "/live", {"rate": 10_001}),
    _bad("live-rate-not-a-number", "PUT", "/live", {"rate": "fast"}),
    _bad("live-unknown-pattern", "PUT", "/live", {"rate": 1, "pattern": "sometimes"}),
    _bad("live-burst-size-zero", "PUT", "/live", {"rate": 1, "burst_size": 0}),
    _bad("faults-empty", "POST", "/faults", {}),
    _bad("faults-unknown-kind", "POST", "/faults", {"kind": "explode"}),
    _bad("faults-status-without-status", "POST", "/faults", {"kind": "status"}),
    _bad("faults-status-200", "POST", "/faults", {"kind": "status", "status": 200}),
    _bad("faults-retry-after-on-500", "POST", "/faults", {"kind": "status", "status": 500, "retry_after_seconds": 5}),
    _bad("faults-latency-without-delay", "POST", "/faults", {"kind": "latency"}),
    _bad("faults-times-zero", "POST", "/faults", {"kind": "drop", "times": 0}),
    _bad("faults-probability-zero", "POST", "/faults", {"kind": "drop", "probability": 0}),
    _bad("faults-probability-above-one", "POST", "/faults", {"kind": "drop", "probability": 1.5}),
    _bad("faults-unknown-route", "POST", "/faults", {"kind": "drop", "route": "admin"}),
    _bad("faults-from-number-on-token", "POST", "/faults", {"kind": "drop", "route": "token", "from_number": 1}),
    _bad("faults-empty-consumer", "POST", "/faults", {"kind": "drop", "consumer": ""}),
    _bad("faults-remove-unknown", "DELETE", "/faults/f999"),
    _bad("journal-limit-zero", "GET", "/journal?limit=0"),
    _bad("journal-limit-too-high", "GET", "/journal?limit=10001"),
    _bad("journal-limit-not-a-number", "GET", "/journal?limit=many"),
    _bad("journal-since-not-a-date", "GET", "/journal?since=yesterday"),
    _bad("journal-until-month-13", "GET", "/journal?until=2024-13-01"),
    _bad("journal-after-not-a-number", "GET", "/journal?after=x"),
    _bad("wait-up-to-not-a-number", "GET", "/consumers/key:1/wait?up_to=abc"),
    _bad("wait-up-to-negative", "GET", "/consumers/key:1/wait?up_to=-1"),
    _bad("wait-up-to-superscript-two", "GET", "/consumers/key:1/wait?up_to=%C2%B2"),
    _bad("wait-up-to-thousands-of-digits", "GET", "/consumers/key:1/wait?up_to=" + "9" * 5_000),
    _bad("wait-timeout-zero", "GET", "/consumers/key:1/wait?timeout=0"),
    _bad("wait-timeout-too-long", "GET", "/consumers/key:1/wait?timeout=301"),
    _bad("wait-timeout-not-a-number", "GET", "/consumers/key:1/wait?timeout=soon"),
    # A number of the wrong JSON type is a mistake in the test that sent it, not something to guess at.
    _bad("events-generate-true", "POST", "/events", {"generate": True}),
    _bad("events-generate-a-string", "POST", "/events", {"generate": "5"}),
    _bad("events-period-a-string", "POST", "/events", {"events": [{"type": "ENDRET", "periodeId": "2000002"}]}),
    _bad("clock-advance-seconds-true", "POST", "/clock", {"action": "advance", "seconds": True}),
    _bad("live-rate-true", "PUT", "/live", {"rate": True}),
    _bad("live-burst-size-a-string", "PUT", "/live", {"rate": 1, "burst_size": "5"}),
    _bad("faults-status-a-string", "POST", "/faults", {"kind": "status", "status": "500"}),
    _bad("faults-times-true", "POST", "/faults", {"kind": "drop", "times": True}),
    _bad("faults-latency-a-float", "POST", "/faults", {"kind": "latency", "latency_ms": 1.5}),
    _bad("faults-probability-a-string", "POST", "/faults", {"kind": "drop", "probability": "0.5"}),
    _bad("tokens-lifetime-true", "POST", "/tokens", {"lifetime_seconds": True}),
    # Python's JSON reader takes these; the answer must still be a 4xx that JSON can carry.
    _bad("events-generate-nan", "POST", "/events", b'{"generate": NaN}'),
    _bad("events-generate-beyond-any-float", "POST", "/events", b'{"generate": 1e400}'),
    _bad("live-rate-nan", "PUT", "/live", b'{"rate": NaN}'),
    _bad("live-rate-infinite", "PUT", "/live", b'{"rate": Infinity}'),
    _bad("faults-probability-nan", "POST", "/faults", b'{"kind": "drop", "probability": NaN}'),
    _bad("faults-latency-infinite", "POST", "/faults", b'{"kind": "latency", "latency_ms": -Infinity}'),
    _bad("tokens-lifetime-beyond-any-float", "POST", "/tokens", b'{"lifetime_seconds": 1e400}'),
    _bad("clock-advance-nan", "POST", "/clock", b'{"action": "advance", "seconds": NaN}'),
    _bad("unknown-path", "GET", "/nothing-here"),
    _bad("unknown-method", "DELETE", "/status"),
]


@pytest.fixture(scope="module")
def shared(signing_key_file: Path) -> Iterator[Emulator]:
    app = create_app(Settings(events=SEEDED, signing_key_file=signing_key_file))
    with InProcessClient(app, headers=api_headers(app)) as http:
        yield Emulator(app, http)


@pytest.mark.parametrize(("method", "path", "body"), BAD_INPUT)
def test_bad_input_on_every_admin_endpoint_is_a_4xx_json_never_a_500(
    shared: Emulator, method: str, path: str, body: Any
) -> None:
    shared.backend.reset()
    options: dict[str, Any] = {}
    if isinstance(body, bytes):
        options = {"content": body, "headers": {"content-type": "application/json"}}
    elif body is not None:
        options = {"json": body}
    try:
        response = shared.http.request(method, path, **options)
    except Exception as error:  # in-process, an unhandled error surfaces here instead of as a 500
        pytest.fail(f"a 500: {type(error).__name__}: {error}")
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"] == "application/json"
    assert isinstance(response.json(), dict)
    # A refused request changes nothing that would break the next one.
    assert shared.http.get("/_emulator/status").status_code == 200
    assert shared.feed(SEEDED).status_code == 200


def test_status_leaves_a_large_unhashed_log_to_the_digest_endpoint(make: Make, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(admin, "STATUS_DIGEST_BUDGET", SEEDED - 1)
    emulator = make()
    assert emulator.ok("GET", "/_emulator/status")["digest"] is None
    digest = emulator.ok("GET", "/_emulator/digest")["digest"]
    assert digest == log_digest(emulator.app.state.backend.history.log)
    # Once hashed, status keeps it current: only what is new needs hashing.
    assert emulator.ok("GET", "/_emulator/status")["digest"] == digest


def test_the_journal_gives_the_last_requests_newest_first_and_pages_forward_after_a_sequence(
    emulator: Emulator,
) -> None:
    for number in range(1, 26):
        emulator.feed(number, antallHendelser=1)
    newest = emulator.ok("GET", "/_emulator/journal?limit=20")["entries"]
    assert [entry["query"] for entry in newest[:2]] == [
        "hendelsesnummer=25&antallHendelser=1",
        "hendelsesnummer=24&antallHendelser=1",
    ]
    assert len(newest) == 20
    following = emulator.ok("GET", f"/_emulator/journal?after={newest[-1]['sequence']}&limit=2")["entries"]
    assert [entry["sequence"] for entry in following] == [newest[-1]["sequence"] + 1, newest[-1]["sequence"] + 2]
    oldest = emulator.ok("GET", "/_emulator/journal?limit=2&order=oldest")["entries"]
    assert [entry["sequence"] for entry in oldest] == [1, 2]
