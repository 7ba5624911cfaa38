"""Metrics: ``GET /runs/<id>/metrics`` and ``GET /jobs/<id>/metrics`` (a paged series)."""

from __future__ import annotations

from tornado import web

from jupyter_nbtools.handlers.authorization import authorized
from jupyter_nbtools.handlers.base import NbtoolsHandler
from jupyter_nbtools.handlers.off_loop import off_loop
from nbtools import metrics
from nbtools.ids import MAX_ID


class RunMetricsHandler(NbtoolsHandler):
    @web.authenticated
    @authorized
    @off_loop
    def get(self, run_id: str) -> None:
        self.reply(metrics.run_metrics(self.project, self.path_id(run_id, "run_id")))


class JobMetricsHandler(NbtoolsHandler):
    @web.authenticated
    @authorized
    @off_loop
    def get(self, job_id: str) -> None:
        series = metrics.metric_series(
            self.project,
            self.path_id(job_id, "job_id"),
            metric=self.get_query_argument("metric", None),
            before_run=self.whole_number_argument("before", most=MAX_ID),
            limit=self.whole_number_argument(
                "limit", metrics.DEFAULT_PAGE_RUNS, least=1, most=metrics.MAX_PAGE_RUNS
            )
            or metrics.DEFAULT_PAGE_RUNS,
        )
        self.reply(series)


ROUTES = [
    (r"/runs/(?P<run_id>[^/]+)/metrics", RunMetricsHandler),
    (r"/jobs/(?P<job_id>[^/]+)/metrics", JobMetricsHandler),
]
