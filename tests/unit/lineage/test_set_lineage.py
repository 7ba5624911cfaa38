"""The lineage of a package made of several notebooks: each notebook's version is recorded in
the manifest (``notebook_versions``) and pinned to the package, by ``--lineage wait`` and by
the background recording, under the same lock and token rule as one notebook's."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from types import ModuleType
from typing import Any

from click.testing import CliRunner, Result

from nbtools import versioning
from nbtools.cli.app import cli
from nbtools.export.api import ExtractRequest, run_extract
from nbtools.lineage import background
from nbtools.lineage.background import SPEC_VARIABLE, BackgroundRecorder
from nbtools.processes import own_module_command
from nbtools.project import Project
from nbtools.serve.info import service_info
from tests import held
from tests.conftest import NotebookFactory, opened_for_writing
from tests.envsnap_support import EnvKernel
from tests.unit.lineage.test_background import PATIENCE, manifest, recorded_lineage
from tests.unit.test_export_notebook_set import CORE, B

PACKAGE = [{"kind": "extraction", "ref": "pk"}]


def extract(root: Path, *notebooks: str) -> Result:
    """``nbtools extract NOTEBOOKS --lineage wait`` into ``pk``."""
    command = ["--root", str(root), "extract", *(str(root / n) for n in notebooks)]
    options = ["--name", "mylib", "-o", str(root / "pk"), "--lineage", "wait"]
    result = CliRunner().invoke(cli, [*command, *options])
    assert result.exit_code == 0, result.output
    return result


def references(root: Path, versions: list[dict[str, Any]]) -> list[list[dict[str, str]]]:
    project = Project(root)
    try:
        return [versioning.references(project, version["id"]) for version in versions]
    finally:
        project.close()


def served(root: Path) -> dict[str, Any]:
    """``/info`` of the package in ``pk`` served from its directory."""
    package = ModuleType("mylib")
    package.__file__ = str(root / "pk/src/mylib/__init__.py")
    return service_info(package, [])


def edit(path: Path, source: str) -> None:
    nb = json.loads(path.read_text())
    nb["cells"][-1]["source"] = source
    path.write_text(json.dumps(nb))


def test_a_set_records_and_pins_the_version_of_each_notebook(
    tmp_path: Path, notebook_factory: NotebookFactory, env_kernel: EnvKernel
) -> None:
    """A set written over a.ipynb's package: the manifest lists a's and b's versions, both
    pinned, the line says so, /info lists them; b changed moves b's pin only, and gc keeps
    every pinned version. The set recorded none (as --lineage off, saying so), released a's
    version 1, and gc removed it."""
    notebook_factory("a.ipynb", CORE, kernel="envtest")
    notebook_factory("b.ipynb", B, kernel="envtest")
    extract(tmp_path, "a.ipynb")
    assert "notebook_versions" not in served(tmp_path)  # one notebook's /info keeps its shape

    result = extract(tmp_path, "a.ipynb", "b.ipynb")
    assert "Lineage not recorded" not in result.stderr
    lineage = manifest(tmp_path / "pk")["lineage"]
    a1, b1 = lineage["notebook_versions"]
    assert [(v["path"], v["number"]) for v in (a1, b1)] == [("a.ipynb", 1), ("b.ipynb", 1)]
    assert lineage["environment"]["kernel"] == "envtest"
    assert "notebook_version" not in lineage
    assert "problems" not in lineage
    line = f"  lineage: notebook versions 1 (id {a1['id']}), 1 (id {b1['id']}), environment "
    assert line in result.stdout
    assert references(tmp_path, [a1, b1]) == [PACKAGE, PACKAGE]
    info = served(tmp_path)
    assert info["notebook_versions"] == [a1, b1]
    assert (info["lineage_pending"], info["environment"]["kernel"]) == (False, "envtest")

    edit(tmp_path / "b.ipynb", "assert twice(3) == 6")
    extract(tmp_path, "a.ipynb", "b.ipynb")
    a, b2 = manifest(tmp_path / "pk")["lineage"]["notebook_versions"]
    assert (a, b2["number"]) == (a1, 2)
    assert references(tmp_path, [a1, b1, b2]) == [PACKAGE, [], PACKAGE]

    edit(tmp_path / "a.ipynb", "assert add(2, 2) == 4")  # saved, not extracted: a's version 2
    saved = CliRunner().invoke(cli, ["--root", str(tmp_path), "version", "save", "a.ipynb"])
    assert saved.exit_code == 0, saved.output
    gc = CliRunner().invoke(cli, ["--root", str(tmp_path), "version", "gc", "--keep", "1"])
    assert gc.exit_code == 0, gc.output
    project = Project(tmp_path)
    try:
        kept = {
            p: [v.number for v in versioning.history(project, p)] for p in ("a.ipynb", "b.ipynb")
        }
    finally:
        project.close()
    assert kept == {"a.ipynb": [2, 1], "b.ipynb": [2]}


def test_the_background_recording_fills_in_each_notebook_s_version(
    tmp_path: Path, notebook_factory: NotebookFactory, env_kernel: EnvKernel
) -> None:
    """``nbtools extract nbs/`` (background): the pending entry lists the notebooks, and the
    process commits and pins each one's version, recorded by the command's actor."""
    notebook_factory("nbs/00_core.ipynb", CORE, kernel="envtest")
    notebook_factory("nbs/01_b.ipynb", B, kernel="envtest")
    command = ["--root", str(tmp_path), "--actor", "carol", "extract", str(tmp_path / "nbs")]
    result = CliRunner().invoke(cli, [*command, "--name", "mylib", "-o", str(tmp_path / "pk")])
    assert result.exit_code == 0, result.output
    assert "lineage: being recorded in the background" in result.stdout
    assert "Lineage not recorded" not in result.stderr
    pending = manifest(tmp_path / "pk")["lineage"]
    assert pending["notebooks"] == ["nbs/00_core.ipynb", "nbs/01_b.ipynb"]
    lineage = recorded_lineage(tmp_path / "pk")
    assert "problems" not in lineage, lineage
    versions = lineage["notebook_versions"]
    assert [v["path"] for v in versions] == ["nbs/00_core.ipynb", "nbs/01_b.ipynb"]
    assert references(tmp_path, versions) == [PACKAGE, PACKAGE]
    project = Project(tmp_path)
    try:
        assert {versioning.get(project, v["id"]).user for v in versions} == {"carol"}
    finally:
        project.close()


def test_a_set_s_notebook_changed_meanwhile_records_no_versions_and_says_which(
    tmp_path: Path, notebook_factory: NotebookFactory, env_kernel: EnvKernel
) -> None:
    """b.ipynb saved again before the recording read it: no version is named (the package
    did not come from b's new content), and the one the package named before is released."""
    notebook_factory("a.ipynb", CORE, kernel="envtest")
    notebook_factory("b.ipynb", B, kernel="envtest")
    extract(tmp_path, "a.ipynb", "b.ipynb")
    before = manifest(tmp_path / "pk")["lineage"]["notebook_versions"]
    project = Project(tmp_path)
    try:
        recording = BackgroundRecorder(project, tmp_path / "a.ipynb", others=[tmp_path / "b.ipynb"])
        request = ExtractRequest(
            tmp_path / "a.ipynb",
            tmp_path / "pk",
            mode="write",
            lineage=recording,
            others=(tmp_path / "b.ipynb",),
        )
        run_extract(request)
        edit(tmp_path / "b.ipynb", "assert twice(3) == 6")
        assert recording.spec is not None
        assert background.record_pending(project, recording.spec) is True
    finally:
        project.close()
    lineage = manifest(tmp_path / "pk")["lineage"]
    assert lineage["notebook_versions"] is None
    assert "b.ipynb changed before its version was recorded" in lineage["problems"][0]
    assert references(tmp_path, before) == [[], []]


def test_lineage_off_while_a_set_s_recording_is_under_way_leaves_no_pin(
    tmp_path: Path, notebook_factory: NotebookFactory, env_kernel: EnvKernel
) -> None:
    """The set's recording, held as it reads b.ipynb (after a.ipynb's version, before the
    pins); meanwhile ``--lineage off`` rewrites the package. The recording then commits the
    versions but pins none, since the manifest no longer holds its token."""
    a = notebook_factory("a.ipynb", CORE, kernel="envtest")
    b = notebook_factory("b.ipynb", B, kernel="envtest")
    out = tmp_path / "pk"
    project = Project(tmp_path)
    writer = None
    try:
        earlier = BackgroundRecorder(project, a, others=[b])
        run_extract(ExtractRequest(a, out, mode="write", lineage=earlier, others=(b,)))
        pipe = held.fifo(tmp_path / "hold")
        stop = held.Stop("open", "b.ipynb", fifo=pipe)
        spec = {SPEC_VARIABLE: json.dumps(earlier.spec)}
        recording = held.start_module(tmp_path, "nbtools.lineage.background", spec, stop)
        writer = opened_for_writing(pipe, recording)

        off = BackgroundRecorder(project, a, release=True, others=[b])
        run_extract(ExtractRequest(a, out, mode="write", lineage=off, others=(b,)))
        assert manifest(out).get("lineage") is None
        release = {**os.environ, SPEC_VARIABLE: json.dumps(off.spec)}
        subprocess.run(own_module_command(background.__name__), env=release, check=True)

        os.close(writer)
        writer = None
        assert recording.wait(timeout=PATIENCE) == 0, recording.communicate()
        versions = [versioning.latest(project, name) for name in ("a.ipynb", "b.ipynb")]
        assert all(v is not None for v in versions)  # committed, pinned by nothing
        assert [versioning.references(project, v.id) for v in versions if v] == [[], []]
    finally:
        if writer is not None:
            os.close(writer)
        project.close()
    assert manifest(out).get("lineage") is None


def test_a_set_of_many_notebooks_is_named_on_short_lines(
    tmp_path: Path, notebook_factory: NotebookFactory, env_kernel: EnvKernel
) -> None:
    """``nbtools extract nbs/`` of seven notebooks: the first line and the lineage line name
    the first five, then how many more (they listed all, thousands of characters for a
    folder of 200 notebooks); --json lists each."""
    for n in range(7):
        cells = [("code", f"#| default_exp m{n}", []), ("code", f"#| export\nx{n} = {n}", [])]
        notebook_factory(f"nbs/{n:02d}_m{n}.ipynb", cells, kernel="envtest")
    result = extract(tmp_path, "nbs")
    first = ", ".join(f"nbs/{n:02d}_m{n}.ipynb" for n in range(5))
    assert result.stdout.startswith(f"{first} and 2 more: package 'mylib' written to "), (
        result.stdout
    )
    versions = manifest(tmp_path / "pk")["lineage"]["notebook_versions"]
    assert len(versions) == 7
    listed = ", ".join(f"1 (id {v['id']})" for v in versions[:5])
    assert f"  lineage: notebook versions {listed} and 2 more, environment " in result.stdout
