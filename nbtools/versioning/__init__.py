"""Notebook versions: a deduplicated, content-addressed history of every save.

The API other features call::

    from nbtools import versioning
    version = versioning.commit(project, "nb.ipynb", raw_bytes)   # no new version if unchanged
    versioning.latest(project, "nb.ipynb"); versioning.get(project, version.id)
    versioning.restore(project, version)                           # the state before is kept
    versioning.pin(project, version.id, "run", run_id)             # gc keeps it

Diffs live in :mod:`nbtools.versioning.diff` (imports nbdime; import it where needed).
"""

from __future__ import annotations

from nbtools.versioning.content import version_notebook
from nbtools.versioning.gc import DEFAULT_KEEP, collect_garbage
from nbtools.versioning.history import Version, commit, get, history, latest, resolve
from nbtools.versioning.objects import DamagedObjectError
from nbtools.versioning.pins import pin, references, unpin
from nbtools.versioning.renames import rename
from nbtools.versioning.restore import Restored, restore
from nbtools.versioning.verify import verify

__all__ = [
    "DEFAULT_KEEP",
    "DamagedObjectError",
    "Restored",
    "Version",
    "collect_garbage",
    "commit",
    "get",
    "history",
    "latest",
    "pin",
    "references",
    "rename",
    "resolve",
    "restore",
    "unpin",
    "verify",
    "version_notebook",
]
