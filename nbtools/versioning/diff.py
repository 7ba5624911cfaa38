"""Comparing two versions of a notebook, or a version and the file on disk, with nbdime."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nbtools.errors import NotebookError, NotFoundError
from nbtools.notebooks import parse_notebook
from nbtools.project import Project
from nbtools.versioning.content import comparable, version_notebook
from nbtools.versioning.diffmodel import build_model
from nbtools.versioning.history import (
    Version,
    disk_content,
    history,
    latest_other_than,
    notebook_key,
    resolve,
)
from nbtools.versioning.parts import Notebook, split

#: The reference naming the notebook file as it is on disk.
DISK = "disk"


@dataclass
class Side:
    """One side of a comparison: a version, or the file on disk."""

    ref: str
    label: str
    notebook: Notebook
    manifest: str
    version: Version | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "label": self.label,
            "version": self.version.to_dict() if self.version else None,
        }


def diff(project: Project, path: str, a: str | None = None, b: str | None = None) -> dict[str, Any]:
    """The diff model of ``path`` between references ``a`` and ``b``.

    References are version numbers, ``latest``, ``latest~N`` or ``disk``. With neither given:
    the file on disk against the newest version whose content differs from it. With only
    ``a``: version ``a`` against the file on disk. Errors about a reference name it (``field``
    ``a`` or ``b``).
    """
    key = notebook_key(project, path)
    fields = ("a", "b")
    if a is None and b is not None:
        a, b, fields = b, None, ("b", "a")
    if a is None:
        old, new = _default_sides(project, key)
    else:
        old, new = _side(project, key, a, fields[0]), _side(project, key, b or DISK, fields[1])
    return compare(key, old, new)


def compare(path: str, old: Side, new: Side) -> dict[str, Any]:
    """Diff two sides with nbdime and build the model."""
    from nbdime.diffing.notebooks import diff_item_at_path, diff_notebooks
    from nbformat import from_dict

    a, b = from_dict(old.notebook), from_dict(new.notebook)
    raw = [] if old.manifest == new.manifest else diff_notebooks(a, b)
    model = build_model(a, b, raw, lambda x, y: diff_item_at_path(x, y, "/cells/*"))
    return {"path": path, "a": old.to_dict(), "b": new.to_dict(), **model}


def _default_sides(project: Project, key: str) -> tuple[Side, Side]:
    """The file on disk against the newest version whose content differs from it (the latest,
    unless the file was just saved or restored); the file against the latest when every
    version has its content; the last two versions when the file is gone."""
    versions = history(project, key, limit=2)
    if not versions:
        raise NotFoundError(
            f"{key} has no versions yet: save it in JupyterLab or run "
            f"`nbtools version save {key}` first.",
            path=key,
        )
    newest = _version_side(project, versions[0], "latest")
    if project.resolve(key).exists():
        disk = _disk_side(project, key)
        if disk.manifest != newest.manifest:
            return newest, disk
        other = latest_other_than(project, key, disk.manifest)
        if other is None:
            return newest, disk
        return _version_side(project, other, str(other.number)), disk
    if len(versions) == 1:
        return newest, newest
    return _version_side(project, versions[1], "latest~1"), newest


def _side(project: Project, key: str, ref: str, field: str) -> Side:
    if ref == DISK:
        return _disk_side(project, key)
    return _version_side(project, resolve(project, key, ref, field), ref)


def _version_side(project: Project, version: Version, ref: str) -> Side:
    notebook = version_notebook(project, version, images=False)
    return Side(ref, f"version {version.number}", notebook, version.manifest, version)


def _disk_side(project: Project, key: str) -> Side:
    try:
        content = parse_notebook(disk_content(project, key), source=key, lone_surrogates=True)
        parts = split(content, source=key)
    except NotebookError as error:
        raise NotebookError(
            f"{error.message} It cannot be compared; the version store was not changed.",
            **error.details,
        ) from None
    return Side(DISK, "file on disk", comparable(parts), parts.manifest_sha)
