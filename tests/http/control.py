"""The control plane tests' harness: an emulator per test on a small seeded log, read as a consumer reads."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from fastapi import FastAPI

from emulator.backend import Backend
from emulator.eventlog.identities import check_digits, synthetic_identity
from emulator.testing import InProcessClient, api_headers

FEED = "/helse/v1/trygdehendelser/hendelser"
SEEDED = 200
TEST_CONSUMER = "client:trygdehendelser-test-client"
INT64_MAX = 2**63 - 1
Json = dict[str, Any]
DEMO_GRANT = {"grant_type": "client_credentials", "client_id": "trygdehendelser-demo", "client_secret": "demo-secret"}


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
