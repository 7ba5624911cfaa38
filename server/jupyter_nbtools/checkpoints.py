"""Versions in JupyterLab: every notebook save is recorded, and checkpoints are versions.

:func:`install` registers a pre-save hook on the contents manager (so every save — manual,
autosave, collaborative — records the content being saved, in the order the saves arrive)
and replaces its checkpoints with :class:`NbtoolsCheckpoints`, so a notebook's checkpoint is
its newest nbtools version and a rename through JupyterLab keeps the history (and the packages
extracted from the notebook follow it: :func:`nbtools.lineage.follow_move`). The first save of
a notebook moved with a shell ``mv`` continues the gone notebook's history, as ``nbtools
version save`` does (:func:`nbtools.lineage.continue_moved`). Other files keep their usual
checkpoints. A failure inside versioning never blocks a save: it is logged and
kept for the Versions panel to show.

Only the newest version is listed as a checkpoint, as Jupyter's own checkpoints list the last
save: JupyterLab numbers the checkpoints of its revert dialog 0, 1, 2 (newest first), numbers
that would contradict the version numbers shown everywhere else. Older versions are reverted
to from the Versions section or File > Revert Notebook to Version…, by their numbers. The
checkpoints also answer nbdime's "diff against checkpoint" (``get_notebook_checkpoint`` of
:class:`~jupyter_server.services.contents.checkpoints.GenericCheckpointsMixin`).

Restoring a checkpoint (``POST /api/contents/{path}/checkpoints/{id}``, any of the notebook's
version numbers) is restoring that version: it needs what ``POST
/nbtools/api/versions/{id}/restore`` needs, ``write`` on ``nbtools`` (Jupyter itself asked
``write`` on ``contents``), and is audited alike (``version.restore`` by the request's user).
Reading a checkpoint's notebook (nbdime's diff, whose route asks nothing but a login) is
reading a version: it needs ``read`` on ``nbtools``, as ``GET /nbtools/api/versions/{id}``
does, and, as every read, is no audit entry.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import nbformat
from jupyter_core.utils import ensure_async, run_sync
from jupyter_server import CallContext
from jupyter_server.services.contents.checkpoints import (
    AsyncCheckpoints,
    AsyncGenericCheckpointsMixin,
    Checkpoints,
    GenericCheckpointsMixin,
)
from tornado.web import HTTPError
from traitlets import Any as AnyTrait
from traitlets import Instance

from jupyter_nbtools.handlers.authorization import AUTH_RESOURCE, READ, RESTORE_ACTION
from jupyter_nbtools.handlers.statuses import http_status
from jupyter_nbtools.identity import request_actor
from nbtools import lineage, versioning
from nbtools.errors import NbtoolsError
from nbtools.project import Project
from nbtools.versioning.history import Version, disk_content


def request_user() -> str | None:
    """Who the request being served acts as (saves, checkpoints and reverts come through
    Jupyter's contents API; :mod:`jupyter_nbtools.identity`), or ``None`` outside a request."""
    return request_actor(CallContext.get(CallContext.JUPYTER_HANDLER))


async def check_allowed(action: str, what: str) -> None:
    """Refuse (403, naming ``what`` needs ``action``) a request whose user the Authorizer
    does not allow ``action`` on ``nbtools``: checkpoints are versions, which Jupyter's
    contents API (and nbdime) reach with their own permission on ``contents`` only. Outside
    a request (the server's own code) nothing is asked.

    Restoring a checkpoint is restoring a version (:data:`RESTORE_ACTION`); reading its
    notebook (nbdime's "diff against checkpoint", whose route asks nothing but a login) is
    reading a version (:data:`READ`, as ``GET /versions/{id}``)."""
    handler = CallContext.get(CallContext.JUPYTER_HANDLER)
    if handler is None:
        return
    allowed = await ensure_async(
        handler.authorizer.is_authorized(handler, handler.current_user, action, AUTH_RESOURCE)
    )
    if not allowed:
        raise HTTPError(
            403, f"You are not allowed to {action} on {AUTH_RESOURCE}, which {what} needs."
        )


#: What :func:`check_allowed` names as needing each action.
RESTORING, READING = "restoring a version", "reading a version"


def is_notebook(path: str) -> bool:
    return path.endswith(".ipynb")


#: Seconds after which a save that has not reached the post-save hook is taken as failed (a
#: save writes a file: seconds at most), so that it stops making later saves look concurrent.
STALE_SAVE_SECONDS = 300.0

#: A file's inode, size, modification and change times: any write or rename changes it.
FileIdentity = tuple[int, int, int, int]


def file_identity(path: Path) -> FileIdentity | None:
    """The identity of the file at ``path`` (``None`` if it cannot be read)."""
    try:
        found = path.stat()
    except OSError:
        return None
    return (found.st_ino, found.st_size, found.st_mtime_ns, found.st_ctime_ns)


class VersionRecorder:
    """Records versions for the server and remembers the last failure of each notebook."""

    def __init__(self, project: Project, contents_root: Path, log: logging.Logger) -> None:
        self.project = project
        self.contents_root = contents_root.resolve()
        self.log = log
        self.failures: dict[str, dict[str, str]] = {}
        #: Per contents path, when each save in progress began (``time.monotonic``), and the
        #: paths whose saves overlapped. A save that failed after its pre-save hook never
        #: reaches the post-save hook: it counts as in progress for :data:`STALE_SAVE_SECONDS`.
        self.saving: dict[str, list[float]] = {}
        self.overlapping: set[str] = set()
        #: The version each save in progress recorded, per contents path.
        self._recorded: dict[str, Version | None] = {}
        #: Per notebook (project path), its file's identity when its content was last recorded,
        #: and that version's id: while the file keeps that identity, recording it again is
        #: that version (JupyterLab asks for a checkpoint after each save, and reading and
        #: hashing a notebook of 20 MiB again would hold the event loop ≈ 40 ms).
        self._on_disk: dict[str, tuple[FileIdentity, int]] = {}

    def key(self, api_path: str) -> str:
        """The project path of a contents-manager path."""
        return self.project.relative(self.contents_root / api_path.strip("/"))

    def failure(self, key: str) -> dict[str, str] | None:
        """The last versioning failure for a notebook, if its last attempt failed."""
        return self.failures.get(key)

    def guarded(self, api_path: str, operation: str, action: Callable[[str], Any]) -> Any:
        """Run ``action(key)``; on any failure log it, keep it for the panel, return ``None``.

        A failure is kept until a later ``record`` of the notebook succeeds: other operations
        succeeding (Jupyter lists the checkpoints after every save, failed or not) do not
        mean the content was recorded."""
        key = api_path
        try:
            key = self.key(api_path)
            result = action(key)
        except Exception as error:
            message = error.message if isinstance(error, NbtoolsError) else f"{error!r}"
            self.log.error("nbtools: could not %s %s: %s", operation, key, message, exc_info=True)
            self.failures[key] = {
                "operation": operation,
                "message": message,
                "at": datetime.now(timezone.utc).isoformat(),
            }
            return None
        if operation == "record":
            self.failures.pop(key, None)
        return result

    def on_save(self, model: dict[str, Any], path: str, **_: Any) -> None:
        """Pre-save hook: record the notebook content about to be written."""
        if model.get("type") != "notebook" or not isinstance(model.get("content"), dict):
            return
        now = time.monotonic()
        started = [t for t in self.saving.get(path, []) if now - t < STALE_SAVE_SECONDS]
        if started:
            self.overlapping.add(path)
        self.saving[path] = [*started, now]
        content = model["content"]
        user = request_user()

        def record(key: str) -> Version:
            # The file there, before this save replaces it, may be one moved with a shell `mv`.
            moved = lineage.continue_moved(self.project, key)
            if moved.followed is not None:
                self.log.info("nbtools: %s continues the history of %s", key, moved.candidates[0])
                self._warn(moved.followed, moved.candidates[0], key)
            return versioning.commit(self.project, key, content, user=user)

        self._recorded[path] = self.guarded(path, "record", record)

    def after_save(self, model: dict[str, Any], os_path: str = "", **_: Any) -> None:
        """Post-save hook: when saves of one notebook overlapped, their writes may have landed
        in another order than they arrived, so the file on disk is recorded (if it is not the
        latest version already) to keep the history ending with what is on disk. Otherwise
        the file written holds the version its save recorded: its identity is remembered."""
        path = model.get("path", "")
        if path not in self.saving:
            return
        del self.saving[path][0]  # the oldest: saves end in about the order they began
        if not self.saving[path]:
            del self.saving[path]
        recorded = self._recorded.pop(path, None) if path not in self.saving else None
        if path in self.overlapping:
            self.guarded(path, "record", self._record_disk)
            if path not in self.saving:
                self.overlapping.discard(path)
        elif recorded is not None and os_path:
            identity = file_identity(Path(os_path))
            if identity is not None:
                self._on_disk[recorded.path] = (identity, recorded.id)

    # -- checkpoints of notebooks ------------------------------------------------------------

    def create(self, path: str) -> dict[str, Any]:
        """Record the file on disk (nothing new if it is the latest version); a file that
        has not changed since its content was recorded is not read again."""
        version = self.guarded(
            path, "record", lambda key: self._unchanged(key) or self._record_disk(key)
        )
        if version is None:
            return {"id": "unrecorded", "last_modified": datetime.now(timezone.utc)}
        return checkpoint_model(version)

    def _unchanged(self, key: str) -> Version | None:
        """The latest version, if the file still has the identity it had when that version
        recorded its content; else ``None``."""
        known = self._on_disk.get(key)
        if known is None or file_identity(self.project.resolve(key)) != known[0]:
            return None
        latest = versioning.latest(self.project, key)
        return latest if latest is not None and latest.id == known[1] else None

    def _record_disk(self, key: str) -> Version:
        target = self.project.resolve(key)
        identity = file_identity(target)  # before reading: a write meanwhile changes it
        content = disk_content(self.project, key)
        version = versioning.commit(self.project, key, content, user=request_user())
        if identity is not None:
            self._on_disk[key] = (identity, version.id)
        return version

    def list(self, path: str) -> list[dict[str, Any]]:
        """The newest version as the notebook's one checkpoint (none before the first save)."""
        found = self.guarded(path, "list", lambda key: versioning.latest(self.project, key))
        return [checkpoint_model(found)] if found is not None else []

    def notebook(self, checkpoint: str | dict[str, Any], path: str) -> dict[str, Any]:
        """A version's notebook as a checkpoint model; ``checkpoint`` is its id (the version
        number), or a checkpoint model as nbdime passes it."""
        checkpoint_id = checkpoint["id"] if isinstance(checkpoint, dict) else checkpoint
        try:
            version = versioning.resolve(self.project, self.key(path), str(checkpoint_id))
            content = versioning.version_notebook(self.project, version)
        except NbtoolsError as error:
            raise HTTPError(http_status(error), error.message) from error
        # A NotebookNode, as Jupyter's own checkpoints give (nbdime reads its attributes).
        return {"type": "notebook", "content": nbformat.from_dict(content)}

    def restore(self, checkpoint_id: str, path: str) -> None:
        try:
            version = versioning.resolve(self.project, self.key(path), checkpoint_id)
            versioning.restore(self.project, version, user=request_user())
        except NbtoolsError as error:
            raise HTTPError(http_status(error), error.message) from error

    def rename(self, old_path: str, new_path: str) -> None:
        def move(key: str) -> None:
            old = self.key(old_path)
            self._on_disk.pop(old, None)
            versioning.rename(self.project, old, key)
            self._warn(lineage.follow_move(self.project, old, key), old, key)

        self.guarded(new_path, "rename", move)

    def _warn(self, followed: lineage.Followed, old: str, new: str) -> None:
        """Log which packages of ``old`` could not follow it to ``new``, if any."""
        warning = followed.warning(old, new)
        if warning is not None:
            self.log.warning("nbtools: %s", warning)


def checkpoint_model(version: Version) -> dict[str, Any]:
    """A version as a Jupyter checkpoint: its number is the checkpoint id."""
    return {"id": str(version.number), "last_modified": version.created_at}


def _trust_marked(contents_manager: Any, model: dict[str, Any], path: str) -> dict[str, Any]:
    """A checkpoint's notebook with its cells marked trusted or not, as the contents manager
    marks the notebook it reads, so that comparing the two shows only real changes."""
    contents_manager.mark_trusted_cells(model["content"], path)
    return model


def _refuse_delete(path: str) -> HTTPError:
    return HTTPError(
        400,
        f"nbtools keeps every version of {path}; prune old ones with `nbtools version gc`.",
    )


class NbtoolsCheckpoints(GenericCheckpointsMixin, Checkpoints):
    """Checkpoints of a synchronous contents manager: notebooks' are nbtools versions."""

    def get_notebook_checkpoint(self, checkpoint_id: Any, path: str) -> dict[str, Any]:
        run_sync(check_allowed)(READ, READING)
        return _trust_marked(self.parent, self.recorder.notebook(checkpoint_id, path), path)

    def get_file_checkpoint(self, checkpoint_id: Any, path: str) -> dict[str, Any]:
        return self.fallback.get_file_checkpoint(checkpoint_id, path)  # type: ignore[no-any-return]

    recorder = Instance(VersionRecorder, help="The VersionRecorder of the server.")
    fallback = AnyTrait(help="The checkpoints used for files other than notebooks.")

    def create_checkpoint(self, contents_mgr: Any, path: str) -> dict[str, Any]:
        if not is_notebook(path):
            model: dict[str, Any] = self.fallback.create_checkpoint(contents_mgr, path)
            return model
        return self.recorder.create(path)

    def restore_checkpoint(self, contents_mgr: Any, checkpoint_id: str, path: str) -> None:
        if not is_notebook(path):
            self.fallback.restore_checkpoint(contents_mgr, checkpoint_id, path)
        else:
            run_sync(check_allowed)(RESTORE_ACTION, RESTORING)
            self.recorder.restore(checkpoint_id, path)

    def list_checkpoints(self, path: str) -> list[dict[str, Any]]:
        if not is_notebook(path):
            models: list[dict[str, Any]] = self.fallback.list_checkpoints(path)
            return models
        return self.recorder.list(path)

    def rename_checkpoint(self, checkpoint_id: str, old_path: str, new_path: str) -> None:
        self.rename_all_checkpoints(old_path, new_path)

    def rename_all_checkpoints(self, old_path: str, new_path: str) -> None:
        self.recorder.rename(old_path, new_path)
        self.fallback.rename_all_checkpoints(old_path, new_path)

    def delete_checkpoint(self, checkpoint_id: str, path: str) -> None:
        if is_notebook(path):
            raise _refuse_delete(path)
        self.fallback.delete_checkpoint(checkpoint_id, path)

    def delete_all_checkpoints(self, path: str) -> None:
        # A deleted notebook keeps its history (restorable with `nbtools version restore`).
        self.fallback.delete_all_checkpoints(path)


class AsyncNbtoolsCheckpoints(AsyncGenericCheckpointsMixin, AsyncCheckpoints):
    """Checkpoints of an asynchronous contents manager (Jupyter Server's default)."""

    async def get_notebook_checkpoint(self, checkpoint_id: Any, path: str) -> dict[str, Any]:
        await check_allowed(READ, READING)
        # Rebuilding a version reads the store (tens of ms for a notebook of megabytes): in a
        # thread, not on the event loop; it changes nothing, so nothing else waits for it.
        model = await asyncio.to_thread(self.recorder.notebook, checkpoint_id, path)
        return _trust_marked(self.parent, model, path)

    async def get_file_checkpoint(self, checkpoint_id: Any, path: str) -> dict[str, Any]:
        return await self.fallback.get_file_checkpoint(checkpoint_id, path)  # type: ignore[no-any-return]

    recorder = Instance(VersionRecorder, help="The VersionRecorder of the server.")
    fallback = AnyTrait(help="The checkpoints used for files other than notebooks.")

    async def create_checkpoint(self, contents_mgr: Any, path: str) -> dict[str, Any]:
        if not is_notebook(path):
            model: dict[str, Any] = await self.fallback.create_checkpoint(contents_mgr, path)
            return model
        return self.recorder.create(path)

    async def restore_checkpoint(self, contents_mgr: Any, checkpoint_id: str, path: str) -> None:
        if not is_notebook(path):
            await self.fallback.restore_checkpoint(contents_mgr, checkpoint_id, path)
        else:
            await check_allowed(RESTORE_ACTION, RESTORING)
            self.recorder.restore(checkpoint_id, path)

    async def list_checkpoints(self, path: str) -> list[dict[str, Any]]:
        if not is_notebook(path):
            models: list[dict[str, Any]] = await self.fallback.list_checkpoints(path)
            return models
        return self.recorder.list(path)

    async def rename_checkpoint(self, checkpoint_id: str, old_path: str, new_path: str) -> None:
        await self.rename_all_checkpoints(old_path, new_path)

    async def rename_all_checkpoints(self, old_path: str, new_path: str) -> None:
        # off the IOLoop: the store's writes and the project's search for the packages that
        # follow (up to thousands of folders walked)
        await asyncio.to_thread(self.recorder.rename, old_path, new_path)
        await self.fallback.rename_all_checkpoints(old_path, new_path)

    async def delete_checkpoint(self, checkpoint_id: str, path: str) -> None:
        if is_notebook(path):
            raise _refuse_delete(path)
        await self.fallback.delete_checkpoint(checkpoint_id, path)

    async def delete_all_checkpoints(self, path: str) -> None:
        await self.fallback.delete_all_checkpoints(path)


def install(contents_manager: Any, project: Project, log: logging.Logger) -> VersionRecorder | None:
    """Record versions on every notebook save and serve them as checkpoints.

    Needs a file-based contents manager (one with a ``root_dir``); returns ``None`` otherwise.
    """
    root = getattr(contents_manager, "root_dir", None)
    if not root:
        log.warning("nbtools: versions are off: the contents manager is not file-based.")
        return None
    recorder = VersionRecorder(project, Path(root), log)
    fallback = contents_manager.checkpoints
    cls = AsyncNbtoolsCheckpoints if isinstance(fallback, AsyncCheckpoints) else NbtoolsCheckpoints
    contents_manager.checkpoints = cls(
        parent=contents_manager, log=contents_manager.log, recorder=recorder, fallback=fallback
    )
    contents_manager.register_pre_save_hook(recorder.on_save)
    contents_manager.register_post_save_hook(recorder.after_save)
    return recorder
