"""The app as tools and the server see it: an ASGI app by its coroutine `__call__`, served through `dispatch`."""

from __future__ import annotations

import inspect

import pytest

from emulator.clock import ControlledClock
from emulator.http import create_app
from emulator.settings import Settings
from emulator.testing import InProcessClient, api_headers

FEED = "/helse/v1/trygdehendelser/hendelser?hendelsesnummer=1&antallHendelser=3"
MEDL = "/medlemskap/v1/medlemskapsunntak"


def test_the_app_is_told_apart_as_an_asgi_app_by_its_call() -> None:
    # Servers and test tools (uvicorn's "auto", schemathesis) take an app whose __call__ is no coroutine for WSGI.
    app = create_app(Settings(events=10))
    assert inspect.iscoroutinefunction(app.__call__)


@pytest.mark.parametrize(
    ("method", "path", "headers"),
    [
        ("GET", FEED, {}),
        ("GET", "/helse/v1/trygdehendelser/hendelser?hendelsesnummer=x", {}),
        ("GET", MEDL, {"Nav-Personident": "not-a-number"}),
        ("POST", "/_emulator/faults", {"content-length": "999999999"}),
        ("GET", "/helse/v1/nowhere", {}),
        ("GET", "/internal/isready", {}),
    ],
)
def test_dispatch_answers_as_the_app_does(method: str, path: str, headers: dict[str, str]) -> None:
    # A clock that stands still: error bodies carry the time.
    app = create_app(Settings(events=10), clock=ControlledClock(frozen_at_ms=1_900_000_000_000))
    answers = []
    for entry in (app, app.dispatch):
        with InProcessClient(entry, headers=api_headers(app)) as client:
            response = client.request(method, path, headers=headers)
            answers.append((response.status_code, response.content))
    assert answers[0] == answers[1]
    assert answers[0][0] != 500
