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
from collections.abc import Coroutine, Hashable
from typing import Any, Generic
from urllib.parse import parse_qsl

from starlette.types import Message, Receive, Scope, Send

from emulator.backend import Backend
from emulator.errors import EmulatorError, GatewayError, NotFoundError, error_answer
from emulator.gateway import Admission, Credentials
from emulator.harness import Answered, Decision, Delivery, FaultKind, consumer_name, redacted_query
from emulator.http.endpoint import Answer, Call, Checked, Endpoint, Parsed, QueryString, first_values
from emulator.http.memory import Kept, KeptAnswers

# Distinct query strings remembered per endpoint: pollers and test suites ask for the same pages over and over.
MAX_QUERIES = 4096
# Real queries are well under 200 bytes; longer ones are read afresh, so the cache's memory stays small.
MAX_CACHED_QUERY_BYTES = 512
_KEY_HEADER = b"ocp-apim-subscription-key"
_AUTHORIZATION = b"authorization"
_CALL_ID = b"nav-call-id"
_CONSUMER_ID = b"nav-consumer-id"
logger = logging.getLogger("emulator.http")
_UNNAMED = "\0"


class Pipeline(Generic[Parsed, Checked]):
    """The ASGI app of one endpoint.

    A request the pipeline answered with a 200 before is answered again from memory, and costs a fraction of
    the steps: same method, path, query string, subscription key and Authorization header, so every step that
    read the request would decide as it did. Before it is sent again, whatever could change the answer is
    looked at afresh: the gateway must still admit the token at this time (no rate limit counting requests),
    no fault may be active, and the endpoint's state must be the one it answered from. It is observed as
    every answer is.
    """

    def __init__(self, backend: Backend, endpoint: Endpoint[Parsed, Checked]) -> None:
        self._backend = backend
        self._endpoint = endpoint
        self._queries: dict[bytes, QueryString] = {}
        self._realms: dict[bytes, str] = {}
        # Few keys and clients call: each admission's consumer name is made once.
        self._names: dict[Admission, str | None] = {}
        self._kept = KeptAnswers()
        # What every kept answer is checked against, looked up once.
        self._faults = backend.harness.faults.active
        self._observe = backend.harness.observe
        self._clock = backend.clock
        self._state = endpoint.state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        headers = scope["headers"]
        raw_headers: dict[bytes, bytes] = dict(headers)
        if len(raw_headers) != len(headers):
            # A header sent twice: the first one counts, as API Management and Spring read it.
            raw_headers = dict(reversed(headers))
        authorization = raw_headers.get(_AUTHORIZATION)
        request_key = (scope["method"], scope["path"], scope["query_string"], raw_headers.get(_KEY_HEADER))
        for kept in self._kept.get(request_key, ()):
            if kept.authorization != authorization:
                continue
            if not self._faults and kept.state == self._state():
                now_ms = self._clock.now_ms()
                if kept.admitted_from <= now_ms < kept.admitted_until:
                    await send(kept.start)
                    await send(kept.body)
                    self._observe(
                        kept.answered, time.perf_counter() - started, raw_headers.get(_CALL_ID),
                        raw_headers.get(_CONSUMER_ID), now_ms,
                    )  # fmt: skip
                    return
            break
        await self._answer(
            scope, receive, send, raw_headers=raw_headers, request_key=request_key, authorization=authorization,
            started=started,
        )  # fmt: skip

    async def _answer(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        *,
        raw_headers: dict[bytes, bytes],
        request_key: tuple[Any, ...],
        authorization: bytes | None,
        started: float,
    ) -> None:
        """Every step, in order."""
        backend, endpoint = self._backend, self._endpoint
        query = self._query(scope["query_string"])
        call = Call(scope, receive, raw_headers, query.first_values)
        fault: Decision | None = None
        admission: Admission | None = None
        state: Hashable | None = None
        try:
            if scope["method"] not in endpoint.methods or not endpoint.routes(scope["path"]):
                # API Management has no other operation on this path: routing answers before anything else.
                raise NotFoundError()
            if endpoint.scope is not None:
                admission = backend.gateway.admit(self._credentials(call), endpoint.scope)
                call.consumer = self._name(admission)
            checked = await endpoint.check(call, query.parsed)
            # Read before the answer is made: should the state change meanwhile, a kept answer is never too new.
            state = endpoint.state()
            if self._faults:
                subject = endpoint.fault_subject(checked)
                fault = backend.harness.faults.decide(route=endpoint.route, consumer=call.consumer, from_number=subject)
                answer = await _with_fault(fault, subject, endpoint.respond(call, checked))
            else:
                answer = await endpoint.respond(call, checked)
        except EmulatorError as error:
            answer = Answer(*_rendered(backend, error, scope["path"]))
        except Exception:
            logger.exception("%s failed", endpoint.route)
            answer = Answer(*_rendered(backend, GatewayError(500, "Internal server error"), scope["path"]))
        call_id = raw_headers.get(_CALL_ID)
        if call_id is not None and endpoint.echoes_call_id:
            answer.headers = {**(answer.headers or {}), "Nav-Call-Id": call_id.decode("latin-1")}
        start = _start(answer)
        body: Message = {"type": "http.response.body", "body": answer.body}
        head = backend.history.log.head
        await _send(send, start, body, dropped=fault is not None and fault.kind is FaultKind.DROP)
        answered = Answered(
            endpoint.route, scope["method"], scope["path"], query.journal_text, answer.status, call.consumer,
            fault.fault_id if fault else None, answer.delivery, head,
        )  # fmt: skip
        self._observe(answered, time.perf_counter() - started, call_id, raw_headers.get(_CONSUMER_ID))
        if (
            answer.status == 200
            and fault is None
            and admission is not None
            and state is not None
            and not endpoint.echoes_call_id
        ):
            window = backend.gateway.readmission(admission)
            if window is not None:
                kept = Kept(authorization, *window, state, start, body, answered)
                self._kept.keep(request_key, kept)

    def _name(self, admission: Admission) -> str | None:
        name = self._names.get(admission, _UNNAMED)
        if name is _UNNAMED:
            name = consumer_name(admission.client_id, admission.key_label)
            if len(self._names) >= MAX_QUERIES:
                self._names.clear()
            self._names[admission] = name
        return name

    def _credentials(self, call: Call) -> Credentials:
        raw = call.raw_headers
        key = raw.get(_KEY_HEADER)
        authorization = raw.get(_AUTHORIZATION)
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


def _start(answer: Answer) -> Message:
    raw_headers = [_JSON, (b"content-length", b"%d" % len(answer.body))]
    if answer.headers:
        raw_headers.extend(
            (name.lower().encode("latin-1"), text.encode("latin-1")) for name, text in answer.headers.items()
        )
    return {"type": "http.response.start", "status": answer.status, "headers": raw_headers}


async def _send(send: Send, start: Message, body: Message, *, dropped: bool) -> None:
    await send(start)
    if dropped:
        # Half the announced body, then nothing: the server closes the connection mid-body.
        whole = body["body"]
        await send({"type": "http.response.body", "body": whole[: len(whole) // 2], "more_body": True})
    else:
        await send(body)
