"""Lineage: ``POST /runs/<id>/reproduce`` and ``GET /env/last-run?path=``."""

from __future__ import annotations

from tornado import web

from jupyter_nbtools.handlers.authorization import authorized, authorized_to_execute
from jupyter_nbtools.handlers.jobs import JobsHandlerBase
from jupyter_nbtools.handlers.off_loop import off_loop
from jupyter_nbtools.handlers.seen import seen_run
from nbtools import lineage


class RunReproduceHandler(JobsHandlerBase):
    """Queue a run of the same notebook version and parameters; the reply is the new run
    with ``reproduction``: what it runs and how the environment changed since."""

    @web.authenticated
    @authorized_to_execute
    @off_loop
    def post(self, run_id: str) -> None:
        run_number = self.path_id(run_id, "run_id")
        reproduced = lineage.reproduce_run(self.project, run_number, actor=self.actor)
        self.jobs.wake()
        self.reply(seen_run(self.project.root, reproduced), status=202)


class LastRunEnvironmentHandler(JobsHandlerBase):
    """The environment snapshot of the notebook's last successful run (nulls when none)."""

    @web.authenticated
    @authorized
    @off_loop
    def get(self) -> None:
        path = self.notebook_path(self.path_argument(), "path")
        found = lineage.production_environment(self.project, path)
        run = None if found.run is None else seen_run(self.project.root, found.run)
        self.reply({**found.to_wire(), "run": run})


ROUTES = [
    (r"/runs/(?P<run_id>[^/]+)/reproduce", RunReproduceHandler),
    (r"/env/last-run", LastRunEnvironmentHandler),
]
