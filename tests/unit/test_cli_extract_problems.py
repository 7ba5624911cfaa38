"""``nbtools extract`` on a notebook with problems, as a user (and CI) runs it: one shape of
failure whatever the other cells, and advice that a command can follow."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import NotebookFactory
from tests.unit.test_cli import run_cli


def test_a_bad_directive_is_one_failed_check_whatever_the_other_cells(
    notebook_factory: NotebookFactory, tmp_path: Path
) -> None:
    """With no other export, a bad directive was bad input (exit 2, InvalidInputError, the
    problems joined in one string); beside a valid export, a failed check (exit 1, a list):
    now both are the latter, so CI and REST clients read one shape."""
    bad = ("code", "#| export bad-name\ndef f():\n    return 1", [])
    shapes = []
    for cells in ([bad], [bad, ("code", "#| export\ndef g():\n    return 2", [])]):
        nb = notebook_factory("bd.ipynb", cells)
        refused = run_cli("extract", str(nb), "-o", str(tmp_path / "out"), "--json")
        assert refused.returncode == 1, refused.stdout + refused.stderr
        answer = json.loads(refused.stdout)
        problems = answer["details"]["problems"]
        shapes.append((answer["error"], [(p["cell"], p["line"], p["code"]) for p in problems]))
    assert shapes == [("CheckFailedError", [(0, 0, "module-name")])] * 2, shapes
    assert not (tmp_path / "out").exists()


def test_check_of_a_notebook_with_an_error_asks_to_fix_it_and_shows_no_diff(
    notebook_factory: NotebookFactory, tmp_path: Path
) -> None:
    """--check showed a diff deleting the broken cell's function and said to run extract
    without --check, which refuses to write a notebook with errors."""
    cells = [("code", "def f():\n    return 1", ["export"]), ("code", "f()", ["main"])]
    nb = notebook_factory("se.ipynb", cells)
    out = str(tmp_path / "out")
    assert run_cli("extract", str(nb), "-o", out, "--lineage", "off").returncode == 0
    notebook_factory("se.ipynb", [("code", "def f(:\n    return 1", ["export"]), cells[1]])
    checked = run_cli("extract", str(nb), "-o", out, "--check")
    assert checked.returncode == 1, checked.stdout + checked.stderr
    assert "error: cell 1" in checked.stderr
    assert "@@" not in checked.stdout
    assert "-def f():" not in checked.stdout
    assert "Error: 2 problem(s) in the notebook; fix them, then run nbtools extract." in (
        checked.stderr
    )
    assert "without --check" not in checked.stderr
    answer = json.loads(run_cli("extract", str(nb), "-o", out, "--check", "--json").stdout)
    assert (answer["ok"], answer["stale"], answer["diff"]) == (False, True, "")
