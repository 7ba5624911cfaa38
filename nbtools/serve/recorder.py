"""``--record-to``: a service's per-minute aggregates as the metric series of a job.

The service is a job of the store (named ``service:<package>`` unless configured, created on
first start, never scheduled); each minute with traffic is one succeeded run of that job,
``trigger = "service"``, ``scheduled_for`` the minute's start (so a minute is written once),
carrying the notebook's content hash, version and environment from the package's manifest.
Its metrics go through the same storage and rule evaluation as a job run's
(:func:`nbtools.metrics.events.store_finished_run`), so threshold, change, missing and late
rules alert on production traffic as they do on scheduled runs.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select

from nbtools.jobs.tables import SUCCEEDED, Job, Run
from nbtools.metrics.events import store_finished_run
from nbtools.metrics.harvest import Harvest, HarvestedMetric
from nbtools.metrics.tables import add_once
from nbtools.serve.telemetry import Minute
from nbtools.store.database import Store

log = logging.getLogger(__name__)

#: The source metric rows of a service carry (job runs say nbtools, scrapbook or papermill).
SOURCE_SERVICE = "service"
TRIGGER_SERVICE = "service"


class ServiceRecorder:
    """Writes minutes of one service into the store at ``url``."""

    def __init__(self, url: str, name: str, info: Mapping[str, Any]) -> None:
        self.store = Store.open(url)
        self.name = name
        self.info = info
        self.job_id = self._job()

    def _job(self) -> int:
        with self.store.session(write=True) as session:
            found = session.scalars(
                select(Job.id).where(Job.name == self.name, Job.archived_at.is_(None))
            ).first()
            if found is not None:
                return found
            job = Job(
                name=self.name,
                notebook_path=str(self.info.get("notebook") or ""),
                parameters={},
                created_by="nbtools serve",
            )
            session.add(job)
            session.flush()
            return job.id

    def write(self, minutes: Mapping[int, Minute]) -> None:
        """Store each minute as a run with its metrics, then evaluate the job's rules."""
        for epoch_minute, minute in minutes.items():
            start = datetime.fromtimestamp(epoch_minute * 60, tz=timezone.utc)
            with self.store.session(write=True) as session:
                run = Run(
                    job_id=self.job_id,
                    scheduled_for=start,
                    trigger=TRIGGER_SERVICE,
                    notebook_path=str(self.info.get("notebook") or ""),
                    parameters={},
                    status=SUCCEEDED,
                    attempt=1,
                    cancel_requested=False,
                    created_by="nbtools serve",
                    created_at=start,
                    started_at=start,
                    finished_at=start + timedelta(minutes=1),
                    notebook_sha256=self.info.get("notebook_sha256"),
                    notebook_version_id=self.info.get("notebook_version_id"),
                    env_snapshot_id=self.info.get("environment_id"),
                )
                if not add_once(session, run):
                    log.warning("nbtools serve: minute %s was already recorded; skipped", start)
                    continue
                harvest = Harvest(
                    {
                        name: HarvestedMetric(name, value, unit, SOURCE_SERVICE, None)
                        for name, (value, unit) in minute.metrics().items()
                    }
                )
                store_finished_run(session, run.id, datetime.now(timezone.utc), harvest)

    def close(self) -> None:
        self.store.close()
