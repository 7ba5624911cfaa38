"""The generated tests module: what pytest collects in it, run by the real pytest."""

from __future__ import annotations

from pathlib import Path

from nbtools.export.api import ExtractRequest, run_extract
from tests.conftest import NotebookFactory


def test_names_of_the_notebook_pytest_would_collect_are_not_tests(
    notebook_factory: NotebookFactory, tmp_path: Path
) -> None:
    """An exported ``def test_quality(rows)`` imported by the tests module was collected by
    pytest: "fixture 'rows' not found", one error beside the test passing. The tests take such
    names as default arguments instead; a failure still points to its cell and line."""
    nb = notebook_factory(
        "tq.ipynb",
        [
            (
                "code",
                "def test_quality(rows):\n    return len(rows) > 1\n\n"
                "class TestData:\n    def test_size(self, n):\n        return n\n\n"
                "testing = True",
                ["export"],
            ),
            ("code", "assert test_quality([1, 2])\nassert TestData().test_size(2) == 2", ["test"]),
            ("code", "assert testing\nassert test_quality([1])", ["test"]),
        ],
    )
    report = run_extract(ExtractRequest(nb, tmp_path / "out", mode="write", test=True))
    outcomes = {t.name: t.outcome for t in report.tests.tests}
    assert outcomes == {"test_cell_2": "passed", "test_cell_3": "failed"}, report.tests.output
    failed = next(t for t in report.tests.tests if t.outcome == "failed")
    assert failed.location is not None
    assert (failed.location.cell, failed.location.line) == (2, 2)


def test_a_package_that_cannot_be_imported_fails_its_tests_without_test_cells(
    notebook_factory: NotebookFactory, tmp_path: Path
) -> None:
    """nbdev notebooks have no 'test' cells: pytest found no test (exit 5), nothing imported
    the package, and --test passed for a package failing at import. Each module is imported
    first; the first failing is an error at the cell and line that raised."""
    cells = [
        ("code", "#| default_exp core", []),
        ("code", "#| export\nimport json\n\nSETTINGS = json.loads(open('s.json').read())", []),
        ("code", "#| export helpers\ndef helper():\n    return 1", []),
    ]
    nb = notebook_factory("nd.ipynb", cells)
    report = run_extract(ExtractRequest(nb, tmp_path / "out", mode="write", test=True))
    assert not report.tests.ok
    (failed,) = report.tests.tests
    assert (failed.name, failed.outcome) == ("import nd", "error")
    assert failed.message.startswith("FileNotFoundError: ")
    assert failed.location is not None
    assert (failed.location.cell, failed.location.line) == (1, 4)
    assert "Traceback" in report.tests.output
    (tmp_path / "out/s.json").write_text("{}")  # the tests run in the package's directory
    fixed = run_extract(ExtractRequest(nb, tmp_path / "out", mode="check", test=True))
    assert fixed.tests.ok
    assert fixed.tests.tests == []
