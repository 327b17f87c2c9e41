"""/internal: health on NAV's convention, Prometheus metrics; and the API's own document at /openapi.json."""

from __future__ import annotations

from importlib import resources

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from emulator.backend import Backend

_HEALTHY = b'{"status":"UP"}'


async def isalive(_: Request) -> Response:
    return Response(_HEALTHY, media_type="application/json")


async def isready(_: Request) -> Response:
    # The app is created only once its log is built, so serving at all means ready.
    return Response(_HEALTHY, media_type="application/json")


# The documents of the two emulated APIs, as the repository keeps them, and where the running emulator serves them.
NAV_OPENAPI = ("openapi.json", "/openapi.json")
MEDL_OPENAPI = ("medl-openapi.json", "/medl-openapi.json")


def nav_openapi_document() -> bytes:
    """NAV's API as the seed documents it: the repository's `openapi.json`, shipped inside the package."""
    return resources.files("emulator").joinpath(NAV_OPENAPI[0]).read_bytes()


def spec_routes() -> list[Route]:
    """Each API's OpenAPI document, read once."""
    routes = []
    for name, path in (NAV_OPENAPI, MEDL_OPENAPI):
        document = resources.files("emulator").joinpath(name).read_bytes()

        async def openapi(_: Request, document: bytes = document) -> Response:
            return Response(document, media_type="application/json")

        routes.append(Route(path, openapi, methods=["GET"]))
    return routes


async def metrics(request: Request) -> Response:
    backend: Backend = request.app.state.backend
    head = backend.history.log.head
    views = backend.harness.consumers.views(head)
    text = backend.harness.metrics.render(
        log_size=len(backend.history.log),
        head=head,
        consumer_lag={view.consumer: view.lag for view in views},
        consumer_requests={
            **{(view.consumer, "feed"): view.requests for view in views if view.requests},
            **{(view.consumer, "medl"): view.medl_requests for view in views if view.medl_requests},
        },
        journal_evicted=backend.harness.journal.evicted,
    )
    return Response(text, media_type="text/plain; version=0.0.4; charset=utf-8")


routes = [
    Route("/internal/isalive", isalive, methods=["GET"]),
    Route("/internal/isready", isready, methods=["GET"]),
    Route("/internal/metrics", metrics, methods=["GET"]),
]
