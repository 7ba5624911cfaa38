"""Jobs and runs pinned to a notebook version: they execute its content, not the file on disk.

The references that keep those versions from ``nbtools version gc`` are lineage's work
(:mod:`nbtools.lineage.events`, on the ``job_saved``, ``job_deleted`` and ``run_started``
events).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nbtools.errors import InvalidInputError, NotFoundError
from nbtools.ids import MAX_ID
from nbtools.jsonvalues import shown

if TYPE_CHECKING:
    from nbtools.notebooks import Notebook
    from nbtools.project import Project
    from nbtools.versioning import Version


def check_pin(value: object) -> int | None:
    """A pinned version id from a request: a positive whole number or None."""
    if value is None:
        return None
    if type(value) is not int or not 1 <= value <= MAX_ID:
        raise InvalidInputError(
            f"pinned_version_id must be a version id (a positive whole number) or null, "
            f"got {shown(value)}.",
            field="pinned_version_id",
        )
    return value


def pinned_version(project: Project, notebook_path: str, version_id: int) -> Version:
    """Version ``version_id``, which must be a version of ``notebook_path``."""
    from nbtools import versioning
    from nbtools.versioning.history import notebook_key

    try:
        version = versioning.get(project, version_id)
    except NotFoundError:
        raise InvalidInputError(
            f"There is no notebook version with id {version_id}. List the versions of "
            f"{notebook_path} with `nbtools version log {notebook_path}`.",
            field="pinned_version_id",
            version_id=version_id,
        ) from None
    if version.path != notebook_key(project, notebook_path):
        raise InvalidInputError(
            f"Version id {version_id} is version {version.number} of {version.path}, not a "
            f"version of {notebook_path}.",
            field="pinned_version_id",
            version_id=version_id,
        )
    return version


def version_content(project: Project, version_id: int) -> bytes:
    """The notebook file of version ``version_id``, as a save would have written it."""
    from nbtools import versioning
    from nbtools.versioning.files import notebook_bytes

    version = versioning.get(project, version_id)
    return notebook_bytes(versioning.version_notebook(project, version))


def pinned_notebook(project: Project, notebook_path: str, version_id: int) -> Notebook:
    """The notebook of version ``version_id`` of ``notebook_path``, parsed."""
    from nbtools.notebooks import parse_notebook

    pinned_version(project, notebook_path, version_id)
    return parse_notebook(version_content(project, version_id), source=notebook_path)
