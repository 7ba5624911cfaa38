"""The catalog's subscriptions to run events (see :mod:`nbtools.jobs.events`).

- ``run_finishing``: the datasets the run used through ``nbtools.data`` are read from the
  record it kept in its output directory (:data:`~nbtools.config.DATA_USES_FILE`) and from its
  executed notebook's outputs (before the transaction); inside it they are stored in
  ``run_datasets``, and the uses the run's purpose refused in its kernel (the catalog
  changed while it ran: lines of the record with ``refused``) are entered in the audit trail
  as ``policy.refuse`` on ``run ID`` by the run's actor (``during: run``; a refusal the record
  could not hold the kernel entered itself, :func:`audit_run_refusal`).
- ``runs_described``: each run's ``purpose`` and ``datasets`` (name, read/write,
  classification, location).
- ``run_requested``: the usage rule (:mod:`nbtools.data.check`) on the notebook a job or run
  will execute, for its purpose: a refused use raises before anything is written or a kernel
  is taken.
- ``runs_expiring``: the runs that used a dataset whose retention has passed since they
  ended (the dataset's retention in the catalog now; a dataset no longer catalogued has none,
  and one catalogued again under its name is another: the use names the dataset by its
  identity, :mod:`nbtools.data.tables`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from nbtools import audit
from nbtools.config import DATA_USES_FILE
from nbtools.data.tables import datasets, run_datasets
from nbtools.data.uses import (
    refusals_in_record,
    runs_uses,
    save_uses,
    uses_in_notebook,
    uses_in_record,
)
from nbtools.durations import older_than
from nbtools.errors import NotFoundError
from nbtools.jobs.run_files import ending_outputs
from nbtools.jobs.storage import StoredFile, join
from nbtools.jobs.tables import ENDED_STATES, runs_table

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlalchemy.orm import Session

    from nbtools.jobs.events import (
        RunFinished,
        RunFinishing,
        RunRequested,
        RunsDescribed,
        RunsExpiring,
    )

log = logging.getLogger(__name__)


def run_finishing(event: RunFinishing) -> Callable[[RunFinished], None]:
    record, notebook = _ending_files(event)
    record_bytes = _read(event, record) if record is not None else b""
    uses = uses_in_record(record_bytes)
    if notebook is not None:  # a kernel whose nbtools keeps no record shows its uses only
        uses += uses_in_notebook(_read(event, notebook))
    refused = refusals_in_record(record_bytes)

    def work(finished: RunFinished) -> None:
        save_uses(finished.session, finished.run_id, uses)
        if refused:
            audit_run_refusal(finished.session, finished.run_id, [use.dataset for use in refused])

    return work


def _ending_files(event: RunFinishing) -> tuple[StoredFile | None, StoredFile | None]:
    """The run's record of uses and its executed notebook (None: the run has none)."""
    try:
        ending = ending_outputs(event.store, event.run_id, event.output_dir)
    except NotFoundError:
        return None, None
    record = None
    if ending.directory is not None:
        record = StoredFile(join(ending.directory, DATA_USES_FILE))
    return record, ending.notebook


def audit_run_refusal(session: Session | Connection, run_id: int, refused: list[str]) -> None:
    """``policy.refuse`` on run ``run_id`` of the datasets ``refused`` in its kernel, by the
    run's actor, in ``session``'s transaction: the one that ends the run, or (a refusal its
    record could not hold) the kernel's own (:mod:`nbtools.data.notebook`)."""
    run = runs_table.c
    row = session.execute(select(run.created_by, run.purpose).where(run.id == run_id)).one()
    summary = {"purpose": row.purpose, "refused": sorted(set(refused)), "during": "run"}
    audit.record(session, row.created_by, "policy.refuse", f"run {run_id}", summary)


def _read(event: RunFinishing, file: StoredFile) -> bytes:
    try:
        return file.read_bytes()
    except NotFoundError:  # the run used no dataset, or wrote no notebook
        return b""
    except OSError:
        log.exception("nbtools: cannot read the datasets run %s used", event.run_id)
        return b""


def runs_described(event: RunsDescribed) -> dict[int, dict[str, Any]]:
    ids = [run.id for run in event.runs]
    uses = {run_id: [] for run_id in ids} if event.queued else runs_uses(event.connection, ids)
    return {
        run.id: {"purpose": run.purpose, "datasets": [use.to_dict() for use in uses[run.id]]}
        for run in event.runs
    }


def run_requested(event: RunRequested) -> None:
    """Refuse a job or run whose notebook uses a dataset outside its allowed purposes."""
    from nbtools.data.check import enforce_rule  # not at import: a page of runs needs none
    from nbtools.jobs.pinned import pinned_notebook
    from nbtools.notebooks import parse_notebook

    nb = None
    if event.content is not None:
        nb = parse_notebook(event.content, source=event.notebook_path)
    elif event.pinned_version_id is not None:
        nb = pinned_notebook(event.project, event.notebook_path, event.pinned_version_id)
    enforce_rule(
        event.project,
        event.notebook_path,
        event.purpose,
        actor=event.actor,
        nb=nb,
        during=event.during,
    )


def runs_expiring(event: RunsExpiring) -> dict[int, str]:
    """Run id → ``retention of DATASET (90d)`` for the ended runs past a dataset's retention."""
    used, dataset, run = run_datasets.c, datasets.c, runs_table.c
    rows = event.session.execute(
        select(
            used.run_id,
            dataset.name,
            dataset.retention,
            dataset.retention_days,
            func.coalesce(run.finished_at, run.created_at),
        )
        .join(datasets, dataset.uid == used.dataset_uid)
        .join(runs_table, run.id == used.run_id)
        .where(
            dataset.retention_days.is_not(None),
            run.status.in_(ENDED_STATES),
            run.pruned_at.is_(None),
        )
        .order_by(used.run_id, dataset.name)
    )
    expired: dict[int, str] = {}
    for run_id, name, retention, days, ended_at in rows:
        if days is not None and older_than(ended_at, days, event.now):
            expired.setdefault(run_id, f"retention of {name} ({retention})")
    return expired
