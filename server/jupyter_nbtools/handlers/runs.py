"""Runs: ``/runs`` (list, run a notebook once), ``/runs/<id>`` and its actions and outputs."""

from __future__ import annotations

from pathlib import PurePosixPath

from jupyter_server.auth.decorator import authorized
from tornado import web

from jupyter_nbtools.handlers.base import authorized_to_execute, off_loop
from jupyter_nbtools.handlers.download import attachment
from jupyter_nbtools.handlers.jobs import JobsHandlerBase
from nbtools.errors import NotFoundError
from nbtools.jobs.models import Run
from nbtools.jobs.reaper import reap_expired
from nbtools.jobs.runs import get_run, list_runs, output_files, request_cancel, rerun, run_to_dict
from nbtools.jobs.submit import queue_run
from nbtools.metrics.series import metric_values
from nbtools.project import Project

#: Where "open output" puts a copy of an executed notebook, visible in JupyterLab's browser
#: (the store directory is hidden, and the stored output must not be edited in place).
OPEN_DIR = "nbtools-outputs"


def find_run(project: Project, run_id: int) -> Run:
    with project.store.session() as session:
        return get_run(session, run_id)


class RunsHandler(JobsHandlerBase):
    """List runs newest first, a page at a time, or run a notebook once.

    ``?limit=N`` (1 to 1000, default 50) sizes the page; ``?before=ID`` (the last run id of
    a page) gives the next older page.
    """

    @web.authenticated
    @authorized
    @off_loop
    def get(self) -> None:
        path = self.get_query_argument("path", None)
        reap_expired(self.project.store)
        with self.project.store.session() as session:
            found = list_runs(
                session,
                job_id=self.whole_number_argument("job_id", least=1),
                notebook_path=self.notebook_path(path, "path") if path is not None else None,
                status=self.get_query_argument("status", None),
                limit=self.whole_number_argument("limit", 50, least=1, most=1000) or 50,
                before=self.whole_number_argument("before", least=1),
            )
            self.reply([run_to_dict(self.project, run) for run in found])

    @web.authenticated
    @authorized_to_execute
    @off_loop
    def post(self) -> None:
        body = self.json_body()
        run = queue_run(
            self.project,
            self.notebook_path(body.get("notebook_path")),
            self.body_field(body, "parameters", dict, {}),
            kernel_name=self.body_field(body, "kernel_name", str),
            timeout_seconds=self.body_field(body, "timeout_seconds", int),
            cell_timeout_seconds=self.body_field(body, "cell_timeout_seconds", int),
            output_html=self.body_field(body, "output_html", bool, False),
            actor=self.actor,
            idempotency_key=self.idempotency_key(body),
        )
        self.jobs.wake()
        self.reply(run_to_dict(self.project, run), status=202)


class RunHandler(JobsHandlerBase):
    @web.authenticated
    @authorized
    @off_loop
    def get(self, run_id: str) -> None:
        reap_expired(self.project.store)
        with self.project.store.session() as session:
            model = run_to_dict(self.project, get_run(session, self.path_id(run_id, "run_id")))
            model["metrics"] = metric_values(session, model["id"])
        self.reply(model)


class RunCancelHandler(JobsHandlerBase):
    @web.authenticated
    @authorized
    @off_loop
    def post(self, run_id: str) -> None:
        run = request_cancel(self.project.store, self.path_id(run_id, "run_id"), self.actor)
        self.reply(run_to_dict(self.project, run))


class RunRerunHandler(JobsHandlerBase):
    @web.authenticated
    @authorized_to_execute
    @off_loop
    def post(self, run_id: str) -> None:
        run = rerun(self.project.store, self.path_id(run_id, "run_id"), actor=self.actor)
        self.jobs.wake()
        self.reply(run_to_dict(self.project, run), status=202)


class RunOpenHandler(JobsHandlerBase):
    """Copy the executed notebook where JupyterLab can open it; returns its path."""

    @web.authenticated
    @authorized
    @off_loop
    def post(self, run_id: str) -> None:
        with self.project.store.session() as session:
            run = get_run(session, self.path_id(run_id, "run_id"))
        source = output_files(run).get("notebook")
        if source is None:
            raise NotFoundError(f"Run {run.id} has no executed notebook (yet).", run=run.id)
        relative = f"{OPEN_DIR}/{PurePosixPath(run.notebook_path).stem}-run-{run.id}.ipynb"
        target = self.resolve(relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists() or target.stat().st_mtime < source.modified():
            target.write_bytes(source.read_bytes())
        self.reply({"path": relative})


class RunDownloadHandler(JobsHandlerBase):
    """The executed notebook or its HTML as an attachment, sandboxed by CSP.

    A job's output may contain scripts: served as an attachment with ``sandbox`` in the
    Content-Security-Policy, it never runs on the Jupyter origin.
    """

    KINDS = {"html": "text/html; charset=utf-8", "notebook": "application/x-ipynb+json"}

    @property
    def content_security_policy(self) -> str:
        return super().content_security_policy + "; sandbox"

    @web.authenticated
    @authorized
    async def get(self, run_id: str, kind: str) -> None:
        # Downloads must come from the same site, as Jupyter's /files/ requires: a
        # cookie-authenticated GET with a foreign or missing Referer is refused (403).
        self.check_xsrf_cookie()
        run_number = self.path_id(run_id, "run_id")
        if kind not in self.KINDS:
            raise NotFoundError(f"Unknown output {kind!r}; use html or notebook.", field="kind")
        run = await self.call(find_run, self.project, run_number)
        path = output_files(run).get(kind)
        if path is None:
            hint = " Create the job with HTML output to get one." if kind == "html" else ""
            raise NotFoundError(f"Run {run.id} has no {kind} output.{hint}", run=run.id)
        filename = f"{PurePosixPath(run.notebook_path).stem}-run-{run.id}{path.suffix}"
        self.set_header("Content-Disposition", attachment(filename))
        self.set_header("X-Content-Type-Options", "nosniff")
        self.finish(await self.call(path.read_bytes), set_content_type=self.KINDS[kind])


ROUTES = [
    (r"/runs", RunsHandler),
    (r"/runs/(?P<run_id>[^/]+)", RunHandler),
    (r"/runs/(?P<run_id>[^/]+)/cancel", RunCancelHandler),
    (r"/runs/(?P<run_id>[^/]+)/rerun", RunRerunHandler),
    (r"/runs/(?P<run_id>[^/]+)/open", RunOpenHandler),
    (r"/runs/(?P<run_id>[^/]+)/download/(?P<kind>[^/]+)", RunDownloadHandler),
]
