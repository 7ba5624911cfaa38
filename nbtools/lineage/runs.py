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

from nbtools.envsnap.model import SHORT_ID
from nbtools.envsnap.records import EnvSnapshotRecord
from nbtools.store.models import NotebookRecord
from nbtools.versioning.models import VersionRecord

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from nbtools.jobs.models import Run
    from nbtools.project import Project


def _version(session: Session, run: Run) -> dict[str, Any] | None:
    version_id = run.notebook_version_id
    if version_id is None:
        return None
    found = session.execute(
        select(VersionRecord.number, NotebookRecord.path)
        .join(NotebookRecord, NotebookRecord.id == VersionRecord.notebook_id)
        .where(VersionRecord.id == version_id)
    ).first()
    model: dict[str, Any] = {
        "id": version_id,
        "number": None,
        "path": None,
        "pinned": run.pinned_version_id == version_id,
        "stored": found is not None,
        "command": None,
    }
    if found is not None:
        number, path = found
        model.update(
            number=number,
            path=path,
            command=f"nbtools version show {shlex.quote(path)} {number}",
        )
    return model


def _environment(session: Session, run: Run) -> dict[str, Any] | None:
    snapshot_id = run.env_snapshot_id
    if snapshot_id is None:
        return None
    found = session.execute(
        select(EnvSnapshotRecord.python_version).where(EnvSnapshotRecord.id == snapshot_id)
    ).first()
    short = snapshot_id[:SHORT_ID]
    return {
        "id": snapshot_id,
        "short_id": short,
        "python_version": found[0] if found is not None else None,
        "stored": found is not None,
        "command": f"nbtools env show {short}" if found is not None else None,
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
    with project.store.session() as session:
        version, environment = _version(session, run), _environment(session, run)
    return {
        "summary": summary(version, environment),
        "notebook_version": version,
        "environment": environment,
    }
