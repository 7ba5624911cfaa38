"""Modules taking names from each other: each cycle the generated imports cannot run is a
problem, and every layout Python can import is left alone; both checked by importing each
module of the rendered package in turn, as Python does."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from nbtools.export.build import Extraction
from tests.unit.export_helpers import extraction, only
from tests.unit.test_export_render import write

Cells = list[tuple[str, str, list[str]]]

#: Imports each module of the package in a fresh state (the package's own modules dropped
#: from ``sys.modules``) and prints the modules whose import failed.
PROBE = """
import importlib, json, sys
failed = []
for module in json.loads(sys.argv[1]):
    for loaded in [m for m in sys.modules if m == "pkg" or m.startswith("pkg.")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(f"pkg.{module}")
    except ImportError:
        failed.append(module)
print(json.dumps(failed))
"""


def failing_imports(result: Extraction, tmp_path: Path) -> list[str]:
    """The modules of the package whose import fails, each imported first."""
    write(result.files, tmp_path)
    ran = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(sorted(result.plan.modules))],
        cwd=tmp_path / "src",
        capture_output=True,
        text=True,
        check=True,
    )
    failed: list[str] = json.loads(ran.stdout)
    return failed


EVEN = "def is_even(n):\n    return True if n == 0 else is_odd(n - 1)"
ODD = "def is_odd(n):\n    return False if n == 0 else is_even(n - 1)"

CYCLES: dict[str, tuple[Cells, tuple[int, int], str]] = {
    # the explorer's notebook: mutually recursive functions in two modules
    "functions": (
        [("code", f"#| export a\n{EVEN}", []), ("code", f"#| export b\n{ODD}", [])],
        (1, 3),
        "a (cell 1) imports 'is_odd' from b; b (cell 2) imports 'is_even' from a",
    ),
    # a class used as a base class at import time, and the main module in the cycle
    "base class": (
        [
            ("code", "class Base:\n    def child(self):\n        return Child()", ["export"]),
            ("code", "class Child(Base):\n    pass", ["export:shapes"]),
        ],
        (1, 1),
        "core (cell 1) imports 'Child' from shapes; shapes (cell 2) imports 'Base' from core",
    ),
    "three modules": (
        [
            ("code", "def f():\n    return g()", ["export:a"]),
            ("code", "def g():\n    return h()", ["export:b"]),
            ("code", "def h():\n    return f", ["export:c"]),
        ],
        (2, 2),
        "b (cell 2) imports 'h' from c; c (cell 3) imports 'f' from a",
    ),
    # a package module taking a name from its own submodule, which takes one back
    "package and submodule": (
        [
            ("code", "SEP = ','\ndef load(t):\n    return read(t)", ["export:data"]),
            ("code", "def read(t):\n    return t.split(SEP)", ["export:data.csv"]),
        ],
        (1, 2),
        "data.csv (cell 2) imports 'SEP' from data",
    ),
    # importing data.load imports the package data first, which takes a name from the main
    # module, which the package's __init__ is still importing
    "through the package holding a module": (
        [
            ("code", "def total():\n    return read()\ndef unit():\n    return 1", ["export"]),
            ("code", "def scale():\n    return unit()", ["export:data"]),
            ("code", "def read():\n    return 2", ["export:data.load"]),
        ],
        (1, 2),
        "data.load is inside data, which is imported first; data (cell 2) imports 'unit'",
    ),
}


@pytest.mark.parametrize("case", sorted(CYCLES))
def test_a_cycle_is_a_problem_at_the_name_that_cannot_be_imported(
    case: str, tmp_path: Path
) -> None:
    cells, where, chain = CYCLES[case]
    result = extraction(*cells)
    problem = only(result.problems, "import-cycle")
    assert (problem.cell, problem.line) == where
    assert chain in problem.message
    assert "so the package cannot be imported" in problem.message
    assert problem.hint.startswith("Export the cells defining these names to one module")
    assert failing_imports(result, tmp_path), "the cycle is real: an import fails"


ACYCLIC: dict[str, Cells] = {
    "one way": [
        ("code", "def f():\n    return g()", ["export:a"]),
        ("code", "def g():\n    return 1", ["export:b"]),
    ],
    "one module": [("code", f"{EVEN}\n\n{ODD}", ["export:parity"])],
    # a package taking names from its submodule: the submodule does not take any back
    "package from submodule": [
        ("code", "def load(t):\n    return read(t)", ["export:data"]),
        ("code", "def read(t):\n    return t.split(',')", ["export:data.csv"]),
    ],
    # what each takes from the other is bound by its cells up to its `from __future__`
    # import, which run before it imports from the other
    "head cells first": [
        ("code", "from __future__ import annotations\nimport json", ["export:a"]),
        ("code", "def dump(x):\n    return json.dumps(re.escape(x))", ["export:a"]),
        ("code", "from __future__ import annotations\nimport re", ["export:b"]),
        ("code", "def g():\n    return json.loads(re.escape('1'))", ["export:b"]),
    ],
    # each package runs before its submodule, never waiting for a name of its own
    "crossing packages": [
        ("code", "def f():\n    return g()", ["export:data"]),
        ("code", "def g():\n    return 1", ["export:util.y"]),
        ("code", "def h():\n    return k()", ["export:util"]),
        ("code", "def k():\n    return 2", ["export:data.x"]),
    ],
    "pipeline": [
        ("code", "def f():\n    return g()", ["export:a"]),
        ("code", "def g():\n    return 1", ["export:b"]),
        ("code", "print(f(), g())", ["main"]),
    ],
}


@pytest.mark.parametrize("case", sorted(ACYCLIC))
def test_imports_python_can_run_are_no_problem(case: str, tmp_path: Path) -> None:
    result = extraction(*ACYCLIC[case])
    assert result.problems == []
    assert failing_imports(result, tmp_path) == []


def test_a_cycle_is_reported_once_whichever_module_is_imported_first() -> None:
    result = extraction(
        ("code", f"#| export a\n{EVEN}", []),
        ("code", f"#| export b\n{ODD}", []),
        ("code", "def g():\n    return is_odd(1)", ["export:c"]),
        ("code", "assert is_even(4) and is_odd(3)", ["test"]),
    )
    assert [(p.cell, p.code) for p in result.problems] == [(1, "import-cycle")]
