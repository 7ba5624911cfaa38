"""Notebook versions: a deduplicated, content-addressed history of every save.

The API other features call::

    from nbtools import versioning
    version = versioning.commit(project, "nb.ipynb", raw_bytes)   # no new version if unchanged
    versioning.latest(project, "nb.ipynb"); versioning.get(project, version.id)
    versioning.restore(project, version)                           # the state before is kept
    versioning.pin(project, version.id, "run", run_id)             # gc keeps it

    versioning.disk_content(project, "nb.ipynb")                   # the saved file's bytes
    versioning.diff_versions(project, "nb.ipynb", "3", "disk")     # the diff panel's model
    versioning.notebook_bytes(nb)                                  # a notebook as stored

``diff_versions`` (:mod:`nbtools.versioning.diff`, which imports nbdime) is loaded on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nbtools.versioning.content import version_notebook
from nbtools.versioning.files import notebook_bytes
from nbtools.versioning.gc import DEFAULT_KEEP, collect_garbage
from nbtools.versioning.history import (
    Version,
    commit,
    disk_content,
    get,
    history,
    latest,
    resolve,
)
from nbtools.versioning.objects import DamagedObjectError
from nbtools.versioning.pins import pin, references, unpin
from nbtools.versioning.renames import rename
from nbtools.versioning.restore import Restored, restore
from nbtools.versioning.verify import verify

if TYPE_CHECKING:
    from nbtools.versioning.diff import diff as diff_versions

__all__ = [
    "DEFAULT_KEEP",
    "DamagedObjectError",
    "Restored",
    "Version",
    "collect_garbage",
    "commit",
    "diff_versions",
    "disk_content",
    "get",
    "history",
    "latest",
    "notebook_bytes",
    "pin",
    "references",
    "rename",
    "resolve",
    "restore",
    "unpin",
    "verify",
    "version_notebook",
]


def __getattr__(name: str) -> Any:
    if name == "diff_versions":  # not ``diff``: importing the submodule binds that name
        from nbtools.versioning.diff import diff

        return diff
    raise AttributeError(f"module 'nbtools.versioning' has no attribute {name!r}")
