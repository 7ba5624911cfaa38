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
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, select

from nbtools.envsnap.model import SHORT_ID
from nbtools.envsnap.tables import env_snapshots
from nbtools.store.tables import notebooks
from nbtools.versioning.tables import versions

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from nbtools.jobs.events import DescribedRun

#: What the store has of a version id: its number and notebook path.
VersionFound = tuple[int, str]


def _versions(connection: Connection, runs: Sequence[DescribedRun]) -> dict[int, VersionFound]:
    """Version id → (number, path) of the versions the runs executed that are stored (the
    ids as one expanding parameter: a page's are not coerced one by one)."""
    ids = {run.notebook_version_id for run in runs} - {None}
    if not ids:
        return {}
    query = (
        select(versions.c.id, versions.c.number, notebooks.c.path)
        .join(notebooks, notebooks.c.id == versions.c.notebook_id)
        .where(versions.c.id.in_(bindparam("ids", expanding=True)))
    )
    found = connection.execute(query, {"ids": list(ids)})
    return {version_id: (number, path) for version_id, number, path in found}


def _snapshots(connection: Connection, runs: Sequence[DescribedRun]) -> dict[str, str | None]:
    """Snapshot id → Python version of the runs' environments that are stored."""
    ids = {run.env_snapshot_id for run in runs} - {None}
    if not ids:
        return {}
    table = env_snapshots
    query = select(table.c.id, table.c.python_version).where(
        table.c.id.in_(bindparam("ids", expanding=True))
    )
    return dict(connection.execute(query, {"ids": list(ids)}).tuples().all())


def _version(run: DescribedRun, number: int | None, path: str | None) -> dict[str, Any] | None:
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


def _environment(run: DescribedRun, stored: bool, python: str | None) -> dict[str, Any] | None:
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
    return f"{text}, {environment_summary(environment)}"


def environment_summary(environment: dict[str, Any] | None) -> str:
    """``environment 1f2e3d4c5b6a``, or ``no environment recorded``."""
    if environment is None:
        return "no environment recorded"
    return f"environment {environment['short_id']}"


def runs_lineage(connection: Connection, runs: Sequence[DescribedRun]) -> dict[int, dict[str, Any]]:
    """Run id → the lineage model of each of ``runs`` (see the module docstring): at most
    two queries (versions, snapshots) whatever the number of runs."""
    versions, snapshots = _versions(connection, runs), _snapshots(connection, runs)
    models = {}
    for run in runs:
        number, path = versions.get(run.notebook_version_id or 0, (None, None))
        stored = run.env_snapshot_id in snapshots
        python = snapshots.get(run.env_snapshot_id or "")
        version, environment = _version(run, number, path), _environment(run, stored, python)
        models[run.id] = {
            "summary": summary(version, environment),
            "notebook_version": version,
            "environment": environment,
        }
    return models
