"""Inputs of the create-job form: ``/parameters?path=``, ``/cron/preview?cron=&timezone=`` and
``/data/check?path=&purpose=`` (the datasets the notebook uses, whether a job of it needs a
purpose and which uses the purpose refuses)."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from jupyter_nbtools.handlers.base import NbtoolsHandler, off_loop
from nbtools.data.check import check_notebook
from nbtools.jobs.parameters import declared_parameters
from nbtools.jobs.schedules import PRESETS, preview
from nbtools.notebooks import read_notebook
from nbtools.parameters import parameters_cell_index
from nbtools.store.base import utcnow


class ParametersHandler(NbtoolsHandler):
    @web.authenticated
    @authorized
    @off_loop
    def get(self) -> None:
        notebook = read_notebook(self.resolve(self.required_argument("path")))
        self.reply(
            {
                "cell": parameters_cell_index(notebook),
                "parameters": [p.to_dict() for p in declared_parameters(notebook)],
            }
        )


class CronPreviewHandler(NbtoolsHandler):
    @web.authenticated
    @authorized
    @off_loop
    def get(self) -> None:
        model = preview(
            self.required_argument("cron"),
            self.get_query_argument("timezone", "UTC"),
            utcnow(),
            self.whole_number_argument("count", 5, least=1, most=100) or 5,
        )
        self.reply({**model, "presets": PRESETS})


class DataCheckHandler(NbtoolsHandler):
    @web.authenticated
    @authorized
    @off_loop
    def get(self) -> None:
        path = self.relative_path(self.required_argument("path"))
        purpose = self.get_query_argument("purpose", None)
        self.reply(check_notebook(self.project, path, purpose, enforce=False).to_dict())


ROUTES = [
    (r"/parameters", ParametersHandler),
    (r"/cron/preview", CronPreviewHandler),
    (r"/data/check", DataCheckHandler),
]
