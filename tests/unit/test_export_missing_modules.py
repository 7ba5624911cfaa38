"""Imports of the package's own modules that no cell is exported to: refused at the cell and
line of the import, naming the module, instead of a package that fails when imported (or when
the function holding the import is called); every import of a module the package has passes."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import NotebookFactory, run_python
from tests.unit.export_helpers import extraction, only
from tests.unit.test_cli import run_cli
from tests.unit.test_export_cycles import failing_imports
from tests.unit.test_export_render import write

Cells = list[tuple[str, str, list[str]]]

USE = "def g():\n    return f()"

#: Cells importing what the package does not have: (cell, line) of the import, and what the
#: message says.
MISSING: dict[str, tuple[Cells, tuple[int, int], str]] = {
    "an absolute import of a name": (
        [("code", f"#| export a\nfrom pkg.missing import f\n{USE}", [])],
        (0, 2),
        "'from pkg.missing import f' imports pkg.missing, a module the package does not have: "
        "no cell is exported to 'missing'",
    ),
    "a relative import": (
        [("code", f"from .missing import f\n{USE}", ["export:a"])],
        (0, 1),
        "imports pkg.missing, a module the package does not have",
    ),
    "a relative import in a folder": (
        [("code", f"from .csv import f\n{USE}", ["export:data.load"])],
        (0, 1),
        "'from .csv import f' imports pkg.data.csv, a module the package does not have",
    ),
    "dots above the package": (
        [("code", f"from ..other import f\n{USE}", ["export:a"])],
        (0, 1),
        "'from ..other import f' climbs above the package pkg",
    ),
    "the module taken whole": (
        [("code", "import pkg.missing\ndef g():\n    return pkg.missing.f()", ["export:a"])],
        (0, 1),
        "'import pkg.missing' imports pkg.missing",
    ),
    # fails as soon as g is called, whenever that is
    "inside a function": (
        [("code", "def g():\n    from pkg.missing import f\n    return f()", ["export:a"])],
        (0, 2),
        "imports pkg.missing, a module the package does not have",
    ),
    "in a main cell": (
        [
            ("code", "def h():\n    return 1", ["export"]),
            ("code", "from pkg.missing import f\nprint(f(), h())", ["main"]),
        ],
        (1, 1),
        "imports pkg.missing",
    ),
    "in a test cell": (
        [
            ("code", "def h():\n    return 1", ["export"]),
            ("code", "from pkg.missing import f\nassert f() == h()", ["test"]),
        ],
        (1, 1),
        "imports pkg.missing",
    ),
    "a name the package's __init__ does not bind": (
        [
            ("code", "def h():\n    return 1", ["export"]),
            ("code", "from pkg import f", ["export:b"]),
        ],
        (1, 1),
        "'from pkg import f' takes 'f' from pkg, which has no module or name 'f'",
    ),
    "a generated module this notebook does not get": (
        [("code", "from pkg.pipeline import run", ["export"])],
        (0, 1),
        "imports pkg.pipeline, a module the package does not have: nbtools writes it only for "
        "a notebook with main cells or parameters",
    ),
}


@pytest.mark.parametrize("case", sorted(MISSING))
def test_an_import_of_a_module_the_package_lacks_is_refused_at_its_line(case: str) -> None:
    cells, where, said = MISSING[case]
    problem = only(extraction(*cells).problems, "missing-module")
    assert (problem.cell, problem.line) == where
    assert said in problem.message
    assert problem.severity == "error"


def test_the_refused_import_would_have_failed_the_package(tmp_path: Path) -> None:
    cells, _, _ = MISSING["an absolute import of a name"]
    result = extraction(*cells)
    assert failing_imports(result, tmp_path) == ["a"]


#: Imports of what the package has, or whose failure the code handles: no problem, and each
#: module imports.
PRESENT: dict[str, Cells] = {
    "modules of the notebook": [
        ("code", "def f():\n    return 1", ["export:b"]),
        ("code", "from pkg.b import f\nfrom . import b\nimport pkg.b as bb", ["export:a"]),
    ],
    "a folder nbtools writes, and its module": [
        ("code", "def f():\n    return 1", ["export:data.load"]),
        ("code", "from pkg.data import load\nfrom pkg.data.load import f", ["export:a"]),
    ],
    "the package's public names and run": [
        ("code", "def f():\n    return 1", ["export"]),
        ("code", "print(f())", ["main"]),
        ("code", "def g():\n    from pkg import f, run, __version__\n    return f", ["export:b"]),
    ],
    "the generated pipeline": [
        ("code", "def f():\n    return 1", ["export"]),
        ("code", "print(f())", ["main"]),
        ("code", "def g():\n    from pkg.pipeline import run\n    return run", ["export:b"]),
    ],
    "handled by the code": [
        (
            "code",
            "try:\n    from pkg.extra import f\nexcept ImportError:\n    f = None",
            ["export"],
        ),
    ],
    "for type checkers only": [
        (
            "code",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.extra import F",
            ["export"],
        ),
    ],
    # another library's modules, whatever their names
    "another package": [("code", "from json.decoder import JSONDecoder", ["export"])],
}


@pytest.mark.parametrize("case", sorted(PRESENT))
def test_imports_of_what_the_package_has_pass(case: str, tmp_path: Path) -> None:
    result = extraction(*PRESENT[case])
    assert result.problems == []
    assert failing_imports(result, tmp_path) == []


def test_a_parameters_cell_importing_a_missing_module_is_refused(tmp_path: Path) -> None:
    """Its imports run in ``run()``, in ``pipeline.py``."""
    result = extraction(
        ("code", "from pkg.settings import LIMIT\nlimit = 3", ["parameters"]),
        ("code", "print(limit)", ["main"]),
    )
    problem = only(result.problems, "missing-module")
    assert (problem.cell, problem.line) == (0, 1)
    assert "pkg.settings" in problem.message
    write(result.files, tmp_path)
    with pytest.raises(subprocess.CalledProcessError) as failed:
        run_python("import pkg; pkg.run()", cwd=tmp_path / "src")
    assert "No module named 'pkg.settings'" in failed.value.stderr  # what the refusal spares


def test_the_command_refuses_the_notebook_naming_the_cell_and_the_module(
    notebook_factory: NotebookFactory, tmp_path: Path
) -> None:
    nb = notebook_factory(
        "report.ipynb",
        [
            ("code", "def h():\n    return 1", ["export"]),
            ("code", "from report.helpers import clean\ndef g():\n    return clean()", ["export"]),
        ],
    )
    out = tmp_path / "out"
    result = run_cli("extract", str(nb), "-o", str(out), "--lineage", "off")
    assert result.returncode == 1, result.stderr
    assert "cell 2, line 1: 'from report.helpers import clean' imports report.helpers" in (
        result.stderr
    )
    assert not out.exists()  # nothing written
    checked = run_cli("extract", str(nb), "-o", str(out), "--check", "--json")
    assert checked.returncode == 1, checked.stderr
    problems = json.loads(checked.stdout)["problems"]
    assert [(p["cell"], p["line"], p["code"]) for p in problems] == [(1, 1, "missing-module")]
