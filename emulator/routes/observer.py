"""ASGI middleware that times every answer of the token endpoint and hands it to the journal and metrics.

The feed observes its own answers (it runs outside FastAPI's stack, see `nav_api`).
"""

from __future__ import annotations

import time
from urllib.parse import parse_qsl, urlencode

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from emulator.backend import Backend

_REDACTED = "***"
_SECRET_PARAMETERS = frozenset({"subscription-key"})


class Observer:
    def __init__(self, app: ASGIApp, backend: Backend, token_path: str) -> None:
        self._app = app
        self._backend = backend
        self._token_path = token_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != self._token_path:
            await self._app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0

        async def send_observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self._app(scope, receive, send_observed)
        finally:
            self._backend.observe(
                route="token",
                method=scope["method"],
                path=scope["path"],
                query=redacted_query(scope.get("query_string", b"").decode("latin-1")),
                status=status,
                seconds=time.perf_counter() - started,
                consumer=None,
                fault=None,
                feed=None,
            )


def redacted_query(text: str) -> str:
    """The query string with any subscription key masked, so the journal never holds one."""
    if "subscription-key" not in text:
        return text
    pairs = parse_qsl(text, keep_blank_values=True)
    return urlencode([(name, _REDACTED if name in _SECRET_PARAMETERS else value) for name, value in pairs])
