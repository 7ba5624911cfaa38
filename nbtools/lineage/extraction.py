"""Lineage of extracted packages: the notebook version and environment they came from.

When ``nbtools extract`` (or the Productionize panel) writes a package, the notebook being
extracted is committed as a version (no new one if unchanged) and pinned with the reference
``extraction:<output directory>`` (one version per output directory: the previous one is
released), and the environment of the notebook's kernel is snapshotted. Both ids go into the
manifest, ``.nbtools-extract.json``, which ``--check`` does not compare: the ids change with
every save and every install, and a package must not look stale for that. The files
``--check`` compares (``pyproject.toml``'s ``[tool.nbtools]`` among them) carry only what the
notebook's content determines.

``nbtools extract`` records both in a background process by default
(:mod:`nbtools.lineage.background`): opening the store and starting the kernel's interpreter
cost several times what the extraction itself does.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import SQLAlchemyError

from nbtools.errors import NbtoolsError

if TYPE_CHECKING:
    from nbtools.notebooks import Notebook
    from nbtools.project import Project

log = logging.getLogger(__name__)

#: The reference kind of a package extracted from a version.
EXTRACTION = "extraction"
DEFAULT_KERNEL = "python3"


def output_ref(project: Project, out: Path) -> str:
    """How a package directory is named in version references: root-relative when inside."""
    resolved = out.resolve()
    try:
        ref = resolved.relative_to(project.root).as_posix()
    except ValueError:
        ref = str(resolved)
    if len(ref) > 255:
        ref = "sha256:" + hashlib.sha256(ref.encode()).hexdigest()
    return ref


def _pin_extraction(project: Project, version_id: int, ref: str) -> None:
    """Make the package at ``ref`` reference only version ``version_id``."""
    from sqlalchemy import delete

    from nbtools.versioning import pin
    from nbtools.versioning.tables import version_refs

    pin(project, version_id, EXTRACTION, ref)
    with project.store.session(write=True) as session:
        session.execute(
            delete(version_refs).where(
                version_refs.c.kind == EXTRACTION,
                version_refs.c.ref == ref,
                version_refs.c.version_id != version_id,
            )
        )


def release_extraction(project: Project, out: Path) -> None:
    """Make the package at ``out`` reference no version (it was written from none we know)."""
    from sqlalchemy import delete

    from nbtools.versioning.tables import version_refs

    ref = output_ref(project, out)
    with project.store.session(write=True) as session:
        session.execute(
            delete(version_refs).where(version_refs.c.kind == EXTRACTION, version_refs.c.ref == ref)
        )


def commit_and_pin(
    project: Project,
    notebook: Path,
    nb: Notebook | Callable[[], Notebook],
    out: Path,
    *,
    actor: str | None = None,
    still_ours: Callable[[], AbstractContextManager[object]] = nullcontext,
) -> dict[str, Any]:
    """Commit ``nb`` (or what it returns) as a version of ``notebook`` by ``actor`` (who
    extracts) and pin it as the one the package at ``out`` came from; when no version can be
    recorded, the package's previous pin is released before the error goes on (the package
    no longer holds that version's code).

    The pin (or the release) is made inside ``still_ours()``: a caller not holding the
    output directory's lock (the background recording) takes it there and raises when a
    newer write took the directory, so that it never pins a package it no longer wrote."""
    from nbtools import versioning

    try:
        content = nb() if callable(nb) else nb
        version = versioning.commit(project, project.relative(notebook), content, user=actor)
    except Exception:
        with still_ours():
            release_extraction(project, out)
        raise
    with still_ours():
        _pin_extraction(project, version.id, output_ref(project, out))
    return {"id": version.id, "number": version.number, "path": version.path}


def _environment(project: Project, kernel: str) -> dict[str, Any]:
    from nbtools.envsnap import snapshot_kernel

    snapshot = snapshot_kernel(project, kernel)
    return {"id": snapshot.id, "kernel": kernel, "python_version": snapshot.python_version}


def record_parts(
    project: Project,
    kernel: str,
    version: Callable[[], dict[str, Any]],
    *,
    patience: float = 0.0,
) -> dict[str, Any]:
    """The lineage of a package: ``version()`` (commits and pins the notebook) and a snapshot
    of ``kernel``'s environment.

    A part that cannot be recorded is ``None``, with the reason in ``problems``: lineage never
    stops an extraction. A store that cannot be written (locked by another process, down) is
    tried again for up to ``patience`` seconds first.
    """
    lineage: dict[str, Any] = {}
    problems = []
    deadline = time.monotonic() + patience
    for key, record in (
        ("notebook_version", version),
        ("environment", lambda: _environment(project, kernel)),
    ):
        try:
            lineage[key] = _retried(record, deadline)
        except (NbtoolsError, OSError, SQLAlchemyError) as error:
            message = _problem(error)
            log.warning("nbtools: extraction lineage: %s", message)
            lineage[key] = None
            problems.append(message)
    if problems:
        lineage["problems"] = problems
    return lineage


def _retried(record: Callable[[], dict[str, Any]], deadline: float) -> dict[str, Any]:
    """``record()``, tried again while the store cannot be written, until ``deadline``."""
    delay = 0.5
    while True:
        try:
            return record()
        except SQLAlchemyError:
            if time.monotonic() + delay > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 10.0)


def _problem(error: BaseException) -> str:
    from nbtools.store.database import store_failure

    if isinstance(error, NbtoolsError):
        return error.message
    if isinstance(error, SQLAlchemyError):
        return f"the store could not be written ({store_failure(error)}): extract again"
    return str(error)


def record_lineage(
    project: Project, notebook: Path, nb: Notebook, out: Path, *, actor: str | None = None
) -> dict[str, Any]:
    """Commit (by ``actor``) and pin ``nb`` (the content being extracted from ``notebook``)
    and snapshot its kernel's environment, for the manifest of the package written to
    ``out``."""
    return record_parts(
        project, kernel_of(nb), lambda: commit_and_pin(project, notebook, nb, out, actor=actor)
    )


def kernel_of(nb: Notebook) -> str:
    """The kernel whose environment a package of ``nb`` records."""
    from nbtools.notebooks import kernel_name

    return kernel_name(nb) or DEFAULT_KERNEL


def recorder(
    project: Project, notebook: Path, *, actor: str | None = None
) -> Callable[[Notebook, Path], dict[str, Any]] | None:
    """``record(nb, out)`` for :class:`nbtools.export.api.ExtractRequest`'s ``lineage``, the
    version it commits recorded by ``actor`` (who extracts; None: :func:`current_actor`'s);
    None when ``notebook`` is outside the project (no history there, and no store is made)."""
    if not project.contains(notebook):
        return None
    return lambda nb, out: record_lineage(project, notebook, nb, out, actor=actor)


def describe(lineage: dict[str, Any]) -> str:
    """One line: ``notebook version 3 (id 12), environment 1f2e3d4c5b6a`` (or what is missing)."""
    from nbtools.envsnap.model import SHORT_ID
    from nbtools.lineage.runs import summary

    version, environment = lineage.get("notebook_version"), lineage.get("environment")
    return summary(
        version and {**version, "stored": True},
        environment and {"short_id": environment["id"][:SHORT_ID]},
    )
