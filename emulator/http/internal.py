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


def nav_openapi_document() -> bytes:
    """NAV's API as the seed documents it: the repository's `openapi.json`, shipped inside the package."""
    return resources.files("emulator").joinpath("openapi.json").read_bytes()


def spec_route() -> Route:
    document = nav_openapi_document()

    async def openapi(_: Request) -> Response:
        return Response(document, media_type="application/json")

    return Route("/openapi.json", openapi, methods=["GET"])


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
