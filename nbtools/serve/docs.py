"""The interactive docs page (``GET /docs``): Swagger UI served from the installed
``swagger-ui-bundle-v2`` package, so the page works without internet access (FastAPI's own
page loads its script and style from a CDN)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse
from starlette.exceptions import HTTPException
from swagger_ui_bundle import swagger_ui_path

#: Where the page's files are answered, and the files it needs (name → media type).
ASSETS_PATH = "/docs/assets"
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "favicon-32x32.png": "image/png",
}


def add_docs(app: FastAPI, title: str) -> None:
    """``GET /docs`` (the page) and ``GET /docs/assets/<file>`` (its script, style, icon)."""

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title=f"{title} - API docs",
            swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_PATH}/favicon-32x32.png",
        )

    @app.get(ASSETS_PATH + "/{name}", include_in_schema=False)
    async def asset(name: str) -> FileResponse:
        media_type = ASSETS.get(name)
        if media_type is None:  # only the listed files: no other path of the package is read
            raise HTTPException(404, f"No docs asset {name!r}.")
        return FileResponse(swagger_ui_path / name, media_type=media_type)
