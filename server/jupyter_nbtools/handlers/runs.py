"""Runs: ``/runs`` (list, run a notebook once), ``/runs/<id>`` and its actions and outputs."""

from __future__ import annotations

from tornado import web

from jupyter_nbtools.handlers.authorization import authorized, authorized_to_execute
from jupyter_nbtools.handlers.bodies import body_fields
from jupyter_nbtools.handlers.download import attachment
from jupyter_nbtools.handlers.jobs import JobsHandlerBase
from jupyter_nbtools.handlers.off_loop import off_loop
from jupyter_nbtools.handlers.seen import seen_run
from nbtools import jobs
from nbtools.ids import MAX_ID, MAX_LIST


class RunsHandler(JobsHandlerBase):
    """List runs newest first, a page at a time, or run a notebook once.

    ``?limit=N`` (1 to ``MAX_LIST``, 1000; default 50; else a 400 naming it) sizes the page;
    ``?before=ID`` (the last run id of a page) gives the next older page.
    """

    @web.authenticated
    @authorized
    @off_loop
    def get(self) -> None:
        path = self.get_query_argument("path", None, strip=False)
        found = jobs.list_runs(
            self.project,
            job_id=self.whole_number_argument("job_id", least=1, most=MAX_ID),
            notebook_path=self.notebook_path(path, "path") if path is not None else None,
            status=self.get_query_argument("status", None),
            limit=self.whole_number_argument("limit", 50, least=1, most=MAX_LIST) or 50,
            before=self.whole_number_argument("before", least=1, most=MAX_ID),
        )
        self.reply([seen_run(self.project.root, run) for run in found])

    @body_fields(*jobs.RUN_FIELDS, "idempotency_key", "kernel_check")
    @web.authenticated
    @authorized_to_execute
    @off_loop
    def post(self) -> None:
        body = self.json_body()
        key = self.idempotency_key(body)
        check = self.kernel_check(body)
        # the fields as sent: the core checks them, naming every field refused at once
        run = jobs.run_notebook(
            self.project,
            self.notebook_path(body.get("notebook_path")),
            body.get("parameters", {}),
            kernel_name=body.get("kernel_name"),
            timeout_seconds=body.get("timeout_seconds"),
            cell_timeout_seconds=body.get("cell_timeout_seconds"),
            output_html=body.get("output_html", False),
            purpose=body.get("purpose"),
            actor=self.actor,
            idempotency_key=key,
            kernel_check=check,
        )
        self.jobs.wake()
        self.reply(seen_run(self.project.root, run), status=202)


class RunHandler(JobsHandlerBase):
    @web.authenticated
    @authorized
    @off_loop
    def get(self, run_id: str) -> None:
        run = jobs.show_run(self.project, self.path_id(run_id, "run_id"))
        self.reply(seen_run(self.project.root, run))


class RunCancelHandler(JobsHandlerBase):
    @web.authenticated
    @authorized
    @off_loop
    def post(self, run_id: str) -> None:
        run = jobs.cancel_run(self.project, self.path_id(run_id, "run_id"), actor=self.actor)
        self.reply(seen_run(self.project.root, run))


class RunRerunHandler(JobsHandlerBase):
    @web.authenticated
    @authorized_to_execute
    @off_loop
    def post(self, run_id: str) -> None:
        run = jobs.rerun_run(self.project, self.path_id(run_id, "run_id"), actor=self.actor)
        self.jobs.wake()
        self.reply(seen_run(self.project.root, run), status=202)


class RunOpenHandler(JobsHandlerBase):
    """Copy the executed notebook where JupyterLab can open it; returns its path."""

    @web.authenticated
    @authorized
    @off_loop
    def post(self, run_id: str) -> None:
        copied = jobs.copy_output_notebook(self.project, self.path_id(run_id, "run_id"))
        self.reply({"path": copied})


class RunDownloadHandler(JobsHandlerBase):
    """The executed notebook or its HTML as an attachment, sandboxed by CSP.

    A job's output may contain scripts: served as an attachment with ``sandbox`` in the
    Content-Security-Policy, it never runs on the Jupyter origin.
    """

    TYPES = {"html": "text/html; charset=utf-8", "notebook": "application/x-ipynb+json"}

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
        output = await self.call(jobs.run_output, self.project, run_number, kind)
        self.set_header("Content-Disposition", attachment(output.filename))
        self.set_header("X-Content-Type-Options", "nosniff")
        self.finish(await self.call(output.file.read_bytes), set_content_type=self.TYPES[kind])


ROUTES = [
    (r"/runs", RunsHandler),
    (r"/runs/(?P<run_id>[^/]+)", RunHandler),
    (r"/runs/(?P<run_id>[^/]+)/cancel", RunCancelHandler),
    (r"/runs/(?P<run_id>[^/]+)/rerun", RunRerunHandler),
    (r"/runs/(?P<run_id>[^/]+)/open", RunOpenHandler),
    (r"/runs/(?P<run_id>[^/]+)/download/(?P<kind>[^/]+)", RunDownloadHandler),
]
