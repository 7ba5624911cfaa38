"""``GET /info``: what is being served and where it came from.

Read at start-up from the extraction manifest (``.nbtools-extract.json``): beside the
package when it was installed from a wheel (the generated ``pyproject.toml`` ships it), or in
the extraction directory when served from it (``src/<package>/`` two levels below); read
again while its lineage is pending, until the background recording has filled it in. The
artifacts the package loaded with ``nbtools.artifacts.load`` (at start-up or on first use) are
listed live, each with the run that kept it, that run's job, lineage and metrics.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from nbtools.export.model import MANIFEST
from nbtools.serve.uses import service_purpose

if TYPE_CHECKING:
    from nbtools.artifacts.stored import Artifact

log = logging.getLogger("nbtools.serve")


def find_manifest(module: ModuleType) -> dict[str, Any]:
    """The manifest of the package ``module`` (its ``__init__``), or ``{}`` if not found."""
    here = Path(module.__file__ or ".").resolve().parent
    for candidate in (here / MANIFEST, here.parent.parent / MANIFEST):
        if candidate.is_file():
            try:
                data = json.loads(candidate.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if isinstance(data, dict):
                return data
    return {}


def service_info(package: ModuleType, endpoints: list[str]) -> dict[str, Any]:
    """The facts ``/info`` shows: package, notebook (its file name, and its path in the
    project once the lineage names it), notebook version and environment, and
    whether those two are still being recorded (``lineage_pending``: ``nbtools extract``
    records them in the background, and fills them into the manifest in a moment) or why they
    could not be (``lineage_problems``: a recording that failed, or whose process died), and the
    purpose the service uses data for (:func:`~nbtools.serve.uses.service_purpose`). A
    package made of several notebooks names the version of each (``notebook_versions``, in
    the set's order; ``notebook_version`` and ``notebook_path`` are one notebook's)."""
    manifest = find_manifest(package)
    lineage = manifest.get("lineage") or {}
    problems = lineage.get("problems")
    pending = "pending" in lineage
    if pending:  # a recording whose process is gone never fills it in
        from nbtools.lineage.background import stopped

        reason = stopped(lineage)
        pending, problems = reason is None, None if reason is None else [reason]
    version = {} if pending else lineage.get("notebook_version") or {}
    environment = {} if pending else lineage.get("environment") or {}
    info: dict[str, Any] = {
        "package": package.__name__,
        "version": str(getattr(package, "__version__", "")),
        "notebook": manifest.get("notebook"),
        "notebook_path": version.get("path"),
        "notebook_sha256": manifest.get("notebook_sha256"),
        "notebook_version": version or None,
        "notebook_version_id": version.get("id"),
        "environment": environment or None,
        "environment_id": environment.get("id"),
        "lineage_pending": pending,
        "lineage_problems": problems or None,
        "endpoints": endpoints,
        "purpose": service_purpose(manifest, os.environ),
    }
    if "notebooks" in manifest:  # a set's package: the version of each of its notebooks
        info["notebook_versions"] = None if pending else lineage.get("notebook_versions")
    return info


def loaded_artifacts() -> list[dict[str, Any]]:
    """The artifacts ``nbtools.artifacts.load`` returned in this process, with their lineage."""
    if "nbtools.artifacts.loading" not in sys.modules:  # nothing was loaded: no store to open
        return []
    from nbtools.artifacts.loading import loaded

    found = []
    for artifact in loaded():
        try:
            found.append(_artifact_lineage(artifact))
        except Exception as error:  # the store is unreachable now: say so, keep answering
            log.warning("cannot read the lineage of artifact %s: %s", artifact.name, error)
            found.append({"name": artifact.name, "run_id": artifact.run_id, "error": str(error)})
    return found


@functools.cache
def _artifact_lineage(artifact: Artifact) -> dict[str, Any]:
    """An artifact with its run's job, metrics and lineage (the notebook version and the
    environment snapshot it ran in, each named as ``GET runs/{id}`` names them), read once
    from the project's store."""
    from nbtools.jobs.tables import Job, Run
    from nbtools.lineage.runs import runs_lineage
    from nbtools.metrics.run_values import run_metric_values
    from nbtools.project import project_from_environment

    found: dict[str, Any] = {
        "name": artifact.name,
        "sha256": artifact.sha256,
        "run_id": artifact.run_id,
        "job": None,
        "job_id": None,
    }
    with project_from_environment().store.session() as session:
        run = session.get(Run, artifact.run_id)
        job = session.get(Job, run.job_id) if run is not None and run.job_id else None
        if job is not None:
            found.update(job=job.name, job_id=job.id)
        if run is not None:
            found["finished_at"] = run.finished_at.isoformat() if run.finished_at else None
            found["notebook_version_id"] = run.notebook_version_id
            found["env_snapshot_id"] = run.env_snapshot_id
            lineage = runs_lineage(session.connection(), [run])[run.id]
            found.update(
                lineage=lineage["summary"],
                notebook_version=lineage["notebook_version"],
                environment=lineage["environment"],
            )
        found["metrics"] = run_metric_values(session.connection(), artifact.run_id)
    return found
