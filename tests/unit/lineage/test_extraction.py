"""Extracted packages record the notebook version and environment they were written from."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from nbtools import versioning
from nbtools.cli.app import cli
from nbtools.export.model import MANIFEST
from nbtools.project import Project
from tests.conftest import make_notebook
from tests.envsnap_support import EnvKernel, write_dist

CELLS = [
    ("code", "n = 2", ["parameters"]),
    ("code", "def double(x):\n    return 2 * x", ["export"]),
    ("code", "print(double(n))", ["main"]),
]


def extract(root: Path, *args: str, lineage: str = "wait") -> Result:
    """``nbtools --root ROOT extract ROOT/calc.ipynb -o ROOT/pkg --lineage LINEAGE ARGS``."""
    command = ["--root", str(root), "extract", str(root / "calc.ipynb"), "-o", str(root / "pkg")]
    return CliRunner().invoke(cli, [*command, "--lineage", lineage, *args])


def write_notebook(root: Path, outputs: list[Any] | None = None) -> None:
    nb = make_notebook(CELLS, "envtest")
    nb["cells"][2]["outputs"] = outputs or []
    (root / "calc.ipynb").write_text(json.dumps(nb, indent=1))


def package(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}


def test_the_manifest_records_version_and_environment_and_check_ignores_them(
    tmp_path: Path, env_kernel: EnvKernel
) -> None:
    write_dist(env_kernel.site, "widget", "1.0")
    write_notebook(tmp_path)
    written = extract(tmp_path)
    assert written.exit_code == 0, written.output
    manifest = json.loads((tmp_path / "pkg" / MANIFEST).read_text())
    lineage = manifest["lineage"]
    version = lineage["notebook_version"]
    assert (version["number"], version["path"]) == (1, "calc.ipynb")
    assert lineage["environment"]["kernel"] == "envtest"
    assert f"lineage: notebook version 1 (id {version['id']}), environment" in written.stdout
    project = Project(tmp_path)
    try:
        assert versioning.references(project, version["id"]) == [
            {"kind": "extraction", "ref": "pkg"}
        ]
    finally:
        project.close()
    pyproject = (tmp_path / "pkg" / "pyproject.toml").read_text()
    assert "[tool.nbtools]\n# What this package was written from (notebook content" in pyproject
    assert manifest["notebook_sha256"] not in pyproject  # in the manifest only
    assert lineage["environment"]["id"] not in pyproject

    before = package(tmp_path / "pkg")
    assert extract(tmp_path).exit_code == 0
    assert package(tmp_path / "pkg") == before  # same notebook, same environment: same bytes

    write_dist(env_kernel.site, "unrelated", "3.0")  # installed since: the package is current
    check = extract(tmp_path, "--check")
    assert check.exit_code == 0, check.output
    assert "up to date" in check.stdout
    assert extract(tmp_path).exit_code == 0
    after = package(tmp_path / "pkg")
    assert {path for path in after if after[path] != before[path]} == {MANIFEST}
    updated = json.loads(after[MANIFEST])["lineage"]
    assert updated["notebook_version"] == version
    assert updated["environment"]["id"] != lineage["environment"]["id"]


def test_the_version_is_recorded_by_who_extracts(tmp_path: Path, env_kernel: EnvKernel) -> None:
    """``--actor`` (else ``$NBTOOLS_ACTOR``, ...), as every version the CLI records."""
    write_notebook(tmp_path)
    notebook, out = str(tmp_path / "calc.ipynb"), str(tmp_path / "pkg")
    command = ["--root", str(tmp_path), "--actor", "carol", "extract", notebook, "-o", out]
    written = CliRunner().invoke(cli, [*command, "--lineage", "wait"])
    assert written.exit_code == 0, written.output
    version = json.loads((tmp_path / "pkg" / MANIFEST).read_text())["lineage"]["notebook_version"]
    project = Project(tmp_path)
    try:
        assert versioning.get(project, version["id"]).user == "carol"
    finally:
        project.close()


def test_a_new_version_moves_the_packages_pin(tmp_path: Path, env_kernel: EnvKernel) -> None:
    write_notebook(tmp_path)
    assert extract(tmp_path).exit_code == 0
    first = json.loads((tmp_path / "pkg" / MANIFEST).read_text())["lineage"]["notebook_version"]
    write_notebook(tmp_path, outputs=[{"output_type": "stream", "name": "stdout", "text": "4\n"}])
    assert extract(tmp_path, "--check").exit_code == 0  # outputs are not code
    assert extract(tmp_path).exit_code == 0
    second = json.loads((tmp_path / "pkg" / MANIFEST).read_text())["lineage"]["notebook_version"]
    assert second["number"] == 2
    project = Project(tmp_path)
    try:
        assert versioning.references(project, first["id"]) == []
        assert versioning.references(project, second["id"]) == [
            {"kind": "extraction", "ref": "pkg"}
        ]
    finally:
        project.close()


def test_no_lineage_and_notebooks_outside_the_root(tmp_path: Path, env_kernel: EnvKernel) -> None:
    write_notebook(tmp_path)
    assert extract(tmp_path, lineage="off").exit_code == 0
    assert "lineage" not in json.loads((tmp_path / "pkg" / MANIFEST).read_text())

    root = tmp_path / "elsewhere"
    root.mkdir()
    outside = CliRunner().invoke(
        cli, ["--root", str(root), "extract", str(tmp_path / "calc.ipynb"), "-o", str(root / "p")]
    )  # by default, in the background
    assert outside.exit_code == 0, outside.output
    assert "Lineage not recorded" in outside.stderr
    assert "outside the project root" in outside.stderr
    assert "lineage" not in json.loads((root / "p" / MANIFEST).read_text())
    assert not (root / ".nbtools").exists()
    # with --json too, on stderr: its "lineage": null was all a script got, as for --lineage off
    command = ["--root", str(root), "extract", str(tmp_path / "calc.ipynb"), "-o", str(root / "p")]
    as_json = CliRunner().invoke(cli, [*command, "--json"])
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.stdout)["lineage"] is None
    assert "Lineage not recorded" in as_json.stderr


def test_an_unknown_kernel_leaves_the_environment_out(tmp_path: Path) -> None:
    nb = make_notebook(CELLS, "no-such-kernel")
    (tmp_path / "calc.ipynb").write_text(json.dumps(nb))
    result = extract(tmp_path, "--json")
    assert result.exit_code == 0, result.output
    lineage = json.loads(result.stdout)["lineage"]
    assert lineage["notebook_version"]["number"] == 1
    assert lineage["environment"] is None
    assert "No kernel named 'no-such-kernel'" in lineage["problems"][0]
