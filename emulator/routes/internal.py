"""Health endpoints on NAV's convention (/internal/isalive, /internal/isready) and the API's own document."""

from __future__ import annotations

from importlib import resources

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

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


routes = [
    Route("/internal/isalive", isalive, methods=["GET"]),
    Route("/internal/isready", isready, methods=["GET"]),
]
