"""``--record-to``: a service's per-minute aggregates as the metric series of a job.

The service is a job of the store (named ``service:<package>`` unless configured, created on
first start, never scheduled); each minute with traffic is one succeeded run of that job,
``trigger = "service"``, ``scheduled_for`` the minute's start (so a minute is one run),
carrying the notebook's version and environment from the package's manifest. Not its
``notebook_sha256``: a run's is the sha256 of the notebook file it executed, and a service
executes none (its manifest's ``notebook_sha256`` is another hash, of the cells extraction
read); the version is what its minutes and the runs of that notebook have in common.
Each worker of the service (``--workers N``) adds its counts of a minute to that run as its
own share (:class:`~nbtools.serve.tables.ServiceMinuteShare`), and the run's metrics are
recomputed from all shares, so N workers make one series, not N.
Its metrics go through the same storage and rule evaluation as a job run's
(:func:`nbtools.metrics.events.store_finished_run`), so threshold, change, missing and late
rules alert on production traffic as they do on scheduled runs. The datasets the minute's
calls used are stored as the run's uses (:func:`nbtools.data.uses.save_uses`), so ``data
usage``, erasure and a dataset's retention find the service's minutes as they find runs.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from nbtools.data.uses import parse_use, save_uses
from nbtools.jobs.tables import SUCCEEDED, Job, Run
from nbtools.metrics.events import store_finished_run
from nbtools.metrics.harvest import Harvest, HarvestedMetric
from nbtools.metrics.tables import add_once
from nbtools.serve.tables import ServiceMinuteShare
from nbtools.serve.telemetry import Minute
from nbtools.store.database import Store

log = logging.getLogger(__name__)

#: The source metric rows of a service carry (job runs say nbtools, scrapbook or papermill).
SOURCE_SERVICE = "service"
TRIGGER_SERVICE = "service"
#: Key of the PostgreSQL advisory lock that serialises services' first starts.
SERVICE_JOB_LOCK_KEY = 0x6E62737663  # "nbsvc"


class ServiceRecorder:
    """Writes minutes of one service into the store at ``url``."""

    def __init__(self, url: str, name: str, info: Mapping[str, Any], worker: str) -> None:
        self.store = Store.open(url)
        self.name = name
        self.info = info
        self.worker = worker
        self._named: str | None = None
        self.job_id = self._job()

    def _job(self) -> int:
        """The service's job (``service``: never scheduled, it runs no notebook), made on
        first start; a notebook job of the same name is no service's. Workers starting
        together take turns (an advisory lock on PostgreSQL, the write transaction on
        SQLite), so one makes it and the others find it. A store where earlier versions made
        two keeps using the oldest."""
        with self.store.session(write=True) as session:
            if session.get_bind().dialect.name == "postgresql":
                session.execute(select(func.pg_advisory_xact_lock(SERVICE_JOB_LOCK_KEY)))
            found = session.scalars(
                select(Job.id)
                .where(Job.name == self.name, Job.service, Job.archived_at.is_(None))
                .order_by(Job.id)
            ).first()
            if found is not None:
                return found
            job = Job(
                name=self.name,
                notebook_path=self._notebook(),
                parameters={},
                service=True,
                created_by="nbtools serve",
            )
            session.add(job)
            session.flush()
            return job.id

    def _notebook(self) -> str:
        """The notebook's path in the project, once the package's lineage names it (the
        Jobs section of that notebook then lists the service), else its file name."""
        return str(self.info.get("notebook_path") or self.info.get("notebook") or "")

    def _name_the_notebook(self, session: Session) -> None:
        """Give the service's job the notebook's path in the project, once known: a job
        made while the lineage was still pending, or by an older version, has its file name."""
        path = self.info.get("notebook_path")
        if path and path != self._named:
            session.execute(
                update(Job)
                .where(Job.id == self.job_id, Job.notebook_path != path)
                .values(notebook_path=path)
            )
            self._named = path

    def write(
        self, minutes: Mapping[int, Minute], *, since: float = 0.0, until: float | None = None
    ) -> None:
        """Add each minute to the service's run of that minute (made by the first worker to
        write it) as this worker's share; store the sum of all shares as the run's metrics
        and evaluate the job's rules. The run covers the part of its minute the service
        served (:func:`covered`): from ``since`` (epoch seconds: when this worker started)
        to ``until`` (when it stopped: the minute in progress written at shutdown), as far
        as each is inside the minute; each worker's share widens it to cover its own."""
        for epoch_minute, minute in minutes.items():
            start = _moment(epoch_minute * 60.0)
            with self.store.session(write=True) as session:
                self._name_the_notebook(session)
                run = self._minute_run(session, start, covered(epoch_minute, since, until))
                share = session.scalars(
                    select(ServiceMinuteShare).where(
                        ServiceMinuteShare.run_id == run.id,
                        ServiceMinuteShare.worker == self.worker,
                    )
                ).first()
                if share is None:
                    share = ServiceMinuteShare(run_id=run.id, worker=self.worker, share={})
                    session.add(share)
                    mine = minute
                else:  # this worker wrote the minute before (a share written at shutdown)
                    mine = Minute.from_json(share.share)
                    mine.merge(minute)
                share.share = mine.to_json()
                share.updated_at = datetime.now(timezone.utc)
                session.flush()
                total = Minute()
                for stored in session.scalars(
                    select(ServiceMinuteShare.share).where(ServiceMinuteShare.run_id == run.id)
                ):
                    total.merge(Minute.from_json(stored))
                harvest = Harvest(
                    {
                        name: HarvestedMetric(name, value, unit, SOURCE_SERVICE, None)
                        for name, (value, unit) in total.metrics().items()
                    }
                )
                store_finished_run(session, run.id, datetime.now(timezone.utc), harvest)
                uses = (parse_use(use) for use in total.uses)
                save_uses(session, run.id, [use for use in uses if use is not None])

    def _minute_run(
        self, session: Session, start: datetime, span: tuple[datetime, datetime]
    ) -> Run:
        """The run of the minute starting at ``start``, made if no worker made it yet, and
        locked (on PostgreSQL) so that the workers' shares add up one after the other; its
        start and end widened to cover ``span``."""
        first, last = span
        run = Run(
            job_id=self.job_id,
            scheduled_for=start,
            trigger=TRIGGER_SERVICE,
            notebook_path=self._notebook(),
            parameters={},
            status=SUCCEEDED,
            attempt=1,
            cancel_requested=False,
            created_by="nbtools serve",
            created_at=start,
            started_at=first,
            finished_at=last,
            notebook_version_id=self.info.get("notebook_version_id"),
            env_snapshot_id=self.info.get("environment_id"),
        )
        add_once(session, run)  # another worker may have made it: then it is read below
        run = session.scalars(
            select(Run)
            .where(Run.job_id == self.job_id, Run.scheduled_for == start)
            .with_for_update()
        ).one()
        run.started_at = min(run.started_at or first, first)
        run.finished_at = max(run.finished_at or last, last)
        return run

    def close(self) -> None:
        self.store.close()


def covered(epoch_minute: int, since: float, until: float | None) -> tuple[datetime, datetime]:
    """The part of the minute ``epoch_minute`` from ``since`` to ``until`` (epoch seconds;
    None: the minute's end), as the start and end of its run: the whole minute for one the
    service served throughout, where the minute written at shutdown after 5 s of traffic
    was stored as a run of 60 s."""
    begin, end = epoch_minute * 60.0, (epoch_minute + 1) * 60.0
    first = min(max(begin, since), end)
    last = max(min(end, end if until is None else until), first)
    return _moment(first), _moment(last)


def _moment(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=timezone.utc)
