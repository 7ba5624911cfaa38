"""``nbtools extract`` records a package's lineage in a background process by default."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from nbtools import versioning
from nbtools.cli.app import cli
from nbtools.export.api import ExtractRequest, run_extract
from nbtools.export.model import MANIFEST
from nbtools.lineage.background import LOG, record_pending
from nbtools.project import Project
from tests.conftest import plant
from tests.envsnap_support import EnvKernel
from tests.unit.lineage.test_extraction import write_notebook

PATIENCE = 120  # seconds a loaded machine may take to start Python and open the store


def manifest(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / MANIFEST).read_text())
    return data


def recorded_lineage(out: Path) -> dict[str, Any]:
    """The manifest's lineage once the background process has filled it in."""
    deadline = time.monotonic() + PATIENCE
    while "pending" in (lineage := manifest(out)["lineage"]):
        assert time.monotonic() < deadline, f"lineage still pending after {PATIENCE} s"
        time.sleep(0.05)
    return lineage


def test_the_background_process_imports_nothing_from_where_the_command_ran(
    tmp_path: Path, env_kernel: EnvKernel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Neither the process nor the capture it starts in the kernel's interpreter imports a
    module of the directory the command ran in (``python -m`` would put it first)."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    ran = plant(elsewhere)
    monkeypatch.chdir(elsewhere)
    write_notebook(tmp_path)
    command = ["--root", str(tmp_path), "extract", str(tmp_path / "calc.ipynb")]
    result = CliRunner().invoke(cli, [*command, "-o", str(tmp_path / "pkg")])
    assert result.exit_code == 0, result.output
    lineage = recorded_lineage(tmp_path / "pkg")
    assert "problems" not in lineage, lineage
    assert not ran.exists(), ran.read_text()


def write_pending(root: Path, token: str) -> Path:
    """A package written as the CLI writes it, with a pending lineage nobody is recording."""
    out = root / "pkg"
    run_extract(
        ExtractRequest(
            root / "calc.ipynb",
            out,
            mode="write",
            lineage=lambda nb, out: {"pending": token, "notebook": "calc.ipynb"},
        )
    )
    return out


def spec(project: Project, token: str) -> dict[str, Any]:
    return {
        "pending": token,
        "notebook": "calc.ipynb",
        "kernel": "envtest",
        "out": str(project.root / "pkg"),
    }


def test_the_background_process_fills_in_version_and_environment(
    tmp_path: Path, env_kernel: EnvKernel
) -> None:
    """... the version recorded by the command's actor (``--actor``), which the process does
    not find in its environment (it recorded the OS user)."""
    write_notebook(tmp_path)
    command = ["--root", str(tmp_path), "--actor", "carol", "extract", str(tmp_path / "calc.ipynb")]
    result = CliRunner().invoke(cli, [*command, "-o", str(tmp_path / "pkg")])
    assert result.exit_code == 0, result.output
    assert "lineage: being recorded in the background" in result.stdout
    assert manifest(tmp_path / "pkg")["lineage"]["notebook"] == "calc.ipynb"

    lineage = recorded_lineage(tmp_path / "pkg")
    assert "problems" not in lineage, lineage
    assert (lineage["notebook_version"]["number"], lineage["environment"]["kernel"]) == (
        1,
        "envtest",
    )
    project = Project(tmp_path)
    try:
        refs = versioning.references(project, lineage["notebook_version"]["id"])
        version = versioning.get(project, lineage["notebook_version"]["id"])
    finally:
        project.close()
    assert refs == [{"kind": "extraction", "ref": "pkg"}]
    assert version.user == "carol"
    assert not (tmp_path / ".nbtools" / LOG).read_text()  # nothing went wrong


def test_a_newer_extraction_is_never_overwritten(tmp_path: Path, env_kernel: EnvKernel) -> None:
    write_notebook(tmp_path)
    out = write_pending(tmp_path, "newer")
    before = (out / MANIFEST).read_bytes()
    project = Project(tmp_path)
    try:
        assert record_pending(project, spec(project, "older")) is False
        assert versioning.history(project, "calc.ipynb") == []  # nothing recorded either
    finally:
        project.close()
    assert (out / MANIFEST).read_bytes() == before


@pytest.mark.parametrize("replaced_by_a_file", [False, True])
def test_a_package_removed_meanwhile_is_not_made_again(
    tmp_path: Path, replaced_by_a_file: bool
) -> None:
    write_notebook(tmp_path)
    out = write_pending(tmp_path, "token")
    shutil.rmtree(out)  # the user deleted the package before its lineage was recorded
    if replaced_by_a_file:
        out.write_text("mine")
    project = Project(tmp_path)
    try:
        assert record_pending(project, spec(project, "token")) is False
        assert versioning.history(project, "calc.ipynb") == []
    finally:
        project.close()
    assert out.read_text() == "mine" if replaced_by_a_file else not out.exists()


def test_a_notebook_changed_meanwhile_records_no_version_and_says_why(
    tmp_path: Path, env_kernel: EnvKernel
) -> None:
    write_notebook(tmp_path)
    out = write_pending(tmp_path, "token")
    nb = json.loads((tmp_path / "calc.ipynb").read_text())
    nb["cells"][1]["source"] = "def double(x):\n    return x + x"  # saved after the extraction
    (tmp_path / "calc.ipynb").write_text(json.dumps(nb))
    project = Project(tmp_path)
    try:
        assert record_pending(project, spec(project, "token")) is True
    finally:
        project.close()
    lineage = manifest(out)["lineage"]
    assert lineage["notebook_version"] is None
    assert "calc.ipynb changed before its version was recorded" in lineage["problems"][0]
    assert lineage["environment"]["kernel"] == "envtest"


def test_a_recording_that_cannot_start_does_not_fail_the_extraction(tmp_path: Path) -> None:
    write_notebook(tmp_path)
    (tmp_path / ".nbtools").write_text("not a directory")  # no store can be made here
    command = ["--root", str(tmp_path), "extract", str(tmp_path / "calc.ipynb")]
    result = CliRunner().invoke(cli, [*command, "-o", str(tmp_path / "pkg")])
    assert result.exit_code == 0, result.output
    assert "lineage not recorded: cannot start its recording" in result.stderr
    assert (tmp_path / "pkg/src/calc/core.py").is_file()
