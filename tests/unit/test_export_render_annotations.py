"""Annotations in the code of ``main`` and ``test`` cells run as in the notebook."""

from __future__ import annotations

import json
from pathlib import Path

from nbtools.export.api import ExtractRequest, run_extract
from tests.conftest import NotebookFactory
from tests.unit.export_helpers import extraction
from tests.unit.test_export_render import run_package, write

#: A class of the cell annotating a function of the cell, read as fastcore's ``@patch``,
#: pydantic and dataclasses read annotations: in the function's globals.
HINTS = (
    "import typing\n\n"
    "class Local:\n    pass\n\n"
    "def hello(self: Local) -> str:\n    return 'hi'\n\n"
    "hints = typing.get_type_hints(hello)\n"
)


def test_main_cells_annotations_are_read_as_in_the_notebook(tmp_path: Path) -> None:
    """``pipeline.py`` began with ``from __future__ import annotations``: the annotation
    ``Local`` became a string looked up in the module, where the class defined in ``run()``
    is not (NameError). A parameter's annotation naming what the parameters cell imports
    still works: ``run()``'s signature has it as a string."""
    write(
        extraction(
            ("code", "from datetime import date\nday: date = date(2024, 1, 2)", ["parameters"]),
            ("code", HINTS + "record('hints', sorted(hints))\nrecord('day', str(day))", ["main"]),
        ).files,
        tmp_path,
    )
    result = run_package(tmp_path, check=False)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"hints": ["return", "self"], "day": "2024-01-02"}


def test_test_cells_annotations_are_read_as_in_the_notebook(
    notebook_factory: NotebookFactory, tmp_path: Path
) -> None:
    nb = notebook_factory(
        "hints.ipynb",
        [
            ("code", "def double(x):\n    return 2 * x", ["export"]),
            ("code", HINTS + "assert hints['self'] is Local", ["test"]),
        ],
    )
    report = run_extract(ExtractRequest(nb, tmp_path / "out", mode="write", test=True))
    assert report.tests.ok, report.tests.output
    assert report.tests.counts()["passed"] == 1
