"""Modules taking names from each other: each cycle the generated imports, or the imports the
cells write, cannot run is a problem, and every layout Python can import is left alone; both
checked by importing each module of the rendered package in turn, as Python does."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from nbtools.export.build import Extraction
from tests.conftest import run_python
from tests.unit.export_helpers import extraction, only
from tests.unit.test_export_render import write

Cells = list[tuple[str, str, list[str]]]

#: Imports each module of the package in a fresh state (the package's own modules dropped
#: from ``sys.modules``) and prints the modules whose import failed: "cannot import name" is
#: an ImportError, a name read of a module still being imported an AttributeError.
PROBE = """
import importlib, json, sys
failed = []
for module in json.loads(sys.argv[1]):
    for loaded in [m for m in sys.modules if m == "pkg" or m.startswith("pkg.")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(f"pkg.{module}")
    except (ImportError, AttributeError):
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


#: Imports the cells write themselves, in each form, at the top level (or in a class body,
#: or in a definition's annotation): what each cycle reads, and where it is reported.
WRITTEN_CYCLES: dict[str, tuple[Cells, tuple[int, int], str]] = {
    "relative imports of names, both ways": (
        [
            ("code", "from .b import g\ndef f():\n    return g()", ["export:a"]),
            ("code", "from .a import f\ndef g():\n    return 1", ["export:b"]),
        ],
        (1, 1),
        "a (cell 1) imports 'g' from b; b (cell 2) imports 'f' from a, which is still being "
        "imported and has not defined 'f' yet",
    ),
    # the generated import of b takes f back from a
    "an absolute import of a name": (
        [
            ("code", "from pkg.b import g\ndef f():\n    return g()", ["export:a"]),
            ("code", "def g():\n    return f()", ["export:b"]),
        ],
        (1, 2),
        "a (cell 1) imports 'g' from b; b (cell 2) imports 'f' from a",
    ),
    # pkg.a is set once a is imported: reading it before fails, whatever a defines
    "import pkg.mod, read when imported": (
        [
            ("code", "import pkg.b\ndef f():\n    return 1", ["export:a"]),
            ("code", "import pkg.a\nF = pkg.a.f", ["export:b"]),
        ],
        (1, 2),
        "a (cell 1) imports the module b; b (cell 2) reads pkg.a, the module a, which is "
        "still being imported: Python sets pkg.a only once it is",
    ),
    "from . import mod, read when imported": (
        [
            ("code", "from . import b\ndef f():\n    return 1", ["export:a"]),
            ("code", "from . import a\nF = a.f", ["export:b"]),
        ],
        (1, 2),
        "b (cell 2) reads 'f' of a, which is still being imported and has not defined 'f'",
    ),
    "import pkg.mod as alias, a base class": (
        [
            ("code", "import pkg.b as b\nclass Base:\n    pass", ["export:a"]),
            ("code", "import pkg.a as a\nclass Child(a.Base):\n    pass", ["export:b"]),
        ],
        (1, 2),
        "b (cell 2) reads 'Base' of a",
    ),
    # without `from __future__ import annotations`, Python < 3.14 evaluates it at once
    "an annotation": (
        [
            ("code", "from . import b\nclass Model:\n    pass", ["export:a"]),
            ("code", "from . import a\ndef load() -> a.Model:\n    return a.Model()", ["export:b"]),
        ],
        (1, 2),
        "b (cell 2) reads 'Model' of a",
    ),
    "a decorator": (
        [
            ("code", "from . import b\ndef register(f):\n    return f", ["export:a"]),
            ("code", "from . import a\n@a.register\ndef g():\n    return 1", ["export:b"]),
        ],
        (1, 2),
        "b (cell 2) reads 'register' of a",
    ),
    # the else branch runs: only the TYPE_CHECKING one is for type checkers
    "the else branch of if TYPE_CHECKING": (
        [
            (
                "code",
                "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    pass\nelse:\n"
                "    from .b import g\ndef f():\n    return g()",
                ["export:a"],
            ),
            ("code", "from .a import f\ndef g():\n    return 1", ["export:b"]),
        ],
        (1, 1),
        "a (cell 1) imports 'g' from b; b (cell 2) imports 'f' from a",
    ),
    "an import in a class body": (
        [
            ("code", "class Config:\n    from .b import DEFAULT", ["export:a"]),
            ("code", "from .a import Config\nDEFAULT = 1", ["export:b"]),
        ],
        (1, 1),
        "a (cell 1) imports 'DEFAULT' from b; b (cell 2) imports 'Config' from a",
    ),
    # importing the package runs __init__, which imports the main module first
    "the main module taking the package's name": (
        [
            ("code", "from pkg import g\ndef f():\n    return g()", ["export"]),
            ("code", "def g():\n    return 1", ["export"]),
        ],
        (0, 1),
        "__init__ imports the module core; core (cell 1) imports 'g' from __init__, which is "
        "still being imported",
    ),
    # pipeline.py imports the names main cells use: f, not defined yet
    "the pipeline": (
        [
            ("code", "from . import pipeline\ndef again():\n    return pipeline.run()", ["export"]),
            ("code", "def f():\n    return 1", ["export"]),
            ("code", "print(f())", ["main"]),
        ],
        (0, 1),
        "core (cell 1) imports the module pipeline; pipeline imports 'f' from core",
    ),
    # __main__.py takes run from pipeline.py at its top, which takes f from core
    "the package's __main__": (
        [
            ("code", "from pkg.__main__ import main\ndef f():\n    return 1", ["export"]),
            ("code", "print(f())", ["main"]),
        ],
        (0, 1),
        "core (cell 1) imports 'main' from __main__; __main__ imports 'run' from pipeline; "
        "pipeline imports 'f' from core, which is still being imported",
    ),
}


@pytest.mark.parametrize("case", sorted(WRITTEN_CYCLES))
def test_a_cycle_of_imports_the_cells_write_is_a_problem(case: str, tmp_path: Path) -> None:
    cells, where, chain = WRITTEN_CYCLES[case]
    result = extraction(*cells)
    problem = only(result.problems, "import-cycle")
    assert (problem.cell, problem.line) == where
    assert chain in problem.message
    assert "so the package cannot be imported" in problem.message
    assert problem.hint.startswith("Import (or read the module's names) inside the functions")
    if case != "an annotation" or sys.version_info < (3, 14):  # 3.14 evaluates it when read
        assert failing_imports(result, tmp_path), "the cycle is real: an import fails"


#: Imports the cells write that Python runs, with code calling what they import afterwards.
WRITTEN_ACYCLIC: dict[str, tuple[Cells, str]] = {
    # a module object used only inside functions: complete by the time they run
    "import pkg.mod, used in functions": (
        [
            ("code", "import pkg.b\ndef f():\n    return pkg.b.g()", ["export:a"]),
            (
                "code",
                "import pkg.a\ndef g():\n    return 1\ndef h():\n    return pkg.a.f()",
                ["export:b"],
            ),
        ],
        "import pkg.a, pkg.b; assert pkg.a.f() == pkg.b.h() == 1",
    ),
    "from . import mod, used in functions": (
        [
            ("code", "from . import b\ndef f():\n    return b.g()", ["export:a"]),
            (
                "code",
                "from . import a\ndef g():\n    return 1\ndef h():\n    return a.f()",
                ["export:b"],
            ),
        ],
        "import pkg.a, pkg.b; assert pkg.a.f() == pkg.b.h() == 1",
    ),
    "import pkg.mod as alias, used in functions": (
        [
            ("code", "import pkg.b as b\ndef f():\n    return b.g()", ["export:a"]),
            (
                "code",
                "import pkg.a as a\ndef g():\n    return 1\ndef h():\n    return a.f()",
                ["export:b"],
            ),
        ],
        "import pkg.a, pkg.b; assert pkg.a.f() == pkg.b.h() == 1",
    ),
    "imports inside functions": (
        [
            ("code", "def f():\n    from .b import g\n    return g()", ["export:a"]),
            (
                "code",
                "def g():\n    return 1\ndef h():\n    from pkg.a import f\n    return f()",
                ["export:b"],
            ),
        ],
        "import pkg.a, pkg.b; assert pkg.a.f() == pkg.b.h() == 1",
    ),
    "if TYPE_CHECKING": (
        [
            (
                "code",
                "from __future__ import annotations\nimport typing\nif typing.TYPE_CHECKING:\n"
                "    from .b import Item\ndef first(items: list[Item]) -> Item:\n    return items[0]",
                ["export:a"],
            ),
            ("code", "from .a import first\nclass Item:\n    pass", ["export:b"]),
        ],
        "import pkg.b; item = pkg.b.Item(); assert pkg.b.first([item]) is item",
    ),
    "if __name__ == '__main__'": (
        [
            (
                "code",
                "def f():\n    return 1\nif __name__ == '__main__':\n    from .b import g\n"
                "    print(g())",
                ["export:a"],
            ),
            ("code", "from .a import f\ndef g():\n    return f()", ["export:b"]),
        ],
        "import pkg.a, pkg.b; assert pkg.b.g() == 1",
    ),
    "a try catching the failure": (
        [
            ("code", "try:\n    from .b import g\nexcept ImportError:\n    g = None", ["export:a"]),
            ("code", "def f():\n    return 1", ["export:a"]),
            ("code", "from .a import f\ndef g():\n    return f()", ["export:b"]),
        ],
        "import pkg.b; assert pkg.b.g() == 1",
    ),
    # core binds f before it imports b, which takes f back: whichever module comes first
    "a name bound before the import": (
        [
            ("code", "def f():\n    return 1", ["export"]),
            ("code", "from .b import g", ["export"]),
            ("code", "from .core import f\ndef g():\n    return f()", ["export:b"]),
        ],
        "import pkg.b, pkg.core; assert pkg.core.g() == 1",
    ),
    "a module read after it defines the name": (
        [
            ("code", "def f():\n    return 1", ["export:a"]),
            ("code", "from . import b", ["export:a"]),
            ("code", "from . import a\nF = a.f", ["export:b"]),
        ],
        "import pkg.a, pkg.b; assert pkg.b.F() == 1",
    ),
    "annotations under from __future__ import annotations": (
        [
            ("code", "from . import b\nclass Model:\n    pass", ["export:a"]),
            (
                "code",
                "from __future__ import annotations\nfrom . import a\n"
                "def load() -> a.Model:\n    return a.Model()",
                ["export:b"],
            ),
        ],
        "import pkg.a, pkg.b; assert isinstance(pkg.b.load(), pkg.a.Model)",
    ),
    "a read in a try catching AttributeError": (
        [
            ("code", "from . import b\ndef f():\n    return 1", ["export:a"]),
            (
                "code",
                "from . import a\ntry:\n    F = a.f\nexcept AttributeError:\n    F = None",
                ["export:b"],
            ),
        ],
        "import pkg.a, pkg.b",
    ),
    "a name rebound by the cells": (
        [
            ("code", "from . import b\ndef f():\n    return 1", ["export:a"]),
            ("code", "from . import a\na = None\nF = a.f if a else 2", ["export:b"]),
        ],
        "import pkg.a, pkg.b; assert pkg.b.F == 2",
    ),
    # the package's __main__ (and through it pipeline.py) imported once the package is
    "the package's __main__ inside a function": (
        [
            (
                "code",
                "def cli():\n    from pkg.__main__ import main\n    return main\n"
                "def f():\n    return 1",
                ["export"],
            ),
            ("code", "print(f())", ["main"]),
        ],
        "import pkg.core; assert pkg.core.cli().__module__ == 'pkg.__main__'",
    ),
}


@pytest.mark.parametrize("case", sorted(WRITTEN_ACYCLIC))
def test_imports_the_cells_write_that_python_runs_are_no_problem(case: str, tmp_path: Path) -> None:
    cells, calls = WRITTEN_ACYCLIC[case]
    result = extraction(*cells)
    assert result.problems == []
    assert failing_imports(result, tmp_path) == []
    run_python(calls, cwd=tmp_path / "src")
