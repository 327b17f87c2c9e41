"""The request pipeline, written once for every emulated endpoint: route → gateway → check → fault → handler → observe.

Each endpoint (NAV's feed, MEDL, Maskinporten's token endpoint) says only what is its own: its methods, the scope
API Management wants for it (none for the token server, which is not behind the gateway), how it reads its
query string, the backend's own checks, and its answer. The pipeline does the rest, in the real components'
order: API Management routes (404) and admits (401/403/429) before the backend sees anything; the backend
rejects what it cannot read (Spring's 400); only then may an injected fault stand in for the backend's answer,
because a fault is scoped to a consumer, and only the gateway (or, on the token endpoint, the request) can
say who that is. Whatever happens, the answer is observed: journal, metrics, consumer view.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Coroutine, Iterable
from dataclasses import dataclass
from typing import Any, Generic, NamedTuple, Protocol, TypeVar
from urllib.parse import parse_qsl

from starlette.types import Receive, Scope, Send

from emulator.backend import Backend
from emulator.errors import EmulatorError, GatewayError, NotFoundError, error_answer
from emulator.gateway import Admission, Credentials
from emulator.harness import Decision, Delivery, FaultKind, consumer_name, redacted_query

# Distinct query strings remembered per endpoint: pollers and test suites ask for the same pages over and over.
MAX_QUERIES = 4096
# Real queries are well under 200 bytes; longer ones are read afresh, so the cache's memory stays small.
MAX_CACHED_QUERY_BYTES = 512
logger = logging.getLogger("emulator.http")
_UNNAMED = "\0"

Parsed = TypeVar("Parsed")
Checked = TypeVar("Checked")


@dataclass(slots=True)
class Call:
    """One request as the pipeline's steps see it. Not frozen: one is made per request."""

    scope: Scope
    receive: Receive
    # Raw header names and values, the first of a repeated header counting; decoded only when read.
    raw_headers: dict[bytes, bytes]
    first_values: dict[str, str]
    consumer: str | None = None

    def header(self, name: bytes) -> str | None:
        value = self.raw_headers.get(name)
        return value.decode("latin-1") if value is not None else None


@dataclass(slots=True)
class Answer:
    status: int
    body: bytes
    headers: dict[str, str] | None = None
    # What a feed page delivered, for the consumer view; None for any other answer.
    delivery: Delivery | None = None


class QueryString(NamedTuple):
    first_values: dict[str, str]
    # The endpoint's own reading of the parameters (a feed query, say, or the error that refuses them).
    parsed: Any
    # As the journal may show it: any key, token, assertion or secret masked.
    journal_text: str


class Endpoint(Protocol[Parsed, Checked]):
    @property
    def route(self) -> str:
        """How faults, the journal and the metrics name the endpoint."""

    @property
    def methods(self) -> frozenset[str]: ...

    @property
    def scope(self) -> str | None:
        """The scope API Management wants; None for an endpoint that is not behind the gateway."""

    @property
    def api_base(self) -> str:
        """The API's base path, which API Management's key challenge names."""

    @property
    def echoes_call_id(self) -> bool:
        """Whether the answer carries the request's Nav-Call-Id back, as NAV's REST services do."""

    def routes(self, path: str) -> bool:
        """Whether API Management has an operation at this path (the app hands the endpoint its paths)."""

    def parse(self, pairs: list[tuple[str, str]]) -> Parsed:
        """What the query string's pairs mean to the backend; a pure function of them, kept per query string."""

    async def check(self, call: Call, parsed: Parsed) -> Checked:
        """The backend's own checks, raising the error it answers; may name the consumer (the token endpoint)."""

    def fault_subject(self, checked: Checked) -> int | None:
        """The hendelsesnummer a fault may be scoped to, where the endpoint has one."""

    async def respond(self, call: Call, checked: Checked) -> Answer:
        """The backend's answer."""


class Pipeline(Generic[Parsed, Checked]):
    """The ASGI app of one endpoint."""

    def __init__(self, backend: Backend, endpoint: Endpoint[Parsed, Checked]) -> None:
        self._backend = backend
        self._endpoint = endpoint
        self._queries: dict[bytes, QueryString] = {}
        self._realms: dict[bytes, str] = {}
        # Few keys and clients call: each admission's consumer name is made once.
        self._names: dict[Admission, str | None] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        backend, endpoint = self._backend, self._endpoint
        query = self._query(scope["query_string"])
        # Reversed, so that of a repeated header the first one stays.
        raw_headers: dict[bytes, bytes] = dict(reversed(scope["headers"]))
        call = Call(scope, receive, raw_headers, query.first_values)
        fault: Decision | None = None
        try:
            if scope["method"] not in endpoint.methods or not endpoint.routes(scope["path"]):
                # API Management has no other operation on this path: routing answers before anything else.
                raise NotFoundError()
            if endpoint.scope is not None:
                admission = backend.gateway.admit(self._credentials(call), endpoint.scope)
                name = self._names.get(admission, _UNNAMED)
                if name is _UNNAMED:
                    name = consumer_name(admission.client_id, admission.key_label)
                    if len(self._names) >= MAX_QUERIES:
                        self._names.clear()
                    self._names[admission] = name
                call.consumer = name
            checked = await endpoint.check(call, query.parsed)
            faults = backend.harness.faults
            if faults:
                subject = endpoint.fault_subject(checked)
                fault = faults.decide(route=endpoint.route, consumer=call.consumer, from_number=subject)
                answer = await _with_fault(fault, subject, endpoint.respond(call, checked))
            else:
                answer = await endpoint.respond(call, checked)
        except EmulatorError as error:
            answer = Answer(*_rendered(backend, error, scope["path"]))
        except Exception:
            logger.exception("%s failed", endpoint.route)
            answer = Answer(*_rendered(backend, GatewayError(500, "Internal server error"), scope["path"]))
        call_id = raw_headers.get(b"nav-call-id")
        if call_id is not None and endpoint.echoes_call_id:
            answer.headers = {**(answer.headers or {}), "Nav-Call-Id": call_id.decode("latin-1")}
        await _send(send, answer, dropped=fault is not None and fault.kind is FaultKind.DROP)
        consumer_id = raw_headers.get(b"nav-consumer-id")
        backend.harness.observe(
            endpoint.route,
            scope["method"],
            scope["path"],
            query.journal_text,
            answer.status,
            time.perf_counter() - started,
            call.consumer,
            fault.fault_id if fault is not None else None,
            answer.delivery,
            backend.history.log.head,
            call_id.decode("latin-1") if call_id is not None else None,
            consumer_id.decode("latin-1") if consumer_id is not None else None,
        )

    def _credentials(self, call: Call) -> Credentials:
        raw = call.raw_headers
        key = raw.get(b"ocp-apim-subscription-key")
        authorization = raw.get(b"authorization")
        return Credentials.from_request(
            key.decode("latin-1") if key is not None else None,
            call.first_values,
            authorization.decode("latin-1") if authorization is not None else None,
            self._realm(call.scope, raw.get(b"host")),
        )

    def _realm(self, scope: Scope, host: bytes | None) -> str:
        """API Management names the requested host and API in its key challenge; kept per Host, as few are used."""
        realm = self._realms.get(host) if host is not None else None
        if realm is None:
            if host is None:
                server = scope.get("server") or ("localhost", None)
                name = server[0] if server[1] in (None, 80, 443) else f"{server[0]}:{server[1]}"
            else:
                name = host.decode("latin-1")
            realm = f"{scope.get('scheme', 'http')}://{name}{self._endpoint.api_base}"
            if host is not None and len(host) <= MAX_CACHED_QUERY_BYTES:
                if len(self._realms) >= MAX_QUERIES:
                    self._realms.clear()
                self._realms[host] = realm
        return realm

    def _query(self, query_string: bytes) -> QueryString:
        query = self._queries.get(query_string)
        if query is None:
            text = query_string.decode("latin-1")
            pairs = parse_qsl(text, keep_blank_values=True)
            query = QueryString(first_values(pairs), self._endpoint.parse(pairs), redacted_query(text))
            if len(query_string) <= MAX_CACHED_QUERY_BYTES:
                if len(self._queries) >= MAX_QUERIES:
                    del self._queries[next(iter(self._queries))]
                self._queries[query_string] = query
        return query


def first_values(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Each name's first value: how Spring's @RequestParam and the token endpoint read a repeated field."""
    values: dict[str, str] = {}
    for name, value in pairs:
        values.setdefault(name, value)
    return values


async def _with_fault(fault: Decision | None, subject: int | None, respond: Coroutine[Any, Any, Answer]) -> Answer:
    """The backend's answer, or what an injected fault makes of it: delayed, replaced, cut short or dropped."""
    if fault is None:
        answer: Answer = await respond
        return answer
    if fault.delay_ms:
        await asyncio.sleep(fault.delay_ms / 1000)
    if fault.body is not None:
        respond.close()
        return Answer(fault.status or 500, fault.body, fault.headers, Delivery(subject, None, ()))
    answer = await respond
    if fault.kind is FaultKind.TRUNCATE:
        # A cut page delivered nothing the consumer could use.
        return Answer(answer.status, answer.body[: len(answer.body) // 2], answer.headers, _undelivered(answer))
    if fault.kind is FaultKind.DROP:
        return Answer(answer.status, answer.body, answer.headers, _undelivered(answer))
    return answer


def _undelivered(answer: Answer) -> Delivery | None:
    delivery = answer.delivery
    return None if delivery is None else Delivery(delivery.requested_from, None, ())


def _rendered(backend: Backend, error: EmulatorError, path: str) -> tuple[int, bytes, dict[str, str]]:
    status, headers, body = error_answer(error, path=path, now_ms=backend.clock.now_ms())
    return status, body, headers


_JSON = (b"content-type", b"application/json")


async def _send(send: Send, answer: Answer, *, dropped: bool) -> None:
    body = answer.body
    raw_headers = [_JSON, (b"content-length", b"%d" % len(body))]
    if answer.headers:
        raw_headers.extend(
            (name.lower().encode("latin-1"), text.encode("latin-1")) for name, text in answer.headers.items()
        )
    await send({"type": "http.response.start", "status": answer.status, "headers": raw_headers})
    if dropped:
        # Half the announced body, then nothing: the server closes the connection mid-body.
        await send({"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True})
    else:
        await send({"type": "http.response.body", "body": body})
