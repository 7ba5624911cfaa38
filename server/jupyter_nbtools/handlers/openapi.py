"""``GET /nbtools/api/openapi.yaml``: the OpenAPI description of this REST API."""

from __future__ import annotations

from importlib.resources import files

from tornado import web

from jupyter_nbtools.handlers.authorization import authorized
from jupyter_nbtools.handlers.base import NbtoolsHandler

#: The document, shipped beside the package's modules.
SPEC = files("jupyter_nbtools") / "openapi.yaml"


class OpenApiHandler(NbtoolsHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        document = await self.call(SPEC.read_bytes)  # file work stays off the event loop
        self.finish(document, set_content_type="application/yaml; charset=utf-8")


ROUTES = [(r"/openapi\.yaml", OpenApiHandler)]
