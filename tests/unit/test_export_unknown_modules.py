"""Imports of modules the package does not have: refused at the cell and line, each proven to
fail in Python where it runs; the package's own modules and names, the files kept in the
package's directory, and imports whose failure the code handles are left alone."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from nbtools.export.api import ExtractRequest, run_extract
from nbtools.export.build import ExtractOptions
from tests.conftest import run_python
from tests.unit.export_helpers import extraction, notebook, only
from tests.unit.test_export_render import write

Cells = list[tuple[str, str, list[str]]]

#: Each refused import: the cells, where it is reported, a part of its message, and code
#: showing where Python fails (run in the package's src/), with the error it prints.
UNKNOWN: dict[str, tuple[Cells, tuple[int, int], str, str, str]] = {
    "relative, at the top": (
        [("code", "x = 1", ["export"]), ("code", "from .nosuch import y", ["export:a"])],
        (1, 1),
        "'from .nosuch import y' imports pkg.nosuch, a module the package does not have "
        "(its modules: a, core)",
        "import pkg.a",
        "ModuleNotFoundError: No module named 'pkg.nosuch'",
    ),
    "absolute, in a function": (
        [("code", "def f():\n    from pkg.nosuch import y\n    return y", ["export:a"])],
        (0, 2),
        "'from pkg.nosuch import y' imports pkg.nosuch",
        "import pkg.a; pkg.a.f()",
        "ModuleNotFoundError: No module named 'pkg.nosuch'",
    ),
    "import pkg.mod": (
        [("code", "import pkg.nosuch\ndef f():\n    return pkg.nosuch.y", ["export:a"])],
        (0, 1),
        "'import pkg.nosuch' imports pkg.nosuch",
        "import pkg.a",
        "ModuleNotFoundError: No module named 'pkg.nosuch'",
    ),
    "a submodule of a module": (
        [("code", "x = 1", ["export:a"]), ("code", "from .a.nosuch import y", ["export:b"])],
        (1, 1),
        "'from .a.nosuch import y' imports pkg.a.nosuch",
        "import pkg.b",
        "ModuleNotFoundError: No module named 'pkg.a.nosuch'",
    ),
    "from . import mod": (
        [("code", "from . import nosuch", ["export:a"])],
        (0, 1),
        "'from . import nosuch' cannot take 'nosuch' from the package pkg: it has no module "
        "of that name, and its __init__.py gives only the public names",
        "import pkg.a",
        "ImportError: cannot import name 'nosuch' from 'pkg'",
    ),
    # __init__.py gives the main module's __all__ only
    "a private name of the main module": (
        [
            ("code", "def _g():\n    return 1", ["export"]),
            ("code", "from pkg import _g\nX = _g()", ["export:b"]),
        ],
        (1, 1),
        "cannot take '_g' from the package pkg",
        "import pkg.b",
        "ImportError: cannot import name '_g' from 'pkg'",
    ),
    # data/__init__.py is generated, empty: data holds only the module load
    "a folder nbtools writes": (
        [
            ("code", "x = 1", ["export:data.load"]),
            ("code", "from .data import nosuch", ["export:b"]),
        ],
        (1, 1),
        "cannot take 'nosuch' from pkg.data: that folder of the package has no module of "
        "that name, and its generated __init__.py defines no names",
        "import pkg.b",
        "ImportError: cannot import name 'nosuch' from 'pkg.data'",
    ),
    "above the package": (
        [("code", "x = 1", ["export:a"]), ("code", "from ..other import y", ["export:b"])],
        (1, 1),
        "'from ..other import y' climbs above the package pkg",
        "import pkg.b",
        "ImportError: attempted relative import beyond top-level package",
    ),
    # a main cell is the body of run(): it fails when the pipeline runs
    "a main cell": (
        [("code", "x = 1", ["export"]), ("code", "from pkg.nosuch import y\nprint(y)", ["main"])],
        (1, 1),
        "'from pkg.nosuch import y' imports pkg.nosuch, a module the package does not have "
        "(its modules: core, pipeline)",
        "from pkg import run; run()",
        "ModuleNotFoundError: No module named 'pkg.nosuch'",
    ),
    "a test cell": (
        [
            ("code", "x = 1", ["export"]),
            ("code", "from pkg.nosuch import y\nassert y == x", ["test"]),
        ],
        (1, 1),
        "'from pkg.nosuch import y' imports pkg.nosuch",
        "import runpy; runpy.run_path('../tests/test_pkg.py')['test_cell_2']()",
        "ModuleNotFoundError: No module named 'pkg.nosuch'",
    ),
}


@pytest.mark.parametrize("case", sorted(UNKNOWN))
def test_an_import_of_what_the_package_does_not_have_is_refused(case: str, tmp_path: Path) -> None:
    cells, where, message, fails, error = UNKNOWN[case]
    result = extraction(*cells)
    problem = only(result.problems, "unknown-module")
    assert (problem.cell, problem.line, problem.severity) == (*where, "error")
    assert message in problem.message
    assert [p.code for p in result.problems] == ["unknown-module"]
    write(result.files, tmp_path)
    ran = subprocess.run(
        [sys.executable, "-c", fails], cwd=tmp_path / "src", capture_output=True, text=True
    )
    assert ran.returncode != 0
    assert error in ran.stderr


def test_the_refusal_says_how_to_give_the_package_the_module() -> None:
    result = extraction(("code", "from .tools.fast import y", ["export"]))
    problem = only(result.problems, "unknown-module")
    assert problem.message.startswith(
        "'from .tools.fast import y' imports pkg.tools, a module the package does not have"
    )
    assert problem.hint == (
        "Export cells to it (the tag export:tools), correct the name, or keep its file in the "
        "package's directory (src/pkg/tools.py): nbtools leaves the files it did not write in "
        "place."
    )


#: Imports of the package that find what they import, or whose failure the code handles,
#: with code running them.
KNOWN: dict[str, tuple[Cells, str]] = {
    "a try catching the failure": (
        [
            (
                "code",
                "try:\n    from .fast import speed\nexcept ImportError:\n    speed = None",
                ["export"],
            ),
            (
                "code",
                "def f():\n    try:\n        import pkg.fast\n    except Exception:\n"
                "        return 0\n    return 1",
                ["export"],
            ),
        ],
        "from pkg import core; assert core.speed is None and core.f() == 0",
    ),
    "if TYPE_CHECKING": (
        [
            (
                "code",
                "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .stubs import T\n"
                "else:\n    T = int",
                ["export"],
            ),
        ],
        "from pkg import core; assert core.T is int",
    ),
    "the package's own names and modules": (
        [
            ("code", "def g():\n    return 1", ["export"]),
            ("code", "x = 1", ["export:data.load"]),
            (
                "code",
                "from pkg import g, __version__, data, run\nfrom . import core\n"
                "from .data import load\nimport pkg.data.load as loaded\n"
                "def h():\n    from .pipeline import run as again\n"
                "    return g() + core.g() + load.x + loaded.x + len(again())",
                ["export:b"],
            ),
            ("code", "record('y', 1)", ["main"]),
        ],
        "import pkg.b; assert pkg.b.h() == 5",
    ),
}


@pytest.mark.parametrize("case", sorted(KNOWN))
def test_imports_that_find_their_module_are_no_problem(case: str, tmp_path: Path) -> None:
    cells, runs = KNOWN[case]
    result = extraction(*cells)
    assert result.problems == []
    write(result.files, tmp_path)
    run_python(runs, cwd=tmp_path / "src")


def _request(tmp_path: Path, mode: str, *cells: tuple[str, str, list[str]]) -> ExtractRequest:
    return ExtractRequest(
        tmp_path / "analysis.ipynb",
        tmp_path / "out",
        ExtractOptions("pkg"),
        mode,
        notebook=notebook(*cells),
    )


HELPERS = ("code", "from .helpers import scale\ndef f():\n    return scale(2)", ["export"])


@pytest.mark.parametrize("kept", ["src/pkg/helpers.py", "src/pkg/helpers/__init__.py"])
def test_a_module_kept_in_the_package_directory_may_be_imported(kept: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run_extract(_request(tmp_path, "write", ("code", "x = 1", ["export"])))
    refused = run_extract(_request(tmp_path, "preview", HELPERS)).extraction.problems
    assert only(refused, "unknown-module").cell == 0
    (out / kept).parent.mkdir(parents=True, exist_ok=True)
    (out / kept).write_text("def scale(x):\n    return 10 * x\n")
    for mode in ("preview", "check"):
        assert run_extract(_request(tmp_path, mode, HELPERS)).extraction.problems == []
    run_extract(_request(tmp_path, "write", HELPERS))
    assert (out / kept).exists(), "the write kept the file"
    run_python("import pkg; assert pkg.f() == 20", cwd=out / "src")


def test_a_module_nbtools_wrote_and_the_next_write_removes_is_no_module_kept(
    tmp_path: Path,
) -> None:
    run_extract(
        _request(tmp_path, "write", ("code", "def scale(x):\n    return x", ["export:helpers"]))
    )
    assert (tmp_path / "out/src/pkg/helpers.py").is_file()
    report = run_extract(_request(tmp_path, "preview", HELPERS))
    assert only(report.extraction.problems, "unknown-module").cell == 0
    assert [c.path for c in report.changes if c.status == "removed"] == ["src/pkg/helpers.py"]
