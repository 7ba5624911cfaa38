"""``nbtools.artifacts.load(name, job=..., run=...)``: a local path to a run's artifact.

It needs only the project's location (:func:`nbtools.project.project_from_environment`), so
it works alike in a notebook, in an extracted package and in a service. An artifact in local
storage is returned where it is stored (read it, do not change it); one in remote storage
(``--storage s3://…``) is downloaded once into ``<store>/cache/artifacts/<run>/<name>`` and
checked against its recorded SHA-256.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from nbtools.artifacts.stored import Artifact, find_artifact
from nbtools.errors import NbtoolsError
from nbtools.jobs import storage
from nbtools.urls import without_login

if TYPE_CHECKING:
    from nbtools.project import Project

#: What :func:`load` returned in this process, oldest first: a service's ``GET /info`` names
#: the training runs its model came from (:mod:`nbtools.serve.info`).
_loaded: list[Artifact] = []


def find(name: str, job: str | int | None = None, run: int | None = None) -> Artifact:
    """The artifact :func:`load` means (its run id, size, digest and stored location)."""
    from nbtools.project import project_from_environment

    return find_artifact(project_from_environment(), name, job=job, run=run)


def load(name: str, job: str | int | None = None, run: int | None = None) -> Path:
    """A local path to artifact ``name`` of the latest succeeded run of ``job`` (its name or
    id), or of run ``run``."""
    from nbtools.project import project_from_environment

    project = project_from_environment()
    artifact = find_artifact(project, name, job=job, run=run)
    path = local_path(project, artifact)
    if artifact not in _loaded:
        _loaded.append(artifact)
    return path


def loaded() -> list[Artifact]:
    """The artifacts :func:`load` returned in this process so far, oldest first."""
    return list(_loaded)


def cache_dir(project: Project, run_id: int) -> Path:
    """Where remote artifacts of run ``run_id`` are downloaded."""
    return project.store_dir / "cache" / "artifacts" / str(run_id)


def local_path(project: Project, artifact: Artifact) -> Path:
    """The artifact's file on this machine, downloaded (and checked) if it is remote."""
    stored = storage.StoredFile(artifact.location).local_path
    if stored is not None:
        return stored
    target = cache_dir(project, artifact.run_id) / artifact.name
    if target.is_file() and target.stat().st_size == artifact.size:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{artifact.name}.", dir=target.parent)
    os.close(handle)
    try:
        storage.get_file(artifact.location, Path(temporary))
        if storage.sha256(temporary) != artifact.sha256:
            raise NbtoolsError(
                f"Artifact {artifact.name!r} of run {artifact.run_id} changed in storage since "
                f"the run kept it ({without_login(artifact.location)}).",
                run=artifact.run_id,
                name=artifact.name,
            )
        os.replace(temporary, target)
    finally:
        Path(temporary).unlink(missing_ok=True)
    return target
