"""The ASGI edge, the only place that knows FastAPI and Starlette: the app, the request pipeline, the routes."""

from emulator.http.app import create_app
from emulator.http.protocol import GuardedHttpProtocol

__all__ = ["GuardedHttpProtocol", "create_app"]
