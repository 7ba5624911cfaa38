"""Putting a version back: onto its notebook (the state before is kept first) or as a copy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nbtools import audit
from nbtools.atomic import atomic_write, check_writable, remove_stale_temporaries
from nbtools.errors import ConflictError, InvalidInputError, NotebookError, NotFoundError
from nbtools.notebooks import parse_notebook
from nbtools.project import Project
from nbtools.versioning.content import version_notebook
from nbtools.versioning.files import notebook_bytes
from nbtools.versioning.history import (
    RESTORE,
    Version,
    commit,
    disk_content,
    latest,
    notebook_key,
)


@dataclass(frozen=True)
class Restored:
    """What a restore did: the version put back, where, and the versions it recorded."""

    path: str
    source: Version
    #: The notebook's state just before the restore (``None`` for a copy or a missing file).
    before: Version | None
    #: The version of the restored content: recorded for it (``recorded``), or the latest
    #: version when that has the content already (nothing recorded).
    after: Version

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "source": self.source.to_dict(),
            "before": self.before.to_dict() if self.before else None,
            "after": self.after.to_dict(),
        }


def restore(
    project: Project, version: Version, as_path: str | None = None, user: str | None = None
) -> Restored:
    """Write ``version`` onto its notebook, or to the new file ``as_path``.

    Nothing is lost: the notebook's current content is recorded as a version first, and a
    notebook on disk that cannot be read is refused (rather than overwritten) with the store
    untouched. The file is replaced atomically; the temporary files killed restores of it
    left beside it are removed. Content that is the latest version's already records no
    version (a deleted notebook brought back as it last was). Audited as ``version.restore``
    by ``user``.
    """
    data = notebook_bytes(version_notebook(project, version))
    restored = _restore(project, version, as_path, data, user)
    summary = {
        "path": version.path,
        "version": version.number,
        "as_path": as_path and restored.path,
        "recorded_version": restored.after.number,
    }
    audit.record_now(project.store, user, "version.restore", f"notebook {version.path}", summary)
    return restored


def _restore(
    project: Project, version: Version, as_path: str | None, data: bytes, user: str | None
) -> Restored:
    if as_path is not None:
        return _restore_copy(project, version, as_path, data, user)
    target = project.resolve(version.path)
    remove_stale_temporaries(target)
    before = None
    if target.exists():
        current = _current_content(disk_content(project, version.path), version.path)
        before = commit(project, version.path, current, user=user)
        if before.manifest == version.manifest:
            return Restored(version.path, version, before, before)
    else:  # a deleted notebook: its latest version may have the content already
        newest = latest(project, version.path)
        if newest is not None and newest.manifest == version.manifest:
            atomic_write(target, data)
            return Restored(version.path, version, None, newest)
    atomic_write(target, data)
    message = f"Restored version {version.number}"
    after = commit(project, version.path, data, message=message, user=user, kind=RESTORE)
    return Restored(version.path, version, before, after)


def _current_content(raw: bytes, path: str) -> bytes:
    try:
        parse_notebook(raw, source=path, lone_surrogates=True)
    except NotebookError as error:
        raise NotebookError(
            f"{error.message} Restoring would overwrite it without keeping it, so nothing was "
            "changed. Restore the version as a copy, or move the file aside.",
            **{**error.details, "field": "as_path"},
        ) from None
    return raw


def _restore_copy(
    project: Project, version: Version, as_path: str, data: bytes, user: str | None
) -> Restored:
    try:  # every refusal of the copy's path names its field
        key = notebook_key(project, as_path)
        target = project.resolve(key)
        if not key.endswith(".ipynb"):
            raise InvalidInputError(
                f"The copy's name must end in .ipynb: {as_path!r}.", path=as_path
            )
        check_writable(target, key, "as_path")
    except (InvalidInputError, NotFoundError) as error:
        error.details.setdefault("field", "as_path")
        raise
    remove_stale_temporaries(target)
    try:
        atomic_write(target, data, exclusive=True)
    except FileExistsError:
        raise ConflictError(
            f"{key} already exists; choose another name for the copy.", path=key
        ) from None
    message = f"Copy of {version.path} version {version.number}"
    after = commit(project, key, data, message=message, user=user, kind=RESTORE)
    return Restored(key, version, None, after)
