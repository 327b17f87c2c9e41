"""create_app(settings): builds the backend, mounts the routes and the one renderer of upstream errors."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import AsyncIterator, Coroutine
from typing import Any

from fastapi import FastAPI
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from emulator import __version__
from emulator.backend import Backend
from emulator.clock import Clock, ControlledClock
from emulator.errors import EmulatorError, NotFoundError, error_answer
from emulator.http import admin, dashboard, docs, feed, insight, internal, maskinporten, medl, scenario
from emulator.http.admin import CONTROL_PREFIX, MAX_BODY_BYTES
from emulator.http.bodies import excerpt
from emulator.http.offloop import run_off_loop
from emulator.http.pipeline import Pipeline
from emulator.settings import Settings

LIVE_TICK_SECONDS = 0.02
BODY_TOO_LARGE = f"a request body to the control plane may hold at most {MAX_BODY_BYTES:,} bytes"
logger = logging.getLogger("emulator.live")


class EmulatorApp(FastAPI):
    """FastAPI, except that NAV's two APIs go straight to their pipelines (the feed's path, and MEDL's), and a
    control-plane request announcing a body past the limit is refused before any of it is read.

    A body without a length (chunked) is counted as it arrives by the routers' `max_body_size`.
    """

    hot_path: Pipeline[Any, Any] | None = None
    medl_path: Pipeline[Any, Any] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # A coroutine function, as tools tell an ASGI app by; the server runs `dispatch`, one await shorter.
        await self.dispatch(scope, receive, send)

    def dispatch(self, scope: Scope, receive: Receive, send: Send) -> Coroutine[Any, Any, None]:
        """The app as the server runs it: it hands over the coroutine of whoever answers, so that a feed request
        costs no await in between. The server is told it is an ASGI 3 app, as it cannot see that from here."""
        if scope["type"] == "http":
            path = scope["path"]
            if path == feed.FEED_PATH and self.hot_path is not None:
                return self.hot_path(scope, receive, send)
            if path.startswith(medl.MEDL_PATH) and self.medl_path is not None and _under(path, medl.MEDL_PATH):
                return self.medl_path(scope, receive, send)
            if path.startswith(f"{CONTROL_PREFIX}/") and _too_long(scope):
                return JSONResponse({"detail": BODY_TOO_LARGE}, status_code=413)(scope, receive, send)
        return super().__call__(scope, receive, send)


def _pipeline(route: Route) -> Pipeline[Any, Any]:
    assert isinstance(route.app, Pipeline), route.path
    return route.app


def _under(path: str, base: str) -> bool:
    return len(path) == len(base) or path[len(base)] == "/"


def _too_long(scope: Scope) -> bool:
    declared = Headers(scope=scope).get("content-length", "")
    return declared.isdigit() and int(declared) > MAX_BODY_BYTES


def create_app(
    settings: Settings, *, clock: ControlledClock | None = None, wall_clock: Clock | None = None
) -> EmulatorApp:
    backend = Backend.from_settings(settings, clock, wall_clock)
    medl_routes, medl_endpoint = medl.routes(backend)
    # Appends, live ticks and resets take turns: an append runs on a worker thread, and a reset or another
    # append waits for it here without holding up the event loop.
    writes = asyncio.Lock()

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        ticker = asyncio.create_task(_tick_live(backend, writes))
        medl_endpoint.start_warming()
        try:
            yield
        finally:
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker
            backend.history.close()

    app = EmulatorApp(
        title="trygdehendelser-emulator control plane",
        version=__version__,
        openapi_url=f"{CONTROL_PREFIX}/openapi.json",
        # Served by `docs` from packaged assets instead of FastAPI's CDN links.
        docs_url=None,
        redoc_url=None,
        # API Management matches paths exactly; it never redirects a trailing slash.
        redirect_slashes=False,
        lifespan=lifespan,
    )
    app.state.backend = backend
    app.state.writes = writes
    feed_routes = feed.routes(backend)
    app.hot_path = _pipeline(feed_routes[0])
    app.medl_path = _pipeline(medl_routes[0])
    app.router.routes.extend(
        [
            *feed_routes,
            *medl_routes,
            *maskinporten.routes(backend),
            *internal.routes,
            *internal.spec_routes(),
            *dashboard.routes,
            *docs.routes(f"{CONTROL_PREFIX}/docs", f"{CONTROL_PREFIX}/openapi.json", app.title),
        ]
    )
    for router in (admin.router, scenario.router, insight.router):
        app.include_router(router)
    app.add_exception_handler(EmulatorError, render_error)
    app.add_exception_handler(StarletteHTTPException, render_http_exception)
    app.add_exception_handler(RequestValidationError, render_validation_error)
    return app


async def _tick_live(backend: Backend, writes: asyncio.Lock) -> None:
    """Live mode runs on the controlled clock; this only looks often enough for new events to appear promptly.

    Each tick appends at most MAX_EVENTS_PER_TICK events, on a worker thread, so catching up after the clock
    moved ahead never holds up the event loop.
    """
    while True:
        await asyncio.sleep(LIVE_TICK_SECONDS)
        if backend.history.live is None:
            continue
        try:
            async with writes:
                await run_off_loop(backend.history.tick_live)
        except Exception:
            # One bad tick (a full disk under --data-dir, say) must not end live mode for good.
            logger.exception("live mode could not append")


async def render_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, EmulatorError)
    backend: Backend = request.app.state.backend
    status, headers, body = error_answer(error, path=request.url.path, now_ms=backend.clock.now_ms())
    return Response(body, status_code=status, headers=headers, media_type="application/json")


async def render_http_exception(request: Request, error: Exception) -> Response:
    """Unknown paths and methods get API Management's 404; the control plane keeps FastAPI's answers."""
    assert isinstance(error, StarletteHTTPException)
    if error.status_code == 413:
        return JSONResponse({"detail": BODY_TOO_LARGE}, status_code=413)
    if error.status_code in (404, 405) and not request.url.path.startswith(f"{CONTROL_PREFIX}/"):
        return await render_error(request, NotFoundError())
    return await http_exception_handler(request, error)


async def render_validation_error(_: Request, error: Exception) -> Response:
    """FastAPI's 422, except that the refused input is shown as a short excerpt, and a NaN or an infinity in it
    is named, not a failure to render.

    The stock handler echoes the input whole: a 70 MB body came back as a 70 MB answer. Python's JSON reader
    turns `NaN`, `Infinity` and `1e400` into floats that JSON cannot carry back, which the stock handler would
    answer with a 500.
    """
    assert isinstance(error, RequestValidationError)
    details = [
        {**detail, "input": excerpt(detail["input"])} if "input" in detail else detail for detail in error.errors()
    ]
    return JSONResponse({"detail": _finite(jsonable_encoder(details))}, status_code=422)


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_finite(item) for item in value]
    return value
