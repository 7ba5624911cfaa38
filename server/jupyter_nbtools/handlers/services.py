"""Service previews: ``/services`` (list, start), ``/services/<id>`` (stop), its log, its
OpenAPI document and ``/services/<id>/call/<endpoint>`` (a call proxied to the preview).

Starting, stopping and calling run the package's code: ``execute``, and an audit entry each
(``service.start``, ``service.stop``, ``service.call``); the rest is ``read``.
"""

from __future__ import annotations

from tornado import web

from jupyter_nbtools.handlers.authorization import authorized, authorized_to_execute
from jupyter_nbtools.handlers.base import NbtoolsHandler
from jupyter_nbtools.handlers.bodies import body_fields, body_passed_on
from jupyter_nbtools.previews import ServicePreviews


class ServicesHandlerBase(NbtoolsHandler):
    @property
    def previews(self) -> ServicePreviews:
        previews: ServicePreviews = self.settings["nbtools_previews"]
        return previews


class ServicesHandler(ServicesHandlerBase):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        found = [await self.previews.refresh(preview) for preview in self.previews.all()]
        self.reply([preview.to_dict() for preview in found])

    @body_fields("package_dir", "api_key", "record")
    @web.authenticated
    @authorized_to_execute
    async def post(self) -> None:
        body = self.json_body()
        path = self.body_field(body, "package_dir", str, required=True)
        api_key = self.body_field(body, "api_key", str, default="")
        record = self.body_field(body, "record", bool, default=False)
        package_dir = self.resolve(path, "package_dir")
        preview, created = await self.call(
            self.previews.start, package_dir, self.actor, api_key=api_key, record=record
        )
        if created:
            await self.previews.started(preview)  # raises why it ended, if it did
        self.reply(preview.to_dict(), 201 if created else 200)


class ServiceHandler(ServicesHandlerBase):
    @web.authenticated
    @authorized
    async def get(self, preview_id: str) -> None:
        preview = await self.previews.refresh(self.previews.get(preview_id))
        self.reply(preview.to_dict())

    @web.authenticated
    @authorized_to_execute
    async def delete(self, preview_id: str) -> None:
        await self.call(self.previews.stop, preview_id, self.actor)
        self.reply(None, 204)


class ServiceLogHandler(ServicesHandlerBase):
    @web.authenticated
    @authorized
    async def get(self, preview_id: str) -> None:
        preview = await self.previews.refresh(self.previews.get(preview_id))
        log = preview.log
        self.reply({"state": preview.state, "log": log.text(), "dropped_lines": log.dropped})


class ServiceOpenApiHandler(ServicesHandlerBase):
    @web.authenticated
    @authorized
    async def get(self, preview_id: str) -> None:
        self.reply(await self.previews.openapi(self.previews.get(preview_id)))


class ServiceCallHandler(ServicesHandlerBase):
    @body_passed_on
    @web.authenticated
    @authorized_to_execute
    async def post(self, preview_id: str, endpoint: str) -> None:
        preview = self.previews.get(preview_id)
        api_key = self.request.headers.get("X-API-Key")  # passed on to the service as is
        await self.call(self.previews.admit_call, preview, endpoint, self.actor)
        self.reply(await self.previews.call(preview, endpoint, self.json_body(), api_key))


ROUTES = [
    (r"/services", ServicesHandler),
    (r"/services/(?P<preview_id>[^/]+)", ServiceHandler),
    (r"/services/(?P<preview_id>[^/]+)/log", ServiceLogHandler),
    (r"/services/(?P<preview_id>[^/]+)/openapi", ServiceOpenApiHandler),
    (r"/services/(?P<preview_id>[^/]+)/call/(?P<endpoint>[^/]+)", ServiceCallHandler),
]
