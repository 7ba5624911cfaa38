"""The artifacts' subscriptions to run events (see :mod:`nbtools.jobs.events`).

- ``run_finishing``: the files the runner moved into the run's ``artifacts/`` directory are
  listed and hashed (before the transaction); inside it they become ``run_artifacts`` rows.
  A file with an invalid name, over :data:`~nbtools.artifacts.names.MAX_BYTES`, or beyond
  :data:`~nbtools.artifacts.names.MAX_PER_RUN` is logged and not recorded.
- ``runs_described``: each run's ``artifacts``.
- ``runs_pruned``: retention deleted the runs' outputs: their artifacts go too (files, rows,
  downloaded copies).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select

from nbtools.artifacts.names import MAX_BYTES, MAX_PER_RUN, is_valid_name
from nbtools.artifacts.prune import delete_artifacts
from nbtools.artifacts.stored import runs_artifacts
from nbtools.artifacts.tables import run_artifacts
from nbtools.jobs import storage
from nbtools.jobs.tables import runs_table

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from nbtools.jobs.events import RunFinished, RunFinishing, RunsDescribed, RunsPruned

log = logging.getLogger(__name__)


def run_finishing(event: RunFinishing) -> Callable[[RunFinished], None] | None:
    kept = _kept(event)
    if not kept:
        return None
    return lambda finished: _record(finished.session, finished.run_id, kept)


def _kept(event: RunFinishing) -> list[dict[str, Any]]:
    """The ``run_artifacts`` rows of the files the run kept (without their ``run_id``)."""
    output_dir = event.output_dir
    if output_dir is None:
        run = runs_table.c
        with event.store.connection() as connection:
            output_dir = connection.scalar(select(run.output_dir).where(run.id == event.run_id))
    if not output_dir:
        return []
    directory = storage.join(output_dir, storage.ARTIFACTS)
    kept: list[dict[str, Any]] = []
    for name, size in sorted(storage.file_sizes(directory).items()):
        problem = (
            "its name is not a valid artifact name"
            if not is_valid_name(name)
            else f"it is over {MAX_BYTES} bytes"
            if size > MAX_BYTES
            else f"the run kept {MAX_PER_RUN} artifacts already"
            if len(kept) >= MAX_PER_RUN
            else None
        )
        if problem is not None:
            log.warning("nbtools: run %s: %s not recorded: %s", event.run_id, name, problem)
            continue
        location = storage.join(directory, name)
        kept.append(
            {"name": name, "size": size, "sha256": storage.sha256(location), "location": location}
        )
    return kept


def _record(session: Session, run_id: int, kept: list[dict[str, Any]]) -> None:
    session.execute(insert(run_artifacts), [{**row, "run_id": run_id} for row in kept])


def runs_described(event: RunsDescribed) -> dict[int, dict[str, Any]]:
    if event.queued:
        return {run.id: {"artifacts": []} for run in event.runs}
    kept = runs_artifacts(event.connection, [run.id for run in event.runs])
    return {
        run_id: {"artifacts": [artifact.to_dict() for artifact in artifacts]}
        for run_id, artifacts in kept.items()
    }


def runs_pruned(event: RunsPruned) -> None:
    delete_artifacts(event.project, event.run_ids)
