"""The jobs dashboard: every job with its latest run, its recent runs and what features add.

A page costs a fixed number of queries whatever the number of jobs: the jobs, their latest
runs, the ``jobs_described`` subscribers once (monitoring adds ``open_alerts``), and the recent
runs of the page's jobs. Filtering, sorting and paging happen on those rows, so that any
column (``open_alerts`` too) sorts and filters the same way.

Only the page's jobs become wire models (:class:`JobSpec`, with the schedule in words): the
others are filtered and sorted on their stored columns, and the ``jobs_described`` fields are
read for the page only, unless the page sorts on one (:data:`EXTRA_SORT_KEYS`). Words
searched with ``text`` are matched against each schedule's words, described once per cron
expression (:func:`nbtools.jobs.schedules.describe` is cached).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import select, union_all

from nbtools.errors import InvalidInputError
from nbtools.ids import check_limit
from nbtools.jobs import events
from nbtools.jobs.tables import (
    FINAL_STATES,
    QUEUED,
    RUNNING,
    SKIPPED,
    Job,
    jobs_table,
    runs_table,
)
from nbtools.jobs.views import JobSpec
from nbtools.jsonvalues import WireModel
from nbtools.text import check_search_text

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from nbtools.project import Project

#: Ended runs per job in ``recent_runs`` (the dashboard's sparkline), oldest first.
RECENT_RUNS = 10
#: The most jobs one page holds.
MAX_PAGE = 200
#: What ``status`` filters on: the job's state, or its latest run's status (``never_run``: none).
STATUS_FILTERS = ("active", "paused", "never_run", QUEUED, RUNNING, *FINAL_STATES)
#: The columns a page sorts on.
SORT_KEYS = (
    "name",
    "notebook_path",
    "next_run_at",
    "last_run_at",
    "last_status",
    "open_alerts",
    "created_by",
)
#: The sort keys that are ``jobs_described`` fields: sorting on one reads them for every job.
EXTRA_SORT_KEYS = ("open_alerts",)


@dataclass(frozen=True)
class ListJobsQuery:
    """Which jobs, in which order, which page (checked by :meth:`check`)."""

    #: Words every shown job contains (name, notebook, schedule or owner; any case).
    text: str | None = None
    status: str | None = None
    sort: str = "name"
    descending: bool = False
    offset: int = 0
    limit: int = 25

    def check(self) -> ListJobsQuery:
        if self.text is not None:  # the REST API's ?q=
            check_search_text(self.text, "q")
        if self.status is not None and self.status not in STATUS_FILTERS:
            raise InvalidInputError(
                f"Unknown status {self.status!r:.40}; use one of {', '.join(STATUS_FILTERS)}.",
                field="status",
            )
        if self.sort not in SORT_KEYS:
            raise InvalidInputError(
                f"Cannot sort on {self.sort!r:.40}; use one of {', '.join(SORT_KEYS)}.",
                field="sort",
            )
        if self.offset < 0:
            raise InvalidInputError("The offset must be 0 or more.", field="offset")
        check_limit(self.limit, MAX_PAGE)
        return self


@dataclass(frozen=True)
class RunPoint(WireModel):
    """A run as the dashboard shows it: its outcome and how long it took."""

    id: int
    status: str
    created_at: datetime
    finished_at: datetime | None
    duration_seconds: float | None


@dataclass(frozen=True)
class JobOverview(WireModel):
    """A job (its :class:`JobSpec` fields) with its latest run and its recent ended runs."""

    job: JobSpec
    last_run: RunPoint | None
    #: The latest ended runs, oldest first (at most :data:`RECENT_RUNS`).
    recent_runs: list[RunPoint]
    #: Fields other features add (``open_alerts``).
    extra: dict[str, Any] = field(default_factory=dict)

    def to_wire(self) -> dict[str, Any]:
        values = super().to_wire()
        values["recent_runs"] = [run.to_wire() for run in self.recent_runs]
        return {**values.pop("job"), **values}


@dataclass(frozen=True)
class JobsPage(WireModel):
    """One page of the dashboard: ``total`` jobs match the query."""

    total: int
    offset: int
    limit: int
    jobs: list[JobOverview]

    def to_wire(self) -> dict[str, Any]:
        return {**super().to_wire(), "jobs": [job.to_wire() for job in self.jobs]}


class _Timed(Protocol):
    """A run's columns a :class:`RunPoint` shows (a :class:`Run`, or a row of them)."""

    @property
    def id(self) -> int: ...
    @property
    def status(self) -> str: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def started_at(self) -> datetime | None: ...
    @property
    def finished_at(self) -> datetime | None: ...


def _point(run: _Timed) -> RunPoint:
    duration = None
    if run.started_at is not None and run.finished_at is not None:
        duration = round((run.finished_at - run.started_at).total_seconds(), 3)
    return RunPoint(run.id, run.status, run.created_at, run.finished_at, duration)


#: The columns of a run a :class:`RunPoint` shows.
_RUNS = runs_table.c
_POINT_COLUMNS = (
    _RUNS.id,
    _RUNS.job_id,
    _RUNS.status,
    _RUNS.created_at,
    _RUNS.started_at,
    _RUNS.finished_at,
)


def _latest_runs(session: Session) -> dict[int, RunPoint]:
    """Each active job's latest run that is not a skipped due time (one query): per job, the
    runs index (``ix_runs_job_id_id``) read backwards from its newest run, not every run of
    the store grouped by job."""
    latest = (
        select(_RUNS.id)
        .where(_RUNS.job_id == jobs_table.c.id, _RUNS.status != SKIPPED)
        .order_by(_RUNS.id.desc())
        .limit(1)
        .correlate(jobs_table)
        .scalar_subquery()
    )
    ids = select(latest).where(jobs_table.c.archived_at.is_(None))
    found = session.execute(select(*_POINT_COLUMNS).where(_RUNS.id.in_(ids)))
    return {run.job_id: _point(run) for run in found if run.job_id is not None}


def _recent_runs(session: Session, job_ids: Sequence[int]) -> dict[int, list[RunPoint]]:
    """The latest :data:`RECENT_RUNS` ended runs of each job, oldest first (one query: a
    part a job, each reading the runs index backwards from the job's newest run and stopping
    at the :data:`RECENT_RUNS`-th ended one, however many runs the job has)."""
    found: dict[int, list[RunPoint]] = {job_id: [] for job_id in job_ids}
    if not job_ids:
        return found
    parts = [
        select(*_POINT_COLUMNS)
        .where(_RUNS.job_id == job_id, _RUNS.status.in_(FINAL_STATES))
        .order_by(_RUNS.id.desc())
        .limit(RECENT_RUNS)
        .subquery()
        for job_id in job_ids
    ]
    for run in session.execute(union_all(*(select(part) for part in parts))):
        found[run.job_id].append(_point(run))  # each job's newest first
    return {job_id: points[::-1] for job_id, points in found.items()}


@dataclass
class _Row:
    """A job as the page filters and sorts it, before it becomes a :class:`JobOverview`."""

    job: Job
    last_run: RunPoint | None
    extra: dict[str, Any] = field(default_factory=dict)


def _matches(query: ListJobsQuery, job: Job, last: RunPoint | None) -> bool:
    if query.text:
        from nbtools.jobs.schedules import describe

        words = describe(job.cron) if job.cron else None
        haystack = " ".join(
            value or "" for value in (job.name, job.notebook_path, words, job.created_by)
        ).casefold()
        if any(word not in haystack for word in query.text.casefold().split()):
            return False
    if query.status in ("active", "paused"):
        return job.paused == (query.status == "paused")
    if query.status == "never_run":
        return last is None
    return query.status is None or (last is not None and last.status == query.status)


#: The columns of text, ordered as people read them (:func:`natural_order`).
TEXT_KEYS = ("name", "notebook_path", "created_by")
_DIGITS = re.compile(r"(\d+)")


def natural_order(text: str) -> list[str | tuple[int, str]]:
    """``text`` as people order it: any case alike, and each run of digits by its number, so
    "job 2" comes before "job 10" (and "job 02" beside "job 2"). A run of digits is compared
    by its length without leading zeros, then its digits: no number is built, however long."""
    parts: list[str | tuple[int, str]] = []
    for index, part in enumerate(_DIGITS.split(text.casefold())):
        if index % 2:  # digits: split() puts them at the odd places
            digits = part.lstrip("0")
            parts.append((len(digits), digits))
        else:
            parts.append(part)
    return parts


def _sort_value(sort: str) -> Callable[[_Row], Any]:
    """The value a row sorts on; None (no run yet, not scheduled) sorts last either way."""
    if sort == "last_run_at":
        return lambda row: row.last_run.created_at if row.last_run else None
    if sort == "last_status":
        return lambda row: row.last_run.status if row.last_run else None
    if sort in EXTRA_SORT_KEYS:
        return lambda row: row.extra.get(sort, 0)
    if sort in TEXT_KEYS:
        return lambda row: None if (text := getattr(row.job, sort)) is None else natural_order(text)
    return lambda row: getattr(row.job, sort)


def _ordered(rows: list[_Row], query: ListJobsQuery) -> list[_Row]:
    value = _sort_value(query.sort)
    rows = sorted(rows, key=lambda row: row.job.id)  # ties in a stable order
    known = [row for row in rows if value(row) is not None]
    known.sort(key=value, reverse=query.descending)
    return known + [row for row in rows if value(row) is None]


def _describe_extra(project: Project, session: Session, rows: Sequence[_Row]) -> None:
    """Fill each row's ``extra`` from the ``jobs_described`` subscribers (once for all rows)."""
    described = events.JobsDescribed(project, session, [row.job for row in rows])
    extra = events.jobs_described(described)
    for row in rows:
        row.extra = extra[row.job.id]


def overview(project: Project, session: Session, query: ListJobsQuery) -> JobsPage:
    """The page of active jobs ``query`` asks for (see the module's docstring)."""
    query.check()
    jobs = session.scalars(select(Job).where(Job.archived_at.is_(None)))
    latest = _latest_runs(session)
    rows = [_Row(job, latest.get(job.id)) for job in jobs]
    rows = [row for row in rows if _matches(query, row.job, row.last_run)]
    if query.sort in EXTRA_SORT_KEYS:
        _describe_extra(project, session, rows)
    page = _ordered(rows, query)[query.offset : query.offset + query.limit]
    if query.sort not in EXTRA_SORT_KEYS:
        _describe_extra(project, session, page)
    recent = _recent_runs(session, [row.job.id for row in page])
    return JobsPage(
        total=len(rows),
        offset=query.offset,
        limit=query.limit,
        jobs=[
            JobOverview(JobSpec.of(row.job), row.last_run, recent[row.job.id], row.extra)
            for row in page
        ],
    )
