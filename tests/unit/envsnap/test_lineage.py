from __future__ import annotations

from nbtools.envsnap import get_snapshot
from nbtools.jobs.events import RunStarted, run_started
from nbtools.project import Project
from tests.envsnap_support import EnvKernel


def start(project: Project, kernel: str) -> RunStarted:
    path = project.root / "nb.ipynb"
    return RunStarted(project, 3, "nb.ipynb", path, b"{}", kernel)


def test_a_run_records_its_kernels_environment(project: Project, env_kernel: EnvKernel) -> None:
    lineage = run_started(start(project, env_kernel.name))
    snapshot = get_snapshot(project, lineage["env_snapshot_id"])
    assert snapshot.id == lineage["env_snapshot_id"]
    assert snapshot.source == "kernel"
    assert snapshot.kernel is not None
    assert snapshot.kernel["name"] == env_kernel.name


def test_an_unknown_kernel_leaves_the_run_without_a_snapshot(project: Project) -> None:
    assert "env_snapshot_id" not in run_started(start(project, "no-such-kernel"))
