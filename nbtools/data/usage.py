"""Erasure support: every run, output file and notebook version derived from a dataset, and
purging the run outputs (what a data-protection officer needs for an access or erasure
request).

A run is *derived from* a dataset when it read or wrote it through ``nbtools.data``
(``run_datasets``). Its output files (executed notebook, HTML) can hold rows of the data in
cell outputs, and its artifacts (a model trained on it) what was derived from it; the notebook
version it ran holds the code, not the data. Purging deletes the output files and the
artifacts (files and rows) and keeps the run rows (the history of what happened, without the data), records
``dataset.purge`` in the audit trail, and is idempotent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from nbtools import audit
from nbtools.data.tables import RunDatasetRecord
from nbtools.jobs.runs import output_files
from nbtools.jobs.tables import Run

if TYPE_CHECKING:
    from nbtools.project import Project


@dataclass(frozen=True)
class RunUsage:
    """A run derived from the dataset, with the files that may hold its data."""

    run_id: int
    job_id: int | None
    mode: str
    status: str
    notebook_path: str
    notebook_version_id: int | None
    files: dict[str, str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "job_id": self.job_id,
            "mode": self.mode,
            "status": self.status,
            "notebook_path": self.notebook_path,
            "notebook_version_id": self.notebook_version_id,
            "files": self.files,
        }


def dataset_usage(project: Project, name: str) -> list[RunUsage]:
    """The runs that read or wrote dataset ``name`` (also after it left the catalog), newest
    first, with their existing output files."""
    query = (
        select(RunDatasetRecord.mode, Run)
        .join(Run, Run.id == RunDatasetRecord.run_id)
        .where(RunDatasetRecord.dataset == name)
        .order_by(Run.id.desc(), RunDatasetRecord.mode)
    )
    with project.store.session() as session:
        rows = session.execute(query).all()
    return [
        RunUsage(
            run.id,
            run.job_id,
            mode,
            run.status,
            run.notebook_path,
            run.notebook_version_id,
            {kind: file.location for kind, file in output_files(run).items()},
        )
        for mode, run in rows
    ]


def purge_outputs(project: Project, name: str, actor: str | None = None) -> list[str]:
    """Delete the output files and artifacts of every run derived from dataset ``name``;
    returns the files deleted."""
    import fsspec.core

    from nbtools.artifacts.prune import delete_artifacts

    usages = dataset_usage(project, name)
    deleted = delete_artifacts(project, sorted({usage.run_id for usage in usages}))
    for usage in usages:
        for location in usage.files.values():
            filesystem, path = fsspec.core.url_to_fs(location)
            try:
                filesystem.rm(path)
            except FileNotFoundError:
                continue
            deleted.append(location)
    audit.record_now(
        project.store, actor, "dataset.purge", f"dataset {name}", {"files_deleted": len(deleted)}
    )
    return deleted
