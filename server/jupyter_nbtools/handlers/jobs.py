"""Jobs: ``/jobs`` (list, create), ``/jobs/<id>`` (show, edit, delete), ``/jobs/<id>/run``."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from jupyter_nbtools.handlers.base import NbtoolsHandler
from jupyter_nbtools.jobs_service import JobsService
from nbtools import jobs
from nbtools.errors import InvalidInputError


class JobsHandlerBase(NbtoolsHandler):
    """Shared helpers: the jobs service, numeric ids and checked notebook paths."""

    @property
    def jobs(self) -> JobsService:
        service: JobsService = self.settings["nbtools_jobs"]
        service.ensure_started()
        return service

    def object_id(self, text: str) -> int:
        if not text.isdigit():
            raise InvalidInputError(f"{text!r} is not an id: ids are whole numbers.", id=text)
        return int(text)

    def notebook_path(self, path: object) -> str:
        """A request's notebook path, resolved inside the root and normalized."""
        if not isinstance(path, str):
            raise InvalidInputError("'notebook_path' must be a string path relative to the root.")
        return self.project.relative(self.resolve(path))


class JobsHandler(JobsHandlerBase):
    @web.authenticated
    @authorized
    def get(self) -> None:
        path = self.get_query_argument("path", None)
        self.jobs  # noqa: B018 - start the scheduler with the first jobs request
        notebook = self.notebook_path(path) if path is not None else None
        self.reply(jobs.list_jobs(self.project, notebook))

    @web.authenticated
    @authorized
    def post(self) -> None:
        body = self.json_body()
        body["notebook_path"] = self.notebook_path(body.get("notebook_path"))
        job = jobs.create_job(self.project, body)
        self.jobs.wake()
        self.reply(job, status=201)


class JobHandler(JobsHandlerBase):
    @web.authenticated
    @authorized
    def get(self, job_id: str) -> None:
        self.reply(jobs.show_job(self.project, self.object_id(job_id)))

    @web.authenticated
    @authorized
    def patch(self, job_id: str) -> None:
        changes = self.json_body()
        if "notebook_path" in changes:
            changes["notebook_path"] = self.notebook_path(changes["notebook_path"])
        if set(changes) == {"paused"}:
            job = jobs.pause_job(self.project, self.object_id(job_id), bool(changes["paused"]))
        else:
            job = jobs.update_job(self.project, self.object_id(job_id), changes)
        self.jobs.wake()
        self.reply(job)

    @web.authenticated
    @authorized
    def delete(self, job_id: str) -> None:
        jobs.delete_job(self.project, self.object_id(job_id))
        self.set_status(204)
        self.finish()


class JobRunHandler(JobsHandlerBase):
    @web.authenticated
    @authorized
    def post(self, job_id: str) -> None:
        overrides = self.json_body().get("parameters") or {}
        run = jobs.run_job(self.project, self.object_id(job_id), overrides)
        self.jobs.wake()
        self.reply(run, status=202)


ROUTES = [
    (r"/jobs", JobsHandler),
    (r"/jobs/(?P<job_id>[^/]+)", JobHandler),
    (r"/jobs/(?P<job_id>[^/]+)/run", JobRunHandler),
]
