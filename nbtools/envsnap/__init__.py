"""Environment snapshots: capture a kernel's environment in its own interpreter, store it under
a content hash, export it as ``pylock.toml``/``requirements.txt``, diff it, detect drift and
recreate it.

The API other features use::

    snapshot = snapshot_kernel(project, "python3")   # captured and stored; snapshot.id
    snapshot = get_snapshot(project, snapshot_id)    # a full id or a unique prefix
    changes = diff(old, new)                         # SnapshotDiff
"""

from __future__ import annotations

from nbtools.envsnap.diff import SnapshotDiff, diff
from nbtools.envsnap.model import Distribution, Snapshot
from nbtools.envsnap.snapshots import get_snapshot, list_snapshots, snapshot_kernel

__all__ = [
    "Distribution",
    "Snapshot",
    "SnapshotDiff",
    "diff",
    "get_snapshot",
    "list_snapshots",
    "snapshot_kernel",
]
