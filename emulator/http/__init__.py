"""The ASGI edge, the only place that knows FastAPI and Starlette: the app, the request pipeline, the routes."""

from emulator.http.app import create_app

__all__ = ["create_app"]
