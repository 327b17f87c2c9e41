"""The ASGI edge, the only place that knows FastAPI and Starlette: the app, the request pipeline, the routes."""
