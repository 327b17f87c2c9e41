"""ASGI middleware that times every answer on the API and token routes and hands it to the journal."""

from __future__ import annotations

import time
from urllib.parse import parse_qsl, urlencode

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from emulator.backend import Backend
from emulator.routes.nav_api import FEED_PATH, DroppedConnectionError

_REDACTED = "***"
_SECRET_PARAMETERS = frozenset({"subscription-key"})


class Observer:
    def __init__(self, app: ASGIApp, backend: Backend, token_path: str) -> None:
        self._app = app
        self._backend = backend
        self._routes = {FEED_PATH: "feed", token_path: "token"}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = self._routes.get(scope.get("path", "")) if scope["type"] == "http" else None
        if route is None:
            await self._app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        started = time.perf_counter()
        status = 0

        async def send_observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self._app(scope, receive, send_observed)
        except DroppedConnectionError:
            # Returning without finishing the body makes the server close the connection: the drop asked for.
            pass
        finally:
            self._backend.observe(
                route=route,
                method=scope["method"],
                path=scope["path"],
                query=redacted_query(scope.get("query_string", b"")),
                status=status,
                seconds=time.perf_counter() - started,
                consumer=state.get("consumer"),
                fault=state.get("fault"),
                feed=state.get("feed"),
            )


def redacted_query(raw: bytes) -> str:
    """The query string with any subscription key masked, so the journal never holds one."""
    text = raw.decode("latin-1")
    if "subscription-key" not in text:
        return text
    pairs = parse_qsl(text, keep_blank_values=True)
    return urlencode([(name, _REDACTED if name in _SECRET_PARAMETERS else value) for name, value in pairs])
