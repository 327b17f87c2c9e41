"""ASGI middleware that times every answer of the token endpoint and hands it to the journal and metrics.

The feed observes its own answers (it runs outside FastAPI's stack, see `nav_api`).
"""

from __future__ import annotations

import time
from urllib.parse import parse_qsl, urlencode

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from emulator.backend import Backend

_REDACTED = "***"
# What a consumer may put in a query string by mistake or by habit: the key (API Management takes it there), a
# bearer token (RFC 6750 §2.3), and on the token endpoint an assertion or a client secret.
_SECRET_PARAMETERS = frozenset(
    {"subscription-key", "access_token", "assertion", "client_assertion", "client_secret", "refresh_token"}
)


def _may_hold_secret(text: str) -> bool:
    """A cheap first look, since most queries name none of them; `%` too, as a name may come percent-encoded."""
    return "subscription-key" in text or "token" in text or "assertion" in text or "secret" in text or "%" in text


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
        # The token route notes here which injected fault it met, and for which client.
        state = scope.setdefault("state", {})

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
                consumer=state.get("consumer"),
                fault=state.get("fault"),
                feed=None,
            )


def redacted_query(text: str) -> str:
    """The query string with any key, token, assertion or secret masked, so the journal never holds one."""
    if not _may_hold_secret(text):
        return text
    pairs = parse_qsl(text, keep_blank_values=True)
    if not any(name in _SECRET_PARAMETERS for name, _ in pairs):
        return text
    return urlencode([(name, _REDACTED if name in _SECRET_PARAMETERS else value) for name, value in pairs])
