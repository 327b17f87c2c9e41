"""Shared fixtures: one in-process emulator for the session, reached through a synchronous httpx client."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from emulator.clock import ControlledClock
from emulator.http.app import create_app
from emulator.settings import Settings
from emulator.testing import InProcessClient, api_headers
from tests.tokencraft import NOW_MS, pem_of, rsa_key

AppFactory = Callable[..., FastAPI]


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings(seed=7, events=2_000)


@pytest.fixture(scope="session")
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture(scope="session")
def client(app: FastAPI) -> Iterator[InProcessClient]:
    with InProcessClient(app, headers=api_headers(app)) as client:
        yield client


@pytest.fixture(scope="session")
def signing_key_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The emulator's signing key as a PEM file, so that fresh apps need not generate one each."""
    path = tmp_path_factory.mktemp("keys") / "signing-key.pem"
    path.write_bytes(pem_of(rsa_key("emulator")))
    return path


@pytest.fixture(scope="session")
def session_clock() -> ControlledClock:
    return ControlledClock(frozen_at_ms=NOW_MS)


@pytest.fixture
def clock(session_clock: ControlledClock) -> ControlledClock:
    """The clock of every app below, frozen at NOW_MS again for each test; tests may move it."""
    session_clock.reset()
    session_clock.freeze()
    session_clock.set(NOW_MS)
    return session_clock


def _new_app(signing_key_file: Path, clock: ControlledClock, settings: dict[str, Any]) -> FastAPI:
    options: dict[str, Any] = {"events": 20, "signing_key_file": signing_key_file, **settings}
    # Tests sign assertions at NOW: the consumers' clock is the same frozen one unless a test makes its own.
    return create_app(Settings(**options), clock=clock, wall_clock=clock)


@pytest.fixture(scope="session")
def _shared_apps() -> dict[str, FastAPI]:
    return {}


@pytest.fixture
def shared_app(signing_key_file: Path, clock: ControlledClock, _shared_apps: dict[str, FastAPI]) -> AppFactory:
    """One emulator per distinct settings for the whole session (loading a key costs ~50 ms), on a small
    log. Tests share its clients and replay memory: register clients and use jtis under unique names."""

    def get(**settings: Any) -> FastAPI:
        key = repr(sorted(settings.items()))
        if key not in _shared_apps:
            _shared_apps[key] = _new_app(signing_key_file, clock, settings)
        return _shared_apps[key]

    return get


@pytest.fixture
def fresh_app(signing_key_file: Path, clock: ControlledClock) -> AppFactory:
    """A new emulator per call, with its own clients and replay memory, on the same clock."""
    return lambda **settings: _new_app(signing_key_file, clock, settings)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Process-level tests (tests/system/) are `system` and `slow`; the dashboard's browser tests also `browser`."""
    for item in items:
        parts = item.path.parts
        if "system" in parts[-2:]:
            item.add_marker(pytest.mark.system)
            item.add_marker(pytest.mark.slow)
        if item.path.name == "test_dashboard_browser.py":
            item.add_marker(pytest.mark.browser)
