"""Metrics: ``GET /runs/<id>/metrics`` and ``GET /jobs/<id>/metrics`` (a paged series)."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from jupyter_nbtools.handlers.base import NbtoolsHandler
from nbtools.errors import InvalidInputError
from nbtools.metrics.series import metric_series, run_metrics


class MonitoringHandler(NbtoolsHandler):
    """Base of the monitoring handlers: whole-number query arguments."""

    def int_argument(self, name: str, default: int | None = None) -> int | None:
        text = self.get_query_argument(name, None)
        if text is None:
            return default
        if not text.isdigit():
            raise InvalidInputError(
                f"Query argument {name!r} must be a whole number, got {text!r}.", argument=name
            )
        return int(text)


class RunMetricsHandler(MonitoringHandler):
    @web.authenticated
    @authorized
    def get(self, run_id: str) -> None:
        with self.project.store.session() as session:
            self.reply(run_metrics(session, int(run_id)))


class JobMetricsHandler(MonitoringHandler):
    @web.authenticated
    @authorized
    def get(self, job_id: str) -> None:
        with self.project.store.session() as session:
            self.reply(
                metric_series(
                    session,
                    int(job_id),
                    metric=self.get_query_argument("metric", None),
                    before_run=self.int_argument("before"),
                    limit=self.int_argument("limit", 100) or 0,
                )
            )


ROUTES = [
    (r"/runs/(?P<run_id>\d+)/metrics", RunMetricsHandler),
    (r"/jobs/(?P<job_id>\d+)/metrics", JobMetricsHandler),
]
