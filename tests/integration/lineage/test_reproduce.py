"""``nbtools run --reproduce``: the exact notebook version, on real kernels with papermill."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.envsnap_support import EnvKernel, write_dist
from tests.integration.lineage.conftest import Cli, as_json, printed, write_notebook

pytestmark = pytest.mark.slow


def test_reproduce_runs_the_old_version_after_reporting_the_environment_changes(
    nbtools: Cli, kernel: EnvKernel, tmp_path: Path
) -> None:
    write_dist(kernel.site, "stable", "1.0")
    write_dist(kernel.site, "bumped", "1.0")
    write_notebook(tmp_path, "print('old', n * 10)")
    first = as_json(nbtools("run", "nb.ipynb", "-p", "n=4", "--cell-timeout", "60", "--json"))
    assert printed(first) == "old 40\n"
    version = first["lineage"]["notebook_version"]
    assert (version["number"], version["pinned"]) == (1, False)

    write_notebook(tmp_path, "print('new', n)")  # the file changes after the run
    shutil.rmtree(kernel.site / "bumped-1.0.dist-info")
    write_dist(kernel.site, "bumped", "2.0")
    write_dist(kernel.site, "newcomer", "0.1")

    shown = nbtools("run", "--reproduce", str(first["id"]))
    assert shown.exit_code == 0, shown.output
    assert f"Reproducing run 1: nb.ipynb version 1 (id {version['id']})" in shown.stdout
    assert "changed since run 1" in shown.stdout
    assert "+ newcomer 0.1" in shown.stdout
    assert "~ bumped 1.0 -> 2.0 (upgraded)" in shown.stdout

    again = as_json(nbtools("run", "--reproduce", "1", "--json"))
    assert printed(again) == "old 40\n"
    assert again["parameters"] == {"n": 4}
    assert again["cell_timeout_seconds"] == 60  # the original's limits come along
    assert (again["trigger"], again["reproduce_of"]) == ("reproduce", 1)
    assert again["pinned_version_id"] == version["id"]
    assert again["lineage"]["notebook_version"]["id"] == version["id"]
    assert again["lineage"]["notebook_version"]["pinned"] is True
    assert again["lineage"]["environment"]["id"] != first["lineage"]["environment"]["id"]
    drift = again["reproduction"]["environment"]["diff"]
    assert drift["summary"] == "1 added, 1 upgraded"
    assert again["reproduction"]["environment"]["baseline"] == first["env_snapshot_id"]

    fresh = as_json(nbtools("run", "nb.ipynb", "--json"))  # the file itself is a new version
    assert printed(fresh) == "new 2\n"
    assert fresh["lineage"]["notebook_version"]["number"] == 2


def test_same_env_refuses_to_run_in_a_changed_environment(
    nbtools: Cli, kernel: EnvKernel, tmp_path: Path
) -> None:
    write_notebook(tmp_path, "print(n)")
    as_json(nbtools("run", "nb.ipynb", "--json"))
    unchanged = nbtools("run", "--reproduce", "1", "--same-env")
    assert unchanged.exit_code == 0, unchanged.output
    assert "Environment: kernel envtest is unchanged since run 1" in unchanged.stdout

    write_dist(kernel.site, "newcomer", "0.1")
    refused = nbtools("run", "--reproduce", "1", "--same-env")
    assert refused.exit_code == 1
    assert "+ newcomer 0.1" in refused.stdout
    assert "nothing was run" in refused.stderr
    runs = as_json(nbtools("runs", "list", "--json"))
    assert [run["id"] for run in runs] == [2, 1]


def test_reproduce_runs_in_the_project_root_when_the_notebook_folder_is_gone(
    nbtools: Cli, kernel: EnvKernel, tmp_path: Path
) -> None:
    """It failed: FileNotFoundError on the deleted folder, the kernel's working directory."""
    (tmp_path / "sub").mkdir()
    write_notebook(tmp_path / "sub", "import os\nprint(n, os.getcwd())", name="x.ipynb")
    first = as_json(nbtools("run", "sub/x.ipynb", "-p", "n=3", "--json"))
    assert printed(first) == f"3 {tmp_path / 'sub'}\n"
    shutil.rmtree(tmp_path / "sub")

    again = as_json(nbtools("run", "--reproduce", str(first["id"]), "--json"))
    assert again["status"] == "succeeded"
    assert printed(again) == f"3 {tmp_path}\n"
