"""NAV's API: GET /helse/v1/trygdehendelser/hendelser, the hot path, as a lean Starlette route."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from emulator.backend import Backend
from emulator.errors import NotFoundError
from emulator.gateway import Credentials

FEED_PATH = "/helse/v1/trygdehendelser/hendelser"


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
    credentials = Credentials.from_request(request.headers, first_value, realm)
    body = backend.read_feed(credentials, first_value)
    return Response(body, media_type="application/json")


routes = [Route(FEED_PATH, hendelser, methods=["GET"])]
