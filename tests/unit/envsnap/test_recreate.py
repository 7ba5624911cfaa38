"""Recreating a small real environment (two tiny pure-Python packages from PyPI)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from nbtools.envsnap import snapshot_kernel
from nbtools.envsnap.model import Distribution, Snapshot
from nbtools.envsnap.recreate import REQUIREMENTS_FILE, recreate
from nbtools.envsnap.snapshots import capture_interpreter
from nbtools.errors import InvalidInputError
from nbtools.project import Project
from tests.envsnap_support import EnvKernel, install_kernel, write_dist

PINS = {"six": "1.16.0", "iniconfig": "2.0.0"}


def make_source_venv(path: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    python = path / "bin" / "python"
    pins = [f"{name}=={version}" for name, version in PINS.items()]
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", *pins],
        check=True,
    )
    return python


@pytest.mark.slow
def test_recreate_installs_the_pinned_set_and_reports_what_it_cannot(
    project: Project, env_kernel: EnvKernel, tmp_path: Path
) -> None:
    python = make_source_venv(tmp_path / "source")
    site = next((tmp_path / "source" / "lib").glob("python3.*/site-packages"))
    write_dist(
        site,
        "gone-project",
        "0.1",
        direct_url={"url": "file:///no/such/checkout", "dir_info": {"editable": True}},
    )
    install_kernel(env_kernel.kernels, tmp_path / "empty-site", name="source", python=str(python))
    snapshot = snapshot_kernel(project, "source")
    assert {d.key: d.version for d in snapshot.distributions} == {**PINS, "gone-project": "0.1"}

    report = recreate(snapshot, tmp_path / "copy")

    assert report.python == str(python)
    assert report.warnings == []
    assert report.installed == 2
    assert report.skipped == [
        {
            "name": "gone-project",
            "version": "0.1",
            "reason": "editable install from /no/such/checkout, which no longer exists",
        }
    ]
    assert report.mismatches == []
    copied = capture_interpreter([str(tmp_path / "copy" / "bin" / "python")])
    versions = {d["name"]: d["version"] for d in copied["distributions"]}
    assert {name: versions[name] for name in PINS} == PINS
    assert "six==1.16.0" in (tmp_path / "copy" / REQUIREMENTS_FILE).read_text()


def test_recreate_never_installs_over_existing_files(project: Project, tmp_path: Path) -> None:
    target = tmp_path / "busy"
    target.mkdir()
    (target / "keep.txt").write_text("precious")
    snapshot = Snapshot("requirements", "r.txt", (Distribution("six", "1.16.0"),))
    with pytest.raises(InvalidInputError, match="exists and is not an empty directory"):
        recreate(snapshot, target)
    assert (target / "keep.txt").read_text() == "precious"
    with pytest.raises(InvalidInputError, match="not a Python interpreter"):
        recreate(snapshot, tmp_path / "new", python=str(tmp_path / "busy" / "keep.txt"))
