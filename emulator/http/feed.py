"""NAV's API, GET /helse/v1/trygdehendelser/hendelser: the hot path, as a bare ASGI endpoint.

FastAPI's middleware and routing cost more per request than building a page from cached text, so the app
hands this one path straight to this endpoint (see `app.EmulatorApp`); everything else goes through FastAPI.
It does what the stack would have done for it: render errors in the upstream envelopes, observe the answer.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import NamedTuple
from urllib.parse import parse_qsl

from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from emulator.backend import Backend, FeedAnswer
from emulator.errors import BadRequestError, EmulatorError, GatewayError, NotFoundError
from emulator.gateway.admission import Credentials
from emulator.harness.faults import FaultKind
from emulator.http.pipeline import redacted_query
from emulator.nav.feed import FeedQuery, parse_query

FEED_PATH = "/helse/v1/trygdehendelser/hendelser"
API_BASE = "/helse/v1/trygdehendelser"
_JSON = (b"content-type", b"application/json")
MAX_QUERIES = 4096
# Real queries are well under 200 bytes; longer ones are parsed afresh, so the cache's memory stays small.
MAX_CACHED_QUERY_BYTES = 512
logger = logging.getLogger("emulator.feed")


class _ParsedQuery(NamedTuple):
    # The first value of each parameter (the subscription key may be one of them).
    first_values: dict[str, str]
    # The feed query the parameters make, or the message saying why they make none.
    query: FeedQuery | str
    # The query string as the journal may show it: any key, token, assertion or secret masked.
    journal_text: str


class FeedEndpoint:
    def __init__(self, backend: Backend) -> None:
        self._backend = backend
        self._queries: dict[bytes, _ParsedQuery] = {}

    def _parsed(self, query_string: bytes) -> _ParsedQuery:
        """Kept per query string: pollers and test suites ask for the same pages over and over."""
        parsed = self._queries.get(query_string)
        if parsed is None:
            text = query_string.decode("latin-1")
            first_values: dict[str, str] = {}
            for name, value in parse_qsl(text, keep_blank_values=True):
                first_values.setdefault(name, value)
            query: FeedQuery | str
            try:
                query = parse_query(first_values.get)
            except BadRequestError as error:
                query = error.message
            parsed = _ParsedQuery(first_values, query, redacted_query(text))
            if len(query_string) <= MAX_CACHED_QUERY_BYTES:
                if len(self._queries) >= MAX_QUERIES:
                    del self._queries[next(iter(self._queries))]
                self._queries[query_string] = parsed
        return parsed

    async def __call__(self, scope: Scope, _receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        backend = self._backend
        parsed: _ParsedQuery | None = None
        consumer: str | None = None
        answer: FeedAnswer | None = None
        headers: dict[str, str] = {}
        try:
            parsed = self._parsed(scope["query_string"])
            # API Management has no HEAD or other operation here: routing answers 404 before anything else.
            if scope["method"] != "GET":
                raise NotFoundError()
            consumer = backend.admit(_credentials(scope, parsed.first_values))
            # The gateway decides first; only then does the backend look at the parameters.
            if isinstance(parsed.query, str):
                raise BadRequestError(parsed.query)
            answer = backend.read_page(consumer, parsed.query)
            status, body = 200, answer.body
            if answer.fault is not None:
                status, body, headers = await _faulty(answer)
        except EmulatorError as error:
            status, headers, body = backend.error_answer(error, scope["path"])
        except Exception:
            logger.exception("the feed failed")
            status, headers, body = backend.error_answer(GatewayError(500, "Internal server error"), scope["path"])
        fault = answer.fault if answer is not None else None
        raw_headers = [_JSON, (b"content-length", b"%d" % len(body))]
        if headers:
            raw_headers.extend(
                (name.lower().encode("latin-1"), text.encode("latin-1")) for name, text in headers.items()
            )
        await send({"type": "http.response.start", "status": status, "headers": raw_headers})
        if fault is not None and fault.kind is FaultKind.DROP:
            # Half the announced body, then nothing: the server closes the connection mid-body.
            await send({"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True})
        else:
            await send({"type": "http.response.body", "body": body})
        backend.observe(
            route="feed",
            method=scope["method"],
            path=scope["path"],
            query=parsed.journal_text
            if parsed is not None
            else redacted_query(scope["query_string"].decode("latin-1")),
            status=status,
            seconds=time.perf_counter() - started,
            consumer=consumer,
            fault=fault.fault_id if fault is not None else None,
            feed=answer,
        )


def routes(backend: Backend) -> list[Route]:
    """The feed in the route table too, so it is listed with the others; `EmulatorApp` calls it directly."""
    return [Route(FEED_PATH, FeedEndpoint(backend), methods=["GET"])]


def _credentials(scope: Scope, first_values: dict[str, str]) -> Credentials:
    key = authorization = host = None
    for name, value in scope["headers"]:
        if name == b"ocp-apim-subscription-key":
            key = key if key is not None else value.decode("latin-1")
        elif name == b"authorization":
            authorization = authorization if authorization is not None else value.decode("latin-1")
        elif name == b"host":
            host = value.decode("latin-1")
    if host is None:
        server = scope.get("server") or ("localhost", None)
        host = server[0] if server[1] in (None, 80, 443) else f"{server[0]}:{server[1]}"
    # API Management names the requested host in its key challenge; the header wins over the query parameter.
    realm = f"{scope.get('scheme', 'http')}://{host}{API_BASE}"
    if key is None:
        key = first_values.get("subscription-key")
    return Credentials(subscription_key=key, authorization=authorization, realm=realm)


async def _faulty(answer: FeedAnswer) -> tuple[int, bytes, dict[str, str]]:
    fault = answer.fault
    assert fault is not None
    if fault.delay_ms:
        await asyncio.sleep(fault.delay_ms / 1000)
    if fault.body is not None:
        return fault.status or 500, fault.body, fault.headers
    if fault.kind is FaultKind.TRUNCATE:
        return 200, answer.body[: len(answer.body) // 2], {}
    return 200, answer.body, {}
