"""NAV's API: GET /helse/v1/trygdehendelser/hendelser, the hot path, as a lean Starlette route."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from emulator.backend import Backend, FeedAnswer
from emulator.errors import NotFoundError
from emulator.faults import FaultKind
from emulator.gateway import Credentials

FEED_PATH = "/helse/v1/trygdehendelser/hendelser"
JSON = "application/json"


class DroppedConnectionError(Exception):
    """Raised after part of a body is sent, so the server closes the connection mid-body."""


async def hendelser(request: Request) -> Response:
    # Starlette answers HEAD on every GET route; API Management has no HEAD operation here.
    if request.method != "GET":
        raise NotFoundError()
    backend: Backend = request.app.state.backend
    query = request.query_params

    def first_value(name: str) -> str | None:
        values = query.getlist(name)
        return values[0] if values else None

    # API Management names the requested host in its key challenge.
    realm = f"{request.url.scheme}://{request.url.netloc}/helse/v1/trygdehendelser"
    consumer = backend.admit(Credentials.from_request(request.headers, first_value, realm))
    request.state.consumer = consumer
    answer = backend.read_page(consumer, first_value)
    request.state.feed = answer
    if answer.fault is None:
        return Response(answer.body, media_type=JSON)
    return await _faulty(request, answer)


async def _faulty(request: Request, answer: FeedAnswer) -> Response:
    fault = answer.fault
    assert fault is not None
    request.state.fault = fault.fault_id
    if fault.delay_ms:
        await asyncio.sleep(fault.delay_ms / 1000)
    if fault.body is not None:
        return Response(fault.body, status_code=fault.status or 500, headers=fault.headers, media_type=JSON)
    if fault.kind is FaultKind.DROP:
        return DroppingResponse(answer.body, media_type=JSON)
    if fault.kind is FaultKind.TRUNCATE:
        return Response(answer.body[: len(answer.body) // 2], media_type=JSON)
    return Response(answer.body, media_type=JSON)


class DroppingResponse(Response):
    """Announces the whole body, sends half of it, then gives up: the client sees the connection drop."""

    async def __call__(self, _scope: Scope, _receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        await send({"type": "http.response.body", "body": self.body[: len(self.body) // 2], "more_body": True})
        raise DroppedConnectionError()


routes = [Route(FEED_PATH, hendelser, methods=["GET"])]
