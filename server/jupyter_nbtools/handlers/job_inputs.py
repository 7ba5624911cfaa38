"""Inputs of the create-job form: ``/parameters?path=``, ``/cron/preview?cron=&timezone=`` and
``/data/check?path=&purpose=`` (the datasets the notebook uses, whether a job of it needs a
purpose and which uses the purpose refuses)."""

from __future__ import annotations

from tornado import web

from jupyter_nbtools.handlers.authorization import authorized
from jupyter_nbtools.handlers.base import NbtoolsHandler
from jupyter_nbtools.handlers.off_loop import off_loop
from nbtools import data, jobs


class ParametersHandler(NbtoolsHandler):
    @web.authenticated
    @authorized
    @off_loop
    def get(self) -> None:
        self.reply(jobs.notebook_parameters(self.resolve(self.path_argument())))


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


class DataCheckHandler(NbtoolsHandler):
    @web.authenticated
    @authorized
    @off_loop
    def get(self) -> None:
        path = self.relative_path(self.path_argument())
        purpose = self.get_query_argument("purpose", None)
        self.reply(data.check_notebook(self.project, path, purpose, enforce=False).to_dict())


ROUTES = [
    (r"/parameters", ParametersHandler),
    (r"/cron/preview", CronPreviewHandler),
    (r"/data/check", DataCheckHandler),
]
