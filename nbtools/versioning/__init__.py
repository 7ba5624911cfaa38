"""Notebook versions: a deduplicated, content-addressed history of every save.

The API other features call::

    from nbtools import versioning
    version = versioning.commit(project, "nb.ipynb", raw_bytes)   # no new version if unchanged
    versioning.latest(project, "nb.ipynb"); versioning.get(project, version.id)
    versioning.restore(project, version)                           # the state before is kept
    versioning.pin(project, version.id, "run", run_id)             # gc keeps it

    versioning.disk_content(project, "nb.ipynb")                   # the saved file's bytes
    versioning.version_message("before the refactor")              # a name, checked
    versioning.diff_versions(project, "nb.ipynb", "3", "disk")     # the diff panel's model
    versioning.notebook_bytes(nb)                                  # a notebook as stored
    versioning.move(project, "old.ipynb", "new.ipynb")             # the file and its history

A save needs only the history: ``diff_versions`` (which imports nbdime), pins, renames and gc
are loaded on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nbtools.lazy import loader
from nbtools.versioning.content import version_notebook
from nbtools.versioning.files import notebook_bytes
from nbtools.versioning.history import (
    Version,
    commit,
    disk_content,
    get,
    history,
    latest,
    resolve,
    version_message,
)
from nbtools.versioning.objects import DamagedObjectError
from nbtools.versioning.restore import Restored, restore
from nbtools.versioning.verify import verify

if TYPE_CHECKING:
    from nbtools.versioning.diff import diff as diff_versions
    from nbtools.versioning.gc import DEFAULT_KEEP, collect_garbage
    from nbtools.versioning.pins import pin, references, references_of, unpin
    from nbtools.versioning.renames import move, moved_from, rename, set_aside

#: Loaded on first use (a save, the log and a show need none of them): name → (module,
#: attribute). ``diff_versions`` imports nbdime. ``restore`` and ``verify`` are imported above:
#: each is also the name of its module, which importing the module binds on this package.
_LAZY = {
    "DEFAULT_KEEP": ("gc", "DEFAULT_KEEP"),
    "collect_garbage": ("gc", "collect_garbage"),
    "diff_versions": ("diff", "diff"),
    "pin": ("pins", "pin"),
    "references": ("pins", "references"),
    "references_of": ("pins", "references_of"),
    "unpin": ("pins", "unpin"),
    "move": ("renames", "move"),
    "moved_from": ("renames", "moved_from"),
    "rename": ("renames", "rename"),
    "set_aside": ("renames", "set_aside"),
}

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
    "move",
    "moved_from",
    "notebook_bytes",
    "pin",
    "references",
    "references_of",
    "rename",
    "resolve",
    "restore",
    "set_aside",
    "unpin",
    "verify",
    "version_message",
    "version_notebook",
]


__getattr__ = loader(__name__, _LAZY)
