"""Where a run's files are: its output directory, the output files (executed notebook, HTML
report) it wrote there, found without asking the storage, and whether retention or a purge
deleted them. Nothing here writes: :mod:`nbtools.jobs.runner` writes the outputs,
:mod:`nbtools.jobs.outputs` serves them to people.

::

    from nbtools.jobs.run_files import output_files, run_dir
    run_dir(project, 7)            # <store>/runs/7/, where a local run writes
    output_files(run)["notebook"]  # a StoredFile: a local path or a URL of the storage
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, NamedTuple

from sqlalchemy import select

from nbtools.errors import NotFoundError
from nbtools.jobs.storage import StoredFile, exists, join
from nbtools.jobs.tables import runs_table

if TYPE_CHECKING:
    from nbtools.jobs.models import Run
    from nbtools.jobs.runs import RunRow
    from nbtools.project import Project
    from nbtools.store.database import Store


def run_dir(project: Project, run_id: int) -> Path:
    """Where a run's outputs live: ``<store>/runs/<run-id>/``."""
    return project.store_dir / "runs" / str(run_id)


#: The files a run can leave beside its notebook's stem, by kind.
OUTPUT_SUFFIXES = {"notebook": ".ipynb", "html": ".html"}


def written_outputs(out_dir: Path, notebook_path: str) -> list[str]:
    """The kinds of output file a run left in its local ``out_dir``, recorded when it ends."""
    stem = PurePosixPath(notebook_path).stem
    return [
        kind for kind, suffix in OUTPUT_SUFFIXES.items() if (out_dir / f"{stem}{suffix}").is_file()
    ]


def output_files(run: Run | RunRow) -> dict[str, StoredFile]:
    """The executed notebook and HTML report of a run: those it recorded writing, found
    without asking the storage (a page of runs on remote storage makes no request per run);
    none once retention pruned them or a purge erased them (:func:`erasure`). A run ended
    before runs recorded their ``outputs`` has its files looked up."""
    if run.pruned_at is not None or run.purged_at is not None:
        return {}
    return _stored_outputs(run.output_dir, run.notebook_path, run.outputs)


class Erasure(NamedTuple):
    """How and when a run's outputs were deleted: ``purged`` (an erasure request for the
    data it used) or ``pruned`` (retention)."""

    how: str
    at: datetime


def erasure(run: Run | RunRow) -> Erasure | None:
    """The first deletion of the run's outputs, if they were deleted."""
    done = [
        Erasure(how, at)
        for how, at in (("purged", run.purged_at), ("pruned", run.pruned_at))
        if at is not None
    ]
    return min(done, key=lambda found: found.at) if done else None


class EndingOutputs(NamedTuple):
    """Where a run that is ending left its files, before its end is recorded."""

    #: Its output directory (the worker's, else the run's stored one), if it has one.
    directory: str | None
    #: Its executed notebook there, if it wrote one.
    notebook: StoredFile | None
    #: The kinds of output file (:data:`OUTPUT_SUFFIXES`) it wrote there.
    kinds: list[str]


def ending_outputs(store: Store, run_id: int, output_dir: str | None) -> EndingOutputs:
    """The outputs of run ``run_id`` while it ends, looked up in ``output_dir`` (the
    worker's, else the one the run recorded when it started). NotFoundError if the run is
    gone."""
    with store.connection() as connection:
        row = connection.execute(
            select(runs_table.c.output_dir, runs_table.c.notebook_path).where(
                runs_table.c.id == run_id
            )
        ).first()
    if row is None:
        raise NotFoundError(f"Run {run_id} does not exist.", run=run_id)
    directory = output_dir or row.output_dir
    found = _stored_outputs(directory, row.notebook_path, None)
    return EndingOutputs(directory or None, found.get("notebook"), list(found))


def executed_notebook(store: Store, run_id: int, output_dir: str | None) -> StoredFile | None:
    """The executed notebook of run ``run_id`` while it ends (:func:`ending_outputs`); None
    if it wrote none."""
    return ending_outputs(store, run_id, output_dir).notebook


def _stored_outputs(
    output_dir: str | None, notebook_path: str, outputs: list[str] | None
) -> dict[str, StoredFile]:
    if not output_dir:
        return {}
    stem = PurePosixPath(notebook_path).stem
    kinds = OUTPUT_SUFFIXES if outputs is None else outputs
    found = {
        kind: StoredFile(join(output_dir, f"{stem}{OUTPUT_SUFFIXES[kind]}"))
        for kind in kinds
        if kind in OUTPUT_SUFFIXES
    }
    if outputs is None:
        return {kind: file for kind, file in found.items() if exists(file.location)}
    return found
