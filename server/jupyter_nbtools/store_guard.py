"""The store directory through Jupyter's contents API: read as Jupyter decides, never written.

The store (``.nbtools/``, or ``NbtoolsSettings.store_dir``) holds the database (the audit
trail among it), the runs' outputs and the compiled code every environment capture loads.
With ``ContentsManager.allow_hidden = True`` (or a store directory whose name is not hidden),
Jupyter's contents API reaches it: a user allowed to write files could replace that code, or
put an old copy of the database back over the audit trail. Jupyter offers a hook before a
save (a pre-save hook may refuse it by raising an ``HTTPError``: a new file, a directory, an
upload, a copy) and none before a delete, a rename or a checkpoint, so :func:`install`
registers that hook and wraps the contents manager's ``delete_file``, ``rename_file``,
``create_checkpoint`` and ``restore_checkpoint`` on its instance (the methods its ``delete``,
``rename`` and the checkpoint routes call). A request changing anything in the store through
them, or through a symbolic link leading there, is answered 403 and changes nothing; reading
(listing, downloading) stays as Jupyter's ``allow_hidden`` decides.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tornado.web import HTTPError

from nbtools.errors import NbtoolsError
from nbtools.project import Project


class StoreGuard:
    """Refuses the contents paths (relative to the contents manager's ``root_dir``) in the
    project's store directory."""

    def __init__(self, project: Project, contents_root: Path) -> None:
        self.project = project
        self.contents_root = contents_root

    def refuse(self, path: str, what: str) -> None:
        """403 if ``path`` is, or leads through a symbolic link into, the store."""
        try:
            inside = self.project.in_store(self.contents_root / path.strip("/"))
        except NbtoolsError:  # a loop of links, a name too long: Jupyter's to refuse
            return
        if inside:
            raise HTTPError(
                403,
                f"Cannot {what} {path!r}: it is in the nbtools store directory, which only "
                "nbtools writes (docs/configuration.md, Security).",
            )

    def on_save(self, model: dict[str, Any], path: str, **_: Any) -> None:
        """Pre-save hook: a save, new file, directory, upload or copy into the store."""
        self.refuse(path, "save")


def _guarded(
    manager: Any, name: str, what: str, paths: Callable[..., tuple[str, ...]], guard: StoreGuard
) -> None:
    """Replace ``manager.name`` by a method refusing (:meth:`StoreGuard.refuse`) the contents
    paths ``paths`` picks from its arguments before it calls the original (a coroutine
    function's refusal raises when it is called, before anything is awaited)."""
    method = getattr(manager, name)

    @functools.wraps(method)
    def refusing(*args: Any, **kwargs: Any) -> Any:
        for path in paths(*args, **kwargs):
            guard.refuse(path, what)
        return method(*args, **kwargs)

    setattr(manager, name, refusing)


def install(contents_manager: Any, project: Project) -> None:
    """Refuse every change to the store through ``contents_manager`` (a file-based one: with a
    ``root_dir``; any other does not serve the project's files)."""
    root = getattr(contents_manager, "root_dir", None)
    if not root:
        return
    guard = StoreGuard(project, Path(root))
    contents_manager.register_pre_save_hook(guard.on_save)
    _guarded(contents_manager, "delete_file", "delete", lambda path: (path,), guard)
    _guarded(
        contents_manager, "rename_file", "rename", lambda old_path, new_path: (old_path, new_path),
        guard,
    )  # fmt: skip
    _guarded(contents_manager, "create_checkpoint", "checkpoint", lambda path: (path,), guard)
    _guarded(
        contents_manager, "restore_checkpoint", "restore",
        lambda checkpoint_id, path: (path,), guard,
    )  # fmt: skip
