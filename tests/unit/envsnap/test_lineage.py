from __future__ import annotations

from nbtools.envsnap import get_snapshot
from nbtools.jobs.lineage import RunStart, lineage_for
from nbtools.project import Project
from tests.envsnap_support import EnvKernel


def start(project: Project, kernel: str) -> RunStart:
    path = project.root / "nb.ipynb"
    return RunStart(project, 3, "nb.ipynb", path, b"{}", kernel)


def test_a_run_records_its_kernels_environment(project: Project, env_kernel: EnvKernel) -> None:
    lineage = lineage_for(start(project, env_kernel.name))
    snapshot = get_snapshot(project, lineage["env_snapshot_id"])
    assert snapshot.id == lineage["env_snapshot_id"]
    assert snapshot.source == "kernel"
    assert snapshot.kernel is not None
    assert snapshot.kernel["name"] == env_kernel.name


def test_an_unknown_kernel_leaves_the_run_without_a_snapshot(project: Project) -> None:
    assert "env_snapshot_id" not in lineage_for(start(project, "no-such-kernel"))
