"""The copies of runs' executed notebooks that **Open output** makes under :data:`OPEN_DIR`,
where JupyterLab opens them: where a run's copy is, and deleting those of runs whose outputs
were erased.

A copy is named for its run (``nbtools-outputs/<notebook>-run-<id>.ipynb``), so the run's row
says where it is; erasure (``data usage NAME --purge``) deletes it with the run's outputs, and
retention deletes the copies of every pruned or purged run (:func:`delete_erased_copies`), also
those left by a version that kept them, or opened while their run was being pruned. A copy
moved or renamed by someone is theirs (its metadata still names the run: docs/jobs.md).
"""

from __future__ import annotations

import os
import re
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from sqlalchemy import or_, select

from nbtools.errors import PathOutsideRootError
from nbtools.ids import parse_id
from nbtools.jobs.tables import runs_table

if TYPE_CHECKING:
    from nbtools.project import Project

#: Where copies go, under the root (visible in JupyterLab's file browser; the store directory
#: is hidden, and a stored output is never edited in place).
OPEN_DIR = "nbtools-outputs"
#: A copy's name: the notebook's stem, ``-run-``, the run's id.
_COPY_NAME = re.compile(r".+-run-([0-9]+)\.ipynb")
#: The bytes a file system takes for a file's name (Linux's NAME_MAX, most others').
_NAME_BYTES = 255
#: How many run ids one query asks about (under every database's limit of bound parameters).
_BATCH = 500


def output_name(notebook_path: str, run_id: int, suffix: str) -> str:
    """``<notebook>-run-<id><suffix>``: the name a run's output is downloaded or copied as,
    the notebook's name cut short (at a character) where the whole would pass the
    :data:`_NAME_BYTES` of a file name (a notebook named with 255 bytes has a copy)."""
    tail = f"-run-{run_id}{suffix}"
    stem = PurePosixPath(notebook_path).stem.encode()[: _NAME_BYTES - len(tail.encode())]
    return stem.decode("utf-8", "ignore") + tail


def copy_path(notebook_path: str, run_id: int) -> str:
    """Where **Open output** copies the run's executed notebook, relative to the root."""
    return f"{OPEN_DIR}/{output_name(notebook_path, run_id, '.ipynb')}"


def existing_copy(project: Project, notebook_path: str, run_id: int) -> Path | None:
    """The run's copy, if there is one (none in an :data:`OPEN_DIR` that leads out of the
    root: copies are never written there)."""
    try:
        path = project.resolve(copy_path(notebook_path, run_id))
    except PathOutsideRootError:
        return None
    return path if path.is_file() else None


def delete_erased_copies(project: Project) -> list[str]:
    """Delete the copies of the runs whose outputs were pruned or purged; returns their paths
    relative to the root. A file there named like a copy whose run kept its outputs, or whose
    name is not its run's notebook's, is left alone."""
    try:
        directory = project.resolve(OPEN_DIR)
    except PathOutsideRootError:
        return []
    if not directory.is_dir():
        return []
    named: dict[int, set[str]] = {}
    with os.scandir(directory) as entries:
        for entry in entries:
            found = _COPY_NAME.fullmatch(entry.name)
            run_id = parse_id(found[1]) if found else None
            if run_id is not None and entry.is_file():
                named.setdefault(run_id, set()).add(entry.name)
    ids, run = sorted(named), runs_table.c
    deleted = []
    for start in range(0, len(ids), _BATCH):
        with project.store.connection() as connection:
            erased = connection.execute(
                select(run.id, run.notebook_path).where(
                    run.id.in_(ids[start : start + _BATCH]),
                    or_(run.pruned_at.is_not(None), run.purged_at.is_not(None)),
                )
            ).all()
        for run_id, notebook_path in erased:
            name = output_name(notebook_path, run_id, ".ipynb")
            if name in named[run_id]:
                (directory / name).unlink(missing_ok=True)
                deleted.append(f"{OPEN_DIR}/{name}")
    return deleted
