"""``nbtools extract --check --test`` runs the tests of the package on disk: a failure is
mapped to the notebook only through the files that are what the notebook gives now."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import NotebookFactory
from tests.unit.test_cli import run_cli

DOUBLE = ("code", "def double(x):\n    return 2 * x", ["export"])
FAILING = ("code", "y = 1\nassert double(y) == 5", ["test"])
TRIPLE = ("code", "def triple(x):\n    return 3 * x", ["export"])
TRIPLE_TEST = ("code", "y = 1\nassert triple(y) == 3", ["test"])


def checked_tests(nb: Path, out: Path) -> list[tuple[str, int | None, int | None, int | None]]:
    checked = run_cli("extract", str(nb), "-o", str(out), "--check", "--test", "--json")
    assert checked.returncode == 1, checked.stderr
    tests = json.loads(checked.stdout)["tests"]["tests"]
    return [(t["name"], t["cell"], t["failure_cell"], t["failure_line"]) for t in tests]


def test_a_stale_test_file_s_failure_names_no_cell_of_the_notebook_as_it_is_now(
    notebook_factory: NotebookFactory, tmp_path: Path
) -> None:
    """Two cells added above the failing test: its test on disk, test_cell_2, was reported
    as cell 2 (now triple's) failing at cell 3 (now triple's test), line 2."""
    nb = notebook_factory("calc.ipynb", [DOUBLE, FAILING])
    out = tmp_path / "out"
    assert run_cli("extract", str(nb), "-o", str(out), "--lineage", "off").returncode == 0
    assert checked_tests(nb, out) == [("test_cell_2", 1, 1, 2)]
    notebook_factory("calc.ipynb", [DOUBLE, TRIPLE, TRIPLE_TEST, FAILING])
    assert checked_tests(nb, out) == [("test_cell_2", None, None, None)]


def test_a_failure_in_a_current_file_is_mapped_when_the_tests_are_stale(
    notebook_factory: NotebookFactory, tmp_path: Path
) -> None:
    """A test added to the notebook since: the test file is stale, so its tests name no
    cell, but core.py is current, and a failure inside it is mapped to the notebook."""
    failing_inside = ("code", "def half(x):\n    assert x % 2 == 0\n    return x // 2", ["export"])
    nb = notebook_factory("calc.ipynb", [failing_inside, ("code", "half(3)", ["test"])])
    out = tmp_path / "out"
    assert run_cli("extract", str(nb), "-o", str(out), "--lineage", "off").returncode == 0
    notebook_factory(
        "calc.ipynb",
        [failing_inside, ("code", "half(3)", ["test"]), ("code", "assert half(4) == 2", ["test"])],
    )
    assert checked_tests(nb, out) == [("test_cell_2", None, 0, 2)]
