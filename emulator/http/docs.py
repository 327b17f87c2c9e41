"""The control plane's Swagger UI at /_emulator/docs, from assets shipped in a package: it works with no network."""

from __future__ import annotations

from importlib import resources

from fastapi.openapi.docs import get_swagger_ui_html
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

# fastapi-offline ships a current Swagger UI (5.x, which renders OpenAPI 3.1 as FastAPI writes it).
_ASSETS_PACKAGE = "fastapi_offline"


def routes(docs_path: str, openapi_path: str, title: str) -> list[BaseRoute]:
    assets_path = f"{docs_path}/assets"
    assets = resources.files(_ASSETS_PACKAGE).joinpath("static")

    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{openapi_path}",
            title=f"{title} - Swagger UI",
            swagger_js_url=f"{root}{assets_path}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{assets_path}/swagger-ui.css",
            swagger_favicon_url=f"{root}{assets_path}/favicon.png",
        )

    return [
        Route(docs_path, swagger_ui, methods=["GET"], include_in_schema=False),
        Mount(assets_path, StaticFiles(directory=str(assets)), name="docs-assets"),
    ]
