"""Deleting the artifacts of runs: their files (what the run's ``artifacts/`` directory
holds, recorded or not), their downloaded copies and their rows."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy import delete, select

from nbtools.artifacts.loading import cache_dir
from nbtools.artifacts.tables import run_artifacts
from nbtools.jobs import storage
from nbtools.jobs.tables import runs_table

if TYPE_CHECKING:
    from nbtools.project import Project


def delete_artifacts(project: Project, run_ids: Sequence[int]) -> list[str]:
    """Delete every artifact of the runs ``run_ids``; returns the stored files deleted.

    Files go first, then rows: a failure half-way leaves rows that a second call deletes.
    """
    run, artifact = runs_table.c, run_artifacts.c
    with project.store.connection() as connection:
        output_dirs = connection.scalars(
            select(run.output_dir).where(run.id.in_(run_ids), run.output_dir.is_not(None))
        ).all()
        recorded = connection.scalars(
            select(artifact.location).where(artifact.run_id.in_(run_ids))
        ).all()
    directories = [
        storage.join(output_dir, storage.ARTIFACTS) for output_dir in output_dirs if output_dir
    ]
    locations = {*recorded} | {
        storage.join(directory, name)
        for directory in directories
        for name in storage.file_sizes(directory)
    }
    deleted = [location for location in sorted(locations) if storage.delete(location)]
    for run_id in run_ids:
        shutil.rmtree(cache_dir(project, run_id), ignore_errors=True)
    with project.store.connection(write=True) as connection:
        connection.execute(delete(run_artifacts).where(artifact.run_id.in_(run_ids)))
    return deleted
