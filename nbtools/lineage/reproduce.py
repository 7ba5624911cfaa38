"""Reproducing a run: the same parameters and the exact notebook version, run again.

:func:`plan_reproduction` reads what run N executed and compares the environment it ran in
(its snapshot) with the environment of the same kernel now; :func:`queue_reproduction` stores
the new run, pinned to the same version and marked ``reproduce_of`` N. A changed environment
does not stop a reproduction: the differences are reported first, so that a different result
can be traced to them (``nbtools env recreate`` rebuilds the original environment).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nbtools.errors import ConflictError, NbtoolsError, NotFoundError
from nbtools.jsonvalues import WireModel

if TYPE_CHECKING:
    from nbtools.envsnap import SnapshotDiff
    from nbtools.jobs import RunSummary
    from nbtools.jobs.tables import Run
    from nbtools.project import Project
    from nbtools.versioning import Version


@dataclass(frozen=True)
class Reproduction:
    """What reproducing run ``run_id`` executes, and how the environment changed since."""

    run_id: int
    version: Version
    parameters: dict[str, Any]
    kernel_name: str
    original: dict[str, Any]
    baseline_id: str | None
    current_id: str | None
    drift: SnapshotDiff | None
    note: str | None

    @property
    def drifted(self) -> bool:
        return self.drift is not None and not self.drift.empty

    def environment(self) -> dict[str, Any]:
        """The environment comparison: ids, kernel, the diff (None when unknown), a note."""
        return {
            "kernel": self.kernel_name,
            "baseline": self.baseline_id,
            "current": self.current_id,
            "diff": self.drift.to_dict() if self.drift is not None else None,
            "note": self.note,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "reproduces": self.run_id,
            "notebook_version": {
                "id": self.version.id,
                "number": self.version.number,
                "path": self.version.path,
            },
            "parameters": self.parameters,
            "environment": self.environment(),
        }


@dataclass(frozen=True)
class ReproducedRun(WireModel):
    """The queued run that reproduces another: the run's model with ``reproduction``."""

    run: RunSummary
    reproduction: Reproduction

    def to_wire(self) -> dict[str, Any]:
        return {**self.run.to_wire(), "reproduction": self.reproduction.to_dict()}


def _not_ended(run: Run) -> ConflictError | None:
    """Why run ``run``, queued or running, cannot be reproduced yet, and what to do."""
    from nbtools.jobs.tables import QUEUED, RUNNING

    if run.status == QUEUED:
        why, unwanted = "it has not run yet, so there is no notebook version to reproduce", "run"
    elif run.status == RUNNING:
        why, unwanted = "its notebook version is recorded when it ends", "go on"
    else:
        return None
    return ConflictError(
        f"Run {run.id} is still {run.status}: {why}. Wait until it has ended (`nbtools runs "
        f"show {run.id}` says how far it is) and reproduce it then, or cancel it (`nbtools "
        f"runs cancel {run.id}`) if it should not {unwanted}.",
        run=run.id,
        status=run.status,
    )


def _version_of(project: Project, run: Run) -> Version:
    from nbtools import versioning

    if run.notebook_version_id is None and (not_ended := _not_ended(run)) is not None:
        raise not_ended
    if run.notebook_version_id is None:
        raise ConflictError(
            f"Run {run.id} has no recorded notebook version (it never started, ran before "
            "lineage was recorded, or versioning failed), so it cannot be reproduced exactly. "
            f"`nbtools runs rerun {run.id}` runs the notebook as it is now with the same "
            "parameters.",
            run=run.id,
        )
    try:
        return versioning.get(project, run.notebook_version_id)
    except NotFoundError:
        raise ConflictError(
            f"The notebook version run {run.id} executed (id {run.notebook_version_id}) is no "
            f"longer stored, so the run cannot be reproduced exactly. `nbtools runs rerun "
            f"{run.id}` runs the notebook as it is now.",
            run=run.id,
        ) from None


def _drift(
    project: Project, run: Run, kernel: str
) -> tuple[str | None, SnapshotDiff | None, str | None]:
    """(current snapshot id, diff from the run's snapshot, note when the diff is unknown)."""
    from nbtools.envsnap import diff, get_snapshot, snapshot_kernel

    if run.env_snapshot_id is None:
        return None, None, f"Run {run.id} recorded no environment snapshot: no comparison."
    try:
        baseline = get_snapshot(project, run.env_snapshot_id)
    except NbtoolsError:
        return None, None, f"The environment snapshot of run {run.id} is no longer stored."
    try:
        current = snapshot_kernel(project, kernel)
    except NbtoolsError as error:
        return None, None, f"Cannot snapshot kernel {kernel} now: {error.message}"
    return current.id, diff(baseline, current), None


def plan_reproduction(project: Project, run_id: int) -> Reproduction:
    """Find what run ``run_id`` executed and how the environment changed since; stores nothing
    but the current environment's snapshot."""
    from nbtools import versioning
    from nbtools.jobs.runs import get_run
    from nbtools.kernels import DEFAULT_KERNEL
    from nbtools.notebooks import kernel_name

    with project.store.session() as session:
        run = get_run(session, run_id)
    version = _version_of(project, run)
    notebook = versioning.version_notebook(project, version, images=False)
    kernel = run.kernel_name or kernel_name(notebook) or DEFAULT_KERNEL
    current_id, drift, note = _drift(project, run, kernel)
    return Reproduction(
        run_id=run.id,
        version=version,
        parameters=dict(run.parameters),
        kernel_name=kernel,
        original={
            "kernel_name": run.kernel_name,
            "timeout_seconds": run.timeout_seconds,
            "cell_timeout_seconds": run.cell_timeout_seconds,
            "output_html": run.output_html,
            "purpose": run.purpose,
        },
        baseline_id=run.env_snapshot_id,
        current_id=current_id,
        drift=drift,
        note=note,
    )


def queue_reproduction(
    project: Project,
    reproduction: Reproduction,
    claim: str | None = None,
    actor: str | None = None,
) -> Run:
    """Queue the run that reproduces ``reproduction.run_id`` (pinned to its version); with
    ``claim``, under that claim token (see :func:`nbtools.jobs.submit.queue_run`)."""
    from nbtools.jobs.submit import queue_run

    return queue_run(
        project,
        reproduction.version.path,
        reproduction.parameters,
        trigger="reproduce",
        pinned_version_id=reproduction.version.id,
        reproduce_of=reproduction.run_id,
        claim=claim,
        actor=actor,
        **reproduction.original,
    )


def reproduce_run(project: Project, run_id: int, *, actor: str | None = None) -> ReproducedRun:
    """Plan and queue the reproduction of run ``run_id`` (whatever the environment's drift)."""
    from nbtools.jobs import summarize_runs

    reproduction = plan_reproduction(project, run_id)
    run = queue_reproduction(project, reproduction, actor=actor)
    [summary] = summarize_runs(project, [run])
    return ReproducedRun(summary, reproduction)
