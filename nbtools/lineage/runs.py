"""A run's lineage as people and clients see it: its notebook version and environment.

The wire model says what each id is and how to inspect it::

    {"summary": "notebook version 3 (id 12), environment 1f2e3d4c5b6a",
     "notebook_version": {"id": 12, "number": 3, "path": "nb.ipynb", "pinned": false,
                          "stored": true, "command": "nbtools version show nb.ipynb 3"},
     "environment": {"id": "1f2e…", "short_id": "1f2e3d4c5b6a", "python_version": "3.11.7",
                     "stored": true, "command": "nbtools env show 1f2e3d4c5b6a"}}
"""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import object_session

from nbtools.envsnap.model import SHORT_ID
from nbtools.envsnap.records import EnvSnapshotRecord
from nbtools.store.models import NotebookRecord
from nbtools.versioning.models import VersionRecord

if TYPE_CHECKING:
    from nbtools.jobs.models import Run
    from nbtools.project import Project


def _stored(project: Project, run: Run) -> tuple[int | None, str | None, bool, str | None]:
    """(version number, notebook path, whether the snapshot is stored, its Python version),
    in one query, in the session ``run`` belongs to while it is open (lists of runs)."""
    from nbtools.jobs.models import Run

    query = (
        select(
            VersionRecord.number,
            NotebookRecord.path,
            EnvSnapshotRecord.id.is_not(None),
            EnvSnapshotRecord.python_version,
        )
        .select_from(Run)
        .outerjoin(VersionRecord, VersionRecord.id == Run.notebook_version_id)
        .outerjoin(NotebookRecord, NotebookRecord.id == VersionRecord.notebook_id)
        .outerjoin(EnvSnapshotRecord, EnvSnapshotRecord.id == Run.env_snapshot_id)
        .where(Run.id == run.id)
    )
    current = object_session(run)
    if current is not None:
        found = current.execute(query).first()
    else:
        with project.store.session() as session:
            found = session.execute(query).first()
    if found is None:
        return None, None, False, None
    number, path, stored, python = found
    return number, path, bool(stored), python


def _version(run: Run, number: int | None, path: str | None) -> dict[str, Any] | None:
    if run.notebook_version_id is None:
        return None
    stored = number is not None and path is not None
    return {
        "id": run.notebook_version_id,
        "number": number,
        "path": path,
        "pinned": run.pinned_version_id == run.notebook_version_id,
        "stored": stored,
        "command": f"nbtools version show {shlex.quote(str(path))} {number}" if stored else None,
    }


def _environment(run: Run, stored: bool, python: str | None) -> dict[str, Any] | None:
    if run.env_snapshot_id is None:
        return None
    short = run.env_snapshot_id[:SHORT_ID]
    return {
        "id": run.env_snapshot_id,
        "short_id": short,
        "python_version": python,
        "stored": stored,
        "command": f"nbtools env show {short}" if stored else None,
    }


def summary(version: dict[str, Any] | None, environment: dict[str, Any] | None) -> str:
    """``notebook version 3 (id 12), environment 1f2e3d4c5b6a`` (parts not recorded say so)."""
    if version is None:
        text = "no notebook version recorded"
    elif version["stored"]:
        text = f"notebook version {version['number']} (id {version['id']})"
    else:
        text = f"notebook version id {version['id']} (no longer stored)"
    if environment is None:
        return f"{text}, no environment recorded"
    return f"{text}, environment {environment['short_id']}"


def run_lineage(project: Project, run: Run) -> dict[str, Any]:
    """The lineage model of ``run`` (see the module docstring)."""
    number = path = python = None
    stored = False
    if run.notebook_version_id is not None or run.env_snapshot_id is not None:
        number, path, stored, python = _stored(project, run)
    version, environment = _version(run, number, path), _environment(run, stored, python)
    return {
        "summary": summary(version, environment),
        "notebook_version": version,
        "environment": environment,
    }
