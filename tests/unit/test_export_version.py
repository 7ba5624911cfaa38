"""A package keeps its version: each extraction without a version (``--version``, the REST
``version``) writes and checks the package with the version it has."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import NotebookFactory
from tests.unit.test_cli import run_cli

CELLS = [
    ("code", "def double(x):\n    return 2 * x", ["export"]),
    ("code", "assert double(2) == 4", ["test"]),
]


def test_a_check_without_version_keeps_the_version_written(
    notebook_factory: NotebookFactory, tmp_path: Path
) -> None:
    """After a write with --version 1.2.0, each --check without it (init's CI workflow and
    pre-commit hook) found pyproject.toml and __init__.py stale, and the write it advised
    reset the version to 0.1.0."""
    nb = notebook_factory("calc.ipynb", CELLS)
    out = tmp_path / "out"
    written = run_cli("extract", str(nb), "-o", str(out), "--version", "1.2.0", "--lineage", "off")
    assert written.returncode == 0, written.stderr
    check = run_cli("extract", str(nb), "-o", str(out), "--check")
    assert check.returncode == 0, check.stdout + check.stderr
    assert "up to date" in check.stdout
    again = run_cli("extract", str(nb), "-o", str(out), "--lineage", "off", "--json")
    assert again.returncode == 0, again.stderr
    assert {f["status"] for f in json.loads(again.stdout)["files"]} == {"unchanged"}
    assert 'version = "1.2.0"' in (out / "pyproject.toml").read_text()
    assert '__version__ = "1.2.0"' in (out / "src/calc/__init__.py").read_text()
    # a version given replaces it; a new package starts at 0.1.0
    bumped = run_cli("extract", str(nb), "-o", str(out), "--version", "1.3.0", "--check")
    assert bumped.returncode == 1
    assert '-version = "1.2.0"\n+version = "1.3.0"' in bumped.stdout
    fresh = run_cli("extract", str(nb), "-o", str(tmp_path / "new"), "--lineage", "off")
    assert fresh.returncode == 0, fresh.stderr
    assert 'version = "0.1.0"' in (tmp_path / "new/pyproject.toml").read_text()


def test_a_version_that_cannot_be_kept_is_refused_naming_the_file(
    notebook_factory: NotebookFactory, tmp_path: Path
) -> None:
    nb = notebook_factory("calc.ipynb", CELLS)
    out = tmp_path / "out"
    assert run_cli("extract", str(nb), "-o", str(out), "--lineage", "off").returncode == 0
    pyproject = out / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"0.1.0"', '"two"'))
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    refused = run_cli("extract", str(nb), "-o", str(out), "--check")
    assert refused.returncode == 2
    assert (
        f"The package's version cannot be kept: {pyproject} has the version 'two', where a "
        "PEP 440 version such as 1.2.0 belongs. Give the version. See --version."
    ) in refused.stderr
    assert before == {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    for text, found in (("project = 1\n", "no [project] version"), ("[project\n", "no TOML (")):
        pyproject.write_text(text)
        refused = run_cli("extract", str(nb), "-o", str(out), "--check")
        assert refused.returncode == 2
        assert f"{pyproject} has {found}" in refused.stderr
    forced = run_cli("extract", str(nb), "-o", str(out), "--version", "1.0", "--force")
    assert forced.returncode == 0, forced.stderr
    assert 'version = "1.0"' in pyproject.read_text()
