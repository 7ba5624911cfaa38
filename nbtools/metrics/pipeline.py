"""What a runner does when a run ends: harvest its notebook (before taking the store's write
lock: a large notebook takes a while to parse), then store, evaluate and notify in one go."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from nbtools.errors import NbtoolsError
from nbtools.metrics.harvest import Harvest, harvest_notebook
from nbtools.metrics.monitor import MonitorResult, after_run, load_facts
from nbtools.metrics.notify.payload import JobRef
from nbtools.metrics.series import save_run_metrics
from nbtools.notebooks import parse_notebook

if TYPE_CHECKING:
    from nbtools.jobs.storage import StoredFile


@dataclass(frozen=True)
class FinishedRun:
    """What the runner knows when a run ends."""

    run_id: int
    status: str
    parameters: Mapping[str, Any] = field(default_factory=dict)
    #: What was read from the executed notebook (see :func:`harvest_file`).
    harvest: Harvest = field(default_factory=Harvest)


def harvest_file(notebook: StoredFile | None, max_value_bytes: int) -> Harvest:
    """Harvest an executed notebook (a local file or in shared storage); an unreadable one is
    a problem, not an error."""
    if notebook is None:
        return Harvest(problems=["The run wrote no output notebook: no metrics to read."])
    try:
        raw = notebook.read_bytes()
        # a value holding a lone surrogate is a problem of that value only (metrics.values)
        executed = parse_notebook(raw, source=str(notebook), lone_surrogates=True)
        return harvest_notebook(executed, max_value_bytes)
    except OSError as error:
        return Harvest(problems=[f"The output notebook could not be read: {error}"])
    except NbtoolsError as error:
        return Harvest(problems=[f"The output notebook could not be read: {error.message}"])


def process_finished_run(
    session: Session,
    *,
    job: JobRef | None,
    run: FinishedRun,
    previous: Sequence[tuple[int, str, Mapping[str, Any]]],
    now: datetime,
    evaluate: bool = True,
) -> MonitorResult:
    """Store the run's metrics and, for a job's run, evaluate its rules and queue notifications.

    ``previous`` are the job's earlier finished runs as (id, status, parameters), newest first.
    ``evaluate=False`` only stores the metrics (an attempt that will be retried).
    """
    save_run_metrics(session, run.run_id, job.id if job else None, run.harvest)
    if job is None or not evaluate:
        return MonitorResult()
    facts = load_facts(session, [(run.run_id, run.status, run.parameters), *previous])
    return after_run(session, job=job, run=facts[0], previous=facts[1:], now=now)
