"""The control plane's state: status, reset, the generated document."""

from __future__ import annotations

import time

from fastapi.routing import APIRoute
from openapi_spec_validator import validate

from emulator.eventlog.digest import log_digest
from emulator.eventlog.generator import Recipe, generate
from emulator.http import admin, insight, scenario
from tests.http.control import DEMO_GRANT, SEEDED, Emulator, Make


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
