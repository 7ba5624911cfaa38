"""Environment snapshots: capture a kernel's environment in its own interpreter, store it under
a content hash, export it as ``pylock.toml``/``requirements.txt``, diff it, detect drift and
recreate it.

The API the REST handlers, the CLI and other features use (each function that stores or reads
snapshots takes a :class:`~nbtools.project.Project` and opens its own transaction)::

    snapshot = snapshot_kernel(project, "python3")   # captured and stored; snapshot.id
    snapshot = get_snapshot(project, snapshot_id)    # a full id or a unique prefix
    snapshot = resolve_snapshot(project, reference)  # an id, or a pylock/requirements file
    current, baseline = kernel_and_baseline(project, "python3", reference)  # for check:
                                                     # a file read for the kernel's Python
    list_snapshots(project)                          # summaries, most recently seen first
    changes = diff(old, new)                         # SnapshotDiff
    settings = EnvSettings()                         # which index a pylock.toml pins files of
    export_snapshot(project, snapshot, "pylock", settings)   # LockExport: text, unlocked, index
    export_file(project, snapshot_id, "requirements", settings)  # SnapshotFile (wire model)
    check_output(project, path, force)               # before exporting to a file: refusals
    write_output(path, text)                         # then the file, written whole
    import_text(project, text, "pylock.toml")        # (stored snapshot, whether newly stored)
    import_file(project, path)                       # the same, read from a file
    interpreter_markers(python)                      # its PEP 508 values, to read a file for
    check_recreate(snapshot, directory, project, python)  # refusals before it starts
    recreate_snapshot(snapshot, directory, python, project=project, actor="ana")  # RecreateReport
    list_kernels()                                   # [KernelSpec]

Only the model and ``diff`` are imported with the package (``diff`` is also its module's
name: importing the module would rebind it); the rest is imported on first use, so a page of
runs (which reads ``envsnap.model`` and ``envsnap.tables``) loads no capture code.
``snapshot_kernel``, which runs in every worker (lineage records each run's environment),
imports the store (``snapshots``: SQLAlchemy) while the kernel's interpreter reports its
environment; files, lock exports with their index look-ups and recreate come with their
first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nbtools.envsnap.diff import SnapshotDiff, diff
from nbtools.envsnap.model import Distribution, Snapshot
from nbtools.lazy import loader

if TYPE_CHECKING:
    from nbtools.envsnap.config import EnvSettings
    from nbtools.envsnap.files import (
        DEFAULT_NAMES,
        FORMATS,
        SnapshotFile,
        check_output,
        export_file,
        export_snapshot,
        format_for,
        import_file,
        import_text,
        kernel_and_baseline,
        read_file,
        resolve_snapshot,
        write_output,
    )
    from nbtools.envsnap.index import checked_index_url
    from nbtools.envsnap.kernel_capture import interpreter_markers, snapshot_kernel
    from nbtools.envsnap.kernels import KernelSpec, list_kernels
    from nbtools.envsnap.pylock import LockExport
    from nbtools.envsnap.recreate import RecreateReport, check_recreate
    from nbtools.envsnap.recreate import recreate as recreate_snapshot
    from nbtools.envsnap.snapshots import get_snapshot, list_snapshots, save_snapshot

#: The names loaded on first use: name → (module, attribute).
_LAZY = {
    "EnvSettings": ("config", "EnvSettings"),
    "snapshot_kernel": ("kernel_capture", "snapshot_kernel"),
    "interpreter_markers": ("kernel_capture", "interpreter_markers"),
    "checked_index_url": ("index", "checked_index_url"),
    **{
        name: ("files", name)
        for name in (
            "DEFAULT_NAMES",
            "FORMATS",
            "SnapshotFile",
            "check_output",
            "export_file",
            "export_snapshot",
            "format_for",
            "import_file",
            "import_text",
            "kernel_and_baseline",
            "read_file",
            "resolve_snapshot",
            "write_output",
        )
    },
    **{name: ("snapshots", name) for name in ("get_snapshot", "list_snapshots", "save_snapshot")},
    "KernelSpec": ("kernels", "KernelSpec"),
    "list_kernels": ("kernels", "list_kernels"),
    "LockExport": ("pylock", "LockExport"),
    "RecreateReport": ("recreate", "RecreateReport"),
    "check_recreate": ("recreate", "check_recreate"),
    # not ``recreate``: importing the submodule binds that name to the module
    "recreate_snapshot": ("recreate", "recreate"),
}

__all__ = [
    "DEFAULT_NAMES",
    "FORMATS",
    "Distribution",
    "EnvSettings",
    "KernelSpec",
    "LockExport",
    "RecreateReport",
    "Snapshot",
    "SnapshotDiff",
    "SnapshotFile",
    "check_output",
    "check_recreate",
    "checked_index_url",
    "diff",
    "export_file",
    "export_snapshot",
    "format_for",
    "get_snapshot",
    "import_file",
    "import_text",
    "interpreter_markers",
    "kernel_and_baseline",
    "list_kernels",
    "list_snapshots",
    "read_file",
    "recreate_snapshot",
    "resolve_snapshot",
    "save_snapshot",
    "snapshot_kernel",
    "write_output",
]


__getattr__ = loader(__name__, _LAZY)
