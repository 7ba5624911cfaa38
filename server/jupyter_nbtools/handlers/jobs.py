"""Jobs: ``/jobs`` (list, create), ``/jobs/overview`` (the dashboard), ``/jobs/<id>`` (show, edit, delete), ``/jobs/<id>/run``."""

from __future__ import annotations

from typing import Any

from tornado import web

from jupyter_nbtools.handlers.authorization import EXECUTE, authorized, authorized_to_execute
from jupyter_nbtools.handlers.base import NbtoolsHandler
from jupyter_nbtools.handlers.bodies import body_fields
from jupyter_nbtools.handlers.off_loop import off_loop
from jupyter_nbtools.handlers.seen import seen_run
from jupyter_nbtools.jobs_service import JobsService
from nbtools import jobs
from nbtools.errors import InvalidInputError
from nbtools.ids import MAX_LIST


def needs_execute(changes: dict[str, Any]) -> bool:
    """Whether a job edit needs the ``execute`` action: any change but renaming or pausing it
    (``write``). That is a change of what or when it runs, or of how long its runs are kept:
    ``keep_runs`` decides which runs' outputs the scheduler's next prune deletes for good,
    which nothing else ``write`` allows does. ``kernel_check`` (how a new kernel is checked)
    changes nothing itself."""
    return any(
        name not in ("name", "kernel_check") and (name, value) != ("paused", True)
        for name, value in changes.items()
    )


class JobsHandlerBase(NbtoolsHandler):
    """Shared helpers: the jobs service and checked notebook paths."""

    @property
    def jobs(self) -> JobsService:
        """The server's scheduler, to wake (:meth:`JobsService.wake` starts it if need be)."""
        service: JobsService = self.settings["nbtools_jobs"]
        return service

    def idempotency_key(self, body: dict[str, object]) -> str | None:
        """The request's idempotency key: the ``Idempotency-Key`` header or the body's
        ``idempotency_key`` field (removed from ``body``); both must agree when both are given."""
        header = self.request.headers.get("Idempotency-Key")
        field = self.body_field(body, "idempotency_key", str)
        body.pop("idempotency_key", None)
        if header is not None and field is not None and header != field:
            raise InvalidInputError(
                "The Idempotency-Key header and the idempotency_key field differ; give one.",
                field="idempotency_key",
            )
        return jobs.check_idempotency_key(header if header is not None else field)

    def flag_argument(self, name: str) -> bool:
        """Query argument ``name`` as a boolean (``true``/``false``, default false)."""
        text = self.get_query_argument(name, "false")
        if text not in ("true", "false"):
            raise InvalidInputError(
                f"The argument {name!r} must be true or false, not {text!r:.40}.", field=name
            )
        return text == "true"

    def kernel_check(self, body: dict[str, object]) -> bool:
        """The body's ``kernel_check`` (removed from ``body``): whether a ``kernel_name`` not
        installed on this machine is refused (default true)."""
        check: bool = self.body_field(body, "kernel_check", bool, True)
        body.pop("kernel_check", None)
        return check

    def notebook_path(self, path: object, field: str = "notebook_path") -> str:
        """A request's notebook path, resolved inside the root and normalized."""
        return self.relative_path(path, field)


class JobsHandler(JobsHandlerBase):
    @web.authenticated
    @authorized
    @off_loop
    def get(self) -> None:
        path = self.get_query_argument("path", None, strip=False)
        notebook = self.notebook_path(path, "path") if path is not None else None
        archived = self.flag_argument("archived")
        offset = self.whole_number_argument("offset", 0) or 0
        limit = self.whole_number_argument("limit", None, least=1, most=MAX_LIST)
        self.reply(
            jobs.list_jobs(self.project, notebook, archived=archived, offset=offset, limit=limit)
        )

    @body_fields(*jobs.JOB_FIELDS, "idempotency_key", "kernel_check")
    @web.authenticated
    @authorized_to_execute
    @off_loop
    def post(self) -> None:
        body = self.json_body()
        key = self.idempotency_key(body)
        check = self.kernel_check(body)
        body["notebook_path"] = self.notebook_path(body.get("notebook_path"))
        job = jobs.create_job(
            self.project, body, idempotency_key=key, actor=self.actor, kernel_check=check
        )
        self.jobs.wake()
        self.reply(job, status=201)


class JobsOverviewHandler(JobsHandlerBase):
    """The dashboard's page of jobs: ``?q=`` words, ``?status=``, ``?sort=``, ``?order=asc|desc``,
    ``?offset=``, ``?limit=`` (see :class:`nbtools.jobs.ListJobsQuery`)."""

    @web.authenticated
    @authorized
    @off_loop
    def get(self) -> None:
        order = self.get_query_argument("order", "asc")
        if order not in ("asc", "desc"):
            raise InvalidInputError(
                f"The argument 'order' must be asc or desc, not {order!r:.40}.", field="order"
            )
        query = jobs.ListJobsQuery(
            text=self.text_argument("q"),
            status=self.get_query_argument("status", None),
            sort=self.get_query_argument("sort", "name"),
            descending=order == "desc",
            offset=self.whole_number_argument("offset", 0) or 0,
            limit=self.whole_number_argument("limit", 25, least=1, most=jobs.MAX_PAGE) or 25,
        )
        self.reply(jobs.dashboard(self.project, query))


class JobHandler(JobsHandlerBase):
    @web.authenticated
    @authorized
    @off_loop
    def get(self, job_id: str) -> None:
        self.reply(jobs.show_job(self.project, self.path_id(job_id, "job_id")))

    @body_fields(*jobs.JOB_FIELDS, "kernel_check")
    @web.authenticated
    @authorized
    async def patch(self, job_id: str) -> None:
        changes = self.json_body()
        if needs_execute(changes):  # asked before anything of the request is checked
            await self.authorize(
                EXECUTE, "changing what or when a job runs, or how long its runs are kept"
            )
        job_number = self.path_id(job_id, "job_id")
        check = self.kernel_check(changes)
        if "notebook_path" in changes:
            changes["notebook_path"] = self.notebook_path(changes["notebook_path"])
        if set(changes) == {"paused"}:
            paused = self.body_field(changes, "paused", bool, required=True)
            job = await self.call(jobs.pause_job, self.project, job_number, paused, self.actor)
        else:
            job = await self.call(
                jobs.update_job,
                self.project,
                job_number,
                changes,
                self.actor,
                kernel_check=check,
            )
        self.jobs.wake()
        self.reply(job)

    @web.authenticated
    @authorized
    @off_loop
    def delete(self, job_id: str) -> None:
        purge = self.flag_argument("purge")
        job = self.path_id(job_id, "job_id")
        jobs.delete_job(self.project, job, purge=purge, actor=self.actor)
        self.reply(None, 204)


class JobRunHandler(JobsHandlerBase):
    @body_fields("parameters", "idempotency_key")
    @web.authenticated
    @authorized_to_execute
    @off_loop
    def post(self, job_id: str) -> None:
        job_number = self.path_id(job_id, "job_id")
        body = self.json_body()
        key = self.idempotency_key(body)
        overrides = self.body_field(body, "parameters", dict, {})
        run = jobs.run_job(
            self.project, job_number, overrides, idempotency_key=key, actor=self.actor
        )
        self.jobs.wake()
        self.reply(seen_run(self.project.root, run), status=202)


ROUTES = [
    (r"/jobs", JobsHandler),
    (r"/jobs/overview", JobsOverviewHandler),
    (r"/jobs/(?P<job_id>[^/]+)", JobHandler),
    (r"/jobs/(?P<job_id>[^/]+)/run", JobRunHandler),
]
