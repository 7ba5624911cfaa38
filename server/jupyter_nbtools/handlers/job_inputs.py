"""Inputs of the create-job form: ``/parameters?path=`` and ``/cron/preview?cron=&timezone=``."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from jupyter_nbtools.handlers.base import NbtoolsHandler, off_loop
from nbtools import jobs


class ParametersHandler(NbtoolsHandler):
    @web.authenticated
    @authorized
    @off_loop
    def get(self) -> None:
        self.reply(jobs.notebook_parameters(self.resolve(self.required_argument("path"))))


class CronPreviewHandler(NbtoolsHandler):
    @web.authenticated
    @authorized
    @off_loop
    def get(self) -> None:
        model = jobs.preview_schedule(
            self.required_argument("cron"),
            self.get_query_argument("timezone", "UTC"),
            self.whole_number_argument("count", 5, least=1, most=100) or 5,
        )
        self.reply({**model.to_wire(), "presets": jobs.schedule_presets()})


ROUTES = [(r"/parameters", ParametersHandler), (r"/cron/preview", CronPreviewHandler)]
