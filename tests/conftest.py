"""Shared fixtures: one in-process emulator for the session, reached through a synchronous httpx client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI

from emulator.app import create_app
from emulator.settings import Settings
from emulator.testing import InProcessClient, api_headers


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
