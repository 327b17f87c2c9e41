"""Shared fixtures: one in-process emulator for the session, reached through a synchronous httpx client."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from emulator.app import create_app
from emulator.settings import Settings

FEED = "/helse/v1/trygdehendelser/hendelser"


class InProcessClient:
    """httpx over the ASGI transport, driven from synchronous tests on one private event loop."""

    def __init__(self, app: FastAPI) -> None:
        self._loop = asyncio.new_event_loop()
        self._client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return self._loop.run_until_complete(self._client.request(method, url, **kwargs))

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def close(self) -> None:
        self._loop.run_until_complete(self._client.aclose())
        self._loop.close()


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings(seed=7, events=2_000)


@pytest.fixture(scope="session")
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture(scope="session")
def client(app: FastAPI) -> Iterator[InProcessClient]:
    client = InProcessClient(app)
    yield client
    client.close()
