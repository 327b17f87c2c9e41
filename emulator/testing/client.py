"""A synchronous httpx client that calls the emulator in-process, over httpx's ASGI transport."""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Any

import httpx
from starlette.types import ASGIApp


class InProcessClient:
    """httpx over the ASGI transport, driven from synchronous code on one private event loop.

    No lifespan runs, so there is no background ticker: live mode appends what is due when the test calls
    `app.state.backend.history.tick_live()`, which makes it as deterministic as the clock the test moves.
    """

    def __init__(self, app: ASGIApp, *, base_url: str = "http://testserver", **client_options: Any) -> None:
        self._loop = asyncio.new_event_loop()
        self._client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url, **client_options)

    @property
    def headers(self) -> httpx.Headers:
        return self._client.headers

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return self._loop.run_until_complete(self._client.request(method, url, **kwargs))

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", url, **kwargs)

    def close(self) -> None:
        self._loop.run_until_complete(self._client.aclose())
        self._loop.close()

    def __enter__(self) -> InProcessClient:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
