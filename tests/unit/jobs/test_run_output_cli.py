"""``nbtools run -o FILE``: what FILE may not be, refused before anything runs (no kernel is
started: these runs never reach one)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import NotebookFactory, nbtools, recorded


@pytest.fixture
def root(tmp_path: Path, notebook_factory: NotebookFactory) -> Path:
    notebook_factory("k.ipynb", [("code", "days = 1", ["parameters"]), ("code", "days", [])])
    notebook_factory("other.ipynb", [("code", "x = 1", [])])
    (tmp_path / "notes.txt").write_text("mine\n")
    assert nbtools(tmp_path, "status").exit_code == 0  # the store exists
    return tmp_path


def files_of(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize(
    ("output", "forced", "message"),
    [
        (
            ".nbtools/nbtools.db",
            True,
            ".nbtools/nbtools.db is in the nbtools store directory {store}, which nbtools "
            "manages: choose another place. See --output.",
        ),
        (
            "k.ipynb",
            True,
            "k.ipynb is the file this command reads: writing there would replace it; choose "
            "another file. See --output.",
        ),
        (
            "other.ipynb",
            False,
            "other.ipynb exists and was not written by nbtools: choose another file, or force "
            "replacing it. See --output or --force.",
        ),
        (
            "notes.txt",
            False,
            "notes.txt exists and was not written by nbtools: choose another file, or force "
            "replacing it. See --output or --force.",
        ),
    ],
)
def test_run_refuses_an_output_over_the_store_the_notebook_or_another_file(
    root: Path, monkeypatch: pytest.MonkeyPatch, output: str, forced: bool, message: str
) -> None:
    """``-o .nbtools/nbtools.db`` replaced the store with a notebook (every later command:
    "file is not a database"), ``-o k.ipynb`` the notebook with its executed copy, holding
    its ``injected-parameters`` cell; exit 0 both."""
    monkeypatch.chdir(root)  # -o is read from the current directory
    before = files_of(root)
    for force in ([], ["--force"]) if forced else ([],):
        refused = nbtools(root, "run", "k.ipynb", "-p", "days=2", "-o", output, *force)
        assert refused.exit_code == 2, refused.output
        assert message.format(store=root / ".nbtools") in " ".join(refused.stderr.split())
    assert files_of(root) == before
    answer = json.loads(nbtools(root, "run", "k.ipynb", "-o", output, "--json").stdout)
    assert answer["details"]["field"] == "output"
    assert recorded(root) == ([], [])  # no run queued


def test_run_refuses_the_notebook_under_another_name(root: Path) -> None:
    (root / "same.ipynb").hardlink_to(root / "k.ipynb")
    (root / "link.ipynb").symlink_to("k.ipynb")
    for other in ("same.ipynb", "link.ipynb"):
        refused = nbtools(root, "run", "k.ipynb", "-o", str(root / other), "--force")
        assert refused.exit_code == 2, refused.output
        assert "is the file this command reads" in refused.stderr
    assert os.path.samefile(root / "same.ipynb", root / "k.ipynb")
