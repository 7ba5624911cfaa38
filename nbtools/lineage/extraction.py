"""Lineage of extracted packages: the notebook version and environment they came from.

When ``nbtools extract`` (or the Productionize panel) writes a package, the notebook being
extracted is committed as a version (no new one if unchanged) and pinned with the reference
``extraction:<output directory>`` (one version per output directory, one per notebook for a
set of notebooks, ``notebook_versions``: the previous ones are released), and the environment
of the (first) notebook's kernel is snapshotted. Both ids go into the manifest, ``.nbtools-extract.json``, which ``--check`` does not compare: the ids change with
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
from collections.abc import Callable, Sequence
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
#: The lineage's key for one notebook's version, and for those of a set's notebooks (a list).
VERSION, SET_VERSIONS = "notebook_version", "notebook_versions"
DEFAULT_KERNEL = "python3"


#: How a version reference names a package directory whose name (:func:`output_name`) is
#: longer than :data:`MAX_REF`: this prefix and the name's SHA-256, which cannot be turned back
#: into the directory (:func:`nbtools.lineage.follow_move` finds such packages by searching).
HASHED = "sha256:"
#: The longest reference a version's ``version_refs.ref`` holds.
MAX_REF = 255


def output_name(project: Project, out: Path) -> str:
    """A package directory's path from the project's root when inside it, else absolute."""
    resolved = out.resolve()
    try:
        return resolved.relative_to(project.root).as_posix()
    except ValueError:
        return str(resolved)


def output_ref(project: Project, out: Path) -> str:
    """How a package directory is named in version references: :func:`output_name`, or, when
    that is longer than :data:`MAX_REF`, :data:`HASHED` and its SHA-256."""
    name = output_name(project, out)
    if len(name) > MAX_REF:
        return HASHED + hashlib.sha256(name.encode()).hexdigest()
    return name


def _pin_extraction(project: Project, version_ids: Sequence[int], ref: str) -> None:
    """Make the package at ``ref`` reference versions ``version_ids`` only (one per notebook
    it comes from: several for a set of notebooks)."""
    from sqlalchemy import delete

    from nbtools.versioning import pin
    from nbtools.versioning.tables import version_refs

    for version_id in version_ids:
        pin(project, version_id, EXTRACTION, ref)
    with project.store.session(write=True) as session:
        session.execute(
            delete(version_refs).where(
                version_refs.c.kind == EXTRACTION,
                version_refs.c.ref == ref,
                version_refs.c.version_id.not_in(version_ids),
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
    notebooks: Sequence[tuple[Path, Notebook | Callable[[], Notebook]]],
    out: Path,
    *,
    actor: str | None = None,
    still_ours: Callable[[], AbstractContextManager[object]] = nullcontext,
) -> list[dict[str, Any]]:
    """Commit each notebook's content (``nb``, or what it returns) as a version of its path
    by ``actor`` (who extracts) and pin them all as the versions the package at ``out`` came
    from (one notebook, or each of a set's); when a version cannot be recorded, the package's
    previous pins are released before the error goes on (the package no longer holds those
    versions' code).

    The pins (or the release) are made inside ``still_ours()``: a caller not holding the
    output directory's lock (the background recording) takes it there and raises when a
    newer write took the directory, so that it never pins a package it no longer wrote."""
    from nbtools import versioning

    try:
        versions = [
            versioning.commit(
                project, project.relative(path), nb() if callable(nb) else nb, user=actor
            )
            for path, nb in notebooks
        ]
    except Exception:
        with still_ours():
            release_extraction(project, out)
        raise
    with still_ours():
        _pin_extraction(project, [v.id for v in versions], output_ref(project, out))
    return [{"id": v.id, "number": v.number, "path": v.path} for v in versions]


def versions_part(
    notebooks: Sequence[tuple[Path, object]], versions: Callable[[], list[dict[str, Any]]]
) -> tuple[str, Callable[[], Any]]:
    """The lineage's key for the notebook versions and how to record them: one notebook's
    ``notebook_version`` (an object), a set's ``notebook_versions`` (a list, in its order)."""
    if len(notebooks) == 1:
        return VERSION, lambda: versions()[0]
    return SET_VERSIONS, versions


def _environment(project: Project, kernel: str) -> dict[str, Any]:
    from nbtools.envsnap import snapshot_kernel

    snapshot = snapshot_kernel(project, kernel)
    return {"id": snapshot.id, "kernel": kernel, "python_version": snapshot.python_version}


def record_parts(
    project: Project,
    kernel: str,
    version: tuple[str, Callable[[], Any]],
    *,
    patience: float = 0.0,
) -> dict[str, Any]:
    """The lineage of a package: the notebook versions (``version``: the key and what commits
    and pins them, :func:`versions_part`) and a snapshot of ``kernel``'s environment.

    A part that cannot be recorded is ``None``, with the reason in ``problems``: lineage never
    stops an extraction. A store that cannot be written (locked by another process, down) is
    tried again for up to ``patience`` seconds first.
    """
    lineage: dict[str, Any] = {}
    problems = []
    deadline = time.monotonic() + patience
    for key, record in (version, ("environment", lambda: _environment(project, kernel))):
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


def _retried(record: Callable[[], Any], deadline: float) -> Any:
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
    project: Project,
    notebooks: Sequence[tuple[Path, Notebook]],
    out: Path,
    *,
    actor: str | None = None,
) -> dict[str, Any]:
    """Commit (by ``actor``) and pin the content being extracted from each notebook (one, or
    a set's) and snapshot the first one's kernel's environment, for the manifest of the
    package written to ``out``."""
    part = versions_part(notebooks, lambda: commit_and_pin(project, notebooks, out, actor=actor))
    return record_parts(project, kernel_of(notebooks[0][1]), part)


def kernel_of(nb: Notebook) -> str:
    """The kernel whose environment a package of ``nb`` records."""
    from nbtools.notebooks import kernel_name

    return kernel_name(nb) or DEFAULT_KERNEL


def recorder(
    project: Project,
    notebook: Path,
    *,
    actor: str | None = None,
    others: Sequence[tuple[Path, Notebook]] = (),
) -> Callable[[Notebook, Path], dict[str, Any]] | None:
    """``record(nb, out)`` for :class:`nbtools.export.api.ExtractRequest`'s ``lineage``, the
    version it commits recorded by ``actor`` (who extracts; None: :func:`current_actor`'s);
    ``others``: a set's other notebooks with the content extracted from them, each committed
    and pinned too. None when a notebook is outside the project (no history there, and no
    store is made)."""
    if not all(project.contains(path) for path in (notebook, *(path for path, _ in others))):
        return None
    return lambda nb, out: record_lineage(project, [(notebook, nb), *others], out, actor=actor)


def describe(lineage: dict[str, Any]) -> str:
    """One line: ``notebook version 3 (id 12), environment 1f2e3d4c5b6a`` (or what is
    missing); a set's ``notebook versions 3 (id 12), 1 (id 13), environment …`` (the first five, then how
    many more)."""
    from nbtools.envsnap.model import SHORT_ID
    from nbtools.lineage.runs import environment_summary, summary
    from nbtools.text import first_few

    environment = lineage.get("environment")
    shown = environment and {"short_id": environment["id"][:SHORT_ID]}
    if SET_VERSIONS in lineage:
        versions = lineage[SET_VERSIONS]
        listed = first_few([f"{v['number']} (id {v['id']})" for v in versions or []])
        text = f"notebook versions {listed}" if listed else "no notebook versions recorded"
        return f"{text}, {environment_summary(shown)}"
    version = lineage.get(VERSION)
    return summary(version and {**version, "stored": True}, shown)
