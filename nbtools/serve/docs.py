"""The interactive docs page (``GET /docs``): Swagger UI served from the installed
``swagger-ui-bundle-v2`` package, so the page works without internet access (FastAPI's own
page loads its script and style from a CDN); and the service's address itself (``GET /``),
which sends a browser there and tells a client where things are; and, for a service with an
API key, how its OpenAPI document says to send it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException
from swagger_ui_bundle import swagger_ui_path

#: Where the page's files are answered, and the files it needs (name → media type).
ASSETS_PATH = "/docs/assets"
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "favicon-32x32.png": "image/png",
}


def document_key(app: FastAPI, keyed: Callable[[], bool], open_paths: frozenset[str]) -> None:
    """Have ``app``'s OpenAPI document, once ``keyed()`` (the service started with an API key),
    say how a request sends the key: as ``X-API-Key`` or as a ``Bearer`` token, either one, on
    every operation but those of ``open_paths`` (the probes). A client generated from the
    document then sends it, and the docs page has its Authorize button."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        document = app.openapi_schema
        if document is None:
            document = build()  # FastAPI's, which keeps it as app.openapi_schema
            if keyed():
                document.setdefault("components", {})["securitySchemes"] = {
                    "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
                    "bearer": {"type": "http", "scheme": "bearer"},
                }
                for path, operations in document["paths"].items():
                    for operation in operations.values() if path not in open_paths else ():
                        operation["security"] = [{"apiKey": []}, {"bearer": []}]
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def add_docs(app: FastAPI, title: str, endpoints: list[str]) -> None:
    """``GET /docs`` (the page), ``GET /docs/assets/<file>`` (its script, style, icon) and
    ``GET /``: a browser (asking for HTML) is redirected to the page; another client gets the
    service's map: its ``endpoints`` (``/<name>``) and where its docs, schema, facts and
    probes are."""

    @app.get("/", include_in_schema=False)
    async def index(request: Request) -> Response:
        prefix = request.scope.get("root_path", "")
        if "text/html" in request.headers.get("accept", ""):
            return RedirectResponse(f"{prefix}/docs", status_code=307)
        return JSONResponse(
            {
                "service": title,
                "endpoints": [f"/{name}" for name in endpoints],
                "docs": "/docs",
                "openapi": "/openapi.json",
                "info": "/info",
                "health": "/health",
                "ready": "/ready",
                "metrics": "/metrics",
            }
        )

    @app.get("/docs", include_in_schema=False)
    async def docs(request: Request) -> HTMLResponse:
        # behind a proxy's prefix (the ASGI root_path) the browser asks for the prefixed paths
        prefix = request.scope.get("root_path", "")
        assets = prefix + ASSETS_PATH
        return get_swagger_ui_html(
            openapi_url=f"{prefix}/openapi.json",
            title=f"{title} - API docs",
            swagger_js_url=f"{assets}/swagger-ui-bundle.js",
            swagger_css_url=f"{assets}/swagger-ui.css",
            swagger_favicon_url=f"{assets}/favicon-32x32.png",
        )

    @app.get(ASSETS_PATH + "/{name}", include_in_schema=False)
    async def asset(name: str) -> FileResponse:
        media_type = ASSETS.get(name)
        if media_type is None:  # only the listed files: no other path of the package is read
            raise HTTPException(404, f"No docs asset {name!r}.")
        return FileResponse(swagger_ui_path / name, media_type=media_type)
