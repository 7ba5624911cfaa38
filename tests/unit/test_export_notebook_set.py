"""Several notebooks making one package (``nbtools extract A.ipynb B.ipynb``, ``nbtools extract
nbs/``), as an nbdev project's notebooks make its library: nbtools/export/notebook_set.py."""

from __future__ import annotations

import ast
import json
import time
from pathlib import Path

import pytest

from nbtools import versioning
from nbtools.export.api import ExtractRequest, run_extract
from nbtools.export.build import ExtractOptions
from nbtools.export.model import MANIFEST
from nbtools.export.notebook_set import notebooks_in
from nbtools.project import Project
from tests.conftest import NotebookFactory
from tests.unit.envsnap.conftest import env_kernel  # noqa: F401 - a kernel to snapshot
from tests.unit.test_cli import run_cli

CORE = [
    ("markdown", "# Core\n\n> The core helpers.", []),
    ("code", "#| default_exp core", []),
    ("code", "#| export\ndef add(a, b):\n    return a + b", []),
    ("code", "#| export helpers\ndef h1():\n    return 1", []),
    ("code", "assert add(1, 1) == 2", ["test"]),
]
B = [
    ("markdown", "# B\n\n> Doubling.", []),
    ("code", "#| default_exp b", []),
    ("code", "#| export\nfrom mylib.core import *\n\ndef twice(x):\n    return add(x, x)", []),
    ("code", "#| export helpers\ndef h2():\n    return h1() + 1", []),
    ("code", "assert twice(2) == 4\nassert h2() == 2", ["test"]),
]


def _names(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    return next(
        ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "__all__"
    )


def test_a_folder_of_notebooks_makes_one_package(
    notebook_factory: NotebookFactory, tmp_path: Path
) -> None:
    """Each notebook was a package of its own, and 01_b's import of mylib.core, which 00_core
    exports, was refused as missing-module; a folder was no notebook."""
    notebook_factory("nbs/00_core.ipynb", CORE)
    notebook_factory("nbs/01_b.ipynb", B)
    notebook_factory("nbs/_scratch.ipynb", [("code", "#| export\nx = 1", [])])
    result = run_cli(
        "extract", "nbs", "--name", "mylib", "-o", "out", "--test", "--lineage", "off",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    src = tmp_path / "out/src/mylib"
    assert sorted(p.name for p in src.iterdir()) == ["__init__.py", "b.py", "core.py", "helpers.py"]
    helpers = (src / "helpers.py").read_text()
    assert _names(src / "helpers.py") == ["h1", "h2"]  # merged in notebook order
    assert helpers.index("# %% 00_core.ipynb cell 4") < helpers.index("# %% 01_b.ipynb cell 4")
    assert "from .core import *" in (src / "b.py").read_text()
    assert ast.get_docstring(ast.parse((src / "b.py").read_text())) == "Doubling."
    assert ast.get_docstring(ast.parse((src / "core.py").read_text())) == "The core helpers."
    assert ast.get_docstring(ast.parse((src / "__init__.py").read_text())) == "Core"
    tests = (tmp_path / "out/tests/test_mylib.py").read_text()
    assert "def test_00_core_cell_5()" in tests
    assert "def test_01_b_cell_5()" in tests
    assert "tests (current environment): 2 passed" in result.stdout
    manifest = json.loads((tmp_path / "out/.nbtools-extract.json").read_text())
    assert [(m["notebook"], m["notebook_path"]) for m in manifest["notebooks"]] == [
        ("00_core.ipynb", "../nbs/00_core.ipynb"),
        ("01_b.ipynb", "../nbs/01_b.ipynb"),
    ]
    check = run_cli("extract", "nbs", "-o", "out", "--check", cwd=tmp_path)
    assert check.returncode == 0, check.stderr
    assert "up to date" in check.stdout


def test_notebooks_given_one_by_one_keep_their_order_and_name_their_cells(
    notebook_factory: NotebookFactory, tmp_path: Path
) -> None:
    """A module no notebook of the set exports is refused as missing-module at its notebook's
    cell; the problem names that notebook."""
    notebook_factory("b.ipynb", B)
    notebook_factory("a.ipynb", CORE)
    args = ["b.ipynb", "a.ipynb", "--name", "mylib", "--lineage", "off"]
    result = run_cli("extract", *args, "-o", "ok", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("b.ipynb, a.ipynb: package 'mylib' written to ok\n")
    assert _names(tmp_path / "ok/src/mylib/helpers.py") == ["h2", "h1"]
    notebook_factory("b.ipynb", [*B[:2], ("code", "#| export\nfrom mylib.nowhere import f", [])])
    result = run_cli("extract", *args, "-o", "out", "--json", cwd=tmp_path)
    assert result.returncode == 1
    problems = json.loads(result.stdout)["details"]["problems"]
    assert [(p["notebook"], p["cell"], p["code"]) for p in problems] == [
        ("b.ipynb", 2, "missing-module")
    ]
    assert "error: b.ipynb cell 3, line 2: 'from mylib.nowhere import f' imports" in result.stderr
    assert not (tmp_path / "out").exists()


def test_an_import_cycle_across_notebooks_is_refused(
    notebook_factory: NotebookFactory, tmp_path: Path
) -> None:
    notebook_factory(
        "a.ipynb", [("code", "#| export\nfrom mylib.b import g\ndef f(): return 1", [])]
    )
    notebook_factory(
        "b.ipynb", [("code", "#| default_exp b\n#| export\nfrom mylib.core import f\ng = f", [])]
    )
    result = run_cli("extract", "a.ipynb", "b.ipynb", "--name", "mylib", "-o", "o", cwd=tmp_path)
    assert result.returncode == 1
    assert "b.ipynb cell 1, line 3: Modules b and core import names from each other" in (
        result.stderr
    )
    assert not (tmp_path / "o").exists()


def test_nbdev_s_order_of_a_folder(tmp_path: Path) -> None:
    """Sorted by file name, as nbdev-export sorts them, subfolders included; names starting
    with _ or . skipped, and folders so named."""
    for name in (
        "10_last.ipynb", "sub/05_mid.ipynb", "00_first.ipynb", "_draft.ipynb",
        ".hidden.ipynb", ".ipynb_checkpoints/00_first-checkpoint.ipynb", "_old/01.ipynb",
        "notes.txt",
    ):  # fmt: skip
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("{}")
    found = [p.relative_to(tmp_path).as_posix() for p in notebooks_in(tmp_path)]
    assert found == ["00_first.ipynb", "sub/05_mid.ipynb", "10_last.ipynb"]


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["empty"], "empty is a directory, not a notebook. It holds no notebook"),
        (["a.ipynb", "./a.ipynb"], "a.ipynb is given twice (as a.ipynb)"),
        (["a.ipynb", "gone.ipynb"], "No such notebook or folder: gone.ipynb"),
        (["a.ipynb", "notes.txt"], "notes.txt"),
    ],
)
def test_bad_sets_are_refused_naming_the_path(
    notebook_factory: NotebookFactory, tmp_path: Path, args: list[str], named: str
) -> None:
    notebook_factory("a.ipynb", CORE)
    (tmp_path / "empty/.ipynb_checkpoints").mkdir(parents=True)
    (tmp_path / "notes.txt").write_text("not a notebook")
    result = run_cli("extract", *args, "-o", "out", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert named in result.stderr
    assert not (tmp_path / "out").exists()


def test_one_set_of_notebooks_per_package_directory(
    notebook_factory: NotebookFactory, tmp_path: Path
) -> None:
    """A set sharing a notebook with the package's is the same package (a notebook added or
    removed); a set sharing none, or another notebook, is refused without --force; an older
    one-notebook manifest still reads."""
    for name in "abcde":
        notebook_factory(f"{name}.ipynb", [("code", f"#| export {name}\ndef {name}(): pass", [])])

    def extract(*notebooks: str) -> tuple[int, str]:
        args = ["extract", *notebooks, "--name", "mylib", "-o", "out", "--lineage", "off"]
        result = run_cli(*args, cwd=tmp_path)
        return result.returncode, result.stderr

    assert extract("a.ipynb") == (0, "")  # a one-notebook manifest
    assert extract("a.ipynb", "b.ipynb") == (0, "")  # b added
    assert extract("b.ipynb", "c.ipynb") == (0, "")  # a removed, c added
    code, error = extract("a.ipynb", "d.ipynb")
    assert code == 2
    assert "out holds the package of another notebook, b.ipynb. Choose" in error
    assert extract("c.ipynb") == (0, "")
    assert extract("e.ipynb")[0] == 2
    assert extract("a.ipynb", "e.ipynb", "--force") == (0, "")


def test_problems_and_tests_name_the_cell_in_its_notebook(
    notebook_factory: NotebookFactory, tmp_path: Path
) -> None:
    """A set's cells are numbered in their own notebook: a name another notebook defines in an
    untagged cell, and a failing test, name that notebook's cell (not its place in the set)."""
    a = notebook_factory("a.ipynb", [*CORE, ("code", "def helper():\n    return 2", [])])
    b = notebook_factory(
        "b.ipynb",
        [
            ("code", "#| export b\ndef uses():\n    return helper()", []),
            ("code", "from mylib.core import add\nassert add(1, 1) == 3", ["test"]),
        ],
    )
    request = ExtractRequest(a, tmp_path / "out", ExtractOptions("mylib"), "check", others=(b,))
    problem = run_extract(request).extraction.problems[0].to_dict()
    assert (problem["notebook"], problem["cell"], problem["code"]) == (
        "b.ipynb",
        0,
        "undefined-name",
    )
    assert problem["hint"].startswith("Cell 6 of a.ipynb defines it but is not exported")
    b = notebook_factory("b.ipynb", [*B[:3], ("code", "assert twice(1) == 3", ["test"])])
    request = request._replace(mode="write", test=True, others=(b,))
    tests = run_extract(request).to_dict()["tests"]["tests"]
    failed = next(t for t in tests if t["outcome"] == "failed")
    assert (failed["name"], failed["notebook"], failed["cell"]) == ("test_b_cell_4", "b.ipynb", 3)
    assert (failed["failure_notebook"], failed["failure_cell"]) == ("b.ipynb", 3)


def test_without_output_a_set_finds_its_package_and_one_of_its_notebooks_does_not(
    notebook_factory: NotebookFactory, tmp_path: Path
) -> None:
    """``nbtools extract a.ipynb`` without -o would have found the package of the set
    {a, b} (its manifest's notebook_path is a's) and replaced it with a's alone."""
    notebook_factory("a.ipynb", CORE)
    notebook_factory("b.ipynb", B)
    (tmp_path / ".nbtools").mkdir()
    args = ["--name", "mylib", "--lineage", "off"]
    assert run_cli("extract", "a.ipynb", "b.ipynb", *args, "-o", "pk", cwd=tmp_path).returncode == 0
    again = run_cli("extract", "a.ipynb", "b.ipynb", *args, cwd=tmp_path)
    assert again.stdout.startswith("a.ipynb, b.ipynb: package 'mylib' written to pk\n")
    alone = run_cli("extract", "a.ipynb", *args, cwd=tmp_path)
    assert alone.stdout.startswith("a.ipynb: package 'mylib' written to mylib\n"), alone.stderr
    assert (tmp_path / "pk/src/mylib/b.py").is_file()


def test_a_set_exporting_nothing_names_the_refused_cells_in_their_notebooks(
    notebook_factory: NotebookFactory, tmp_path: Path
) -> None:
    notebook_factory("a.ipynb", [("code", "x = 1", [])])
    notebook_factory("b.ipynb", [("code", "y = 2", []), ("code", "#| export pipeline\nz = 3", [])])
    result = run_cli("extract", "a.ipynb", "b.ipynb", "--name", "p", "-o", "o", cwd=tmp_path)
    assert result.returncode == 1
    assert "The notebook has no cell that can be exported:\nerror: b.ipynb cell 2:" in (
        result.stderr
    )
    assert not (tmp_path / "o").exists()


@pytest.mark.usefixtures("env_kernel")
def test_a_set_written_over_a_package_releases_the_version_it_named(
    notebook_factory: NotebookFactory, tmp_path: Path
) -> None:
    """A set's notebook versions are not recorded yet: its manifest names none, and neither
    does the store once the background process has run (the package replaced still named
    a.ipynb's version 1)."""
    notebook_factory("a.ipynb", CORE, kernel="envtest")
    notebook_factory("b.ipynb", B, kernel="envtest")
    command = ["--root", str(tmp_path), "extract", "a.ipynb"]
    result = run_cli(*command, "-o", "pk", "--name", "mylib", "--lineage", "wait", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    first = json.loads((tmp_path / "pk" / MANIFEST).read_text())["lineage"]["notebook_version"]
    result = run_cli(*command, "b.ipynb", "-o", "pk", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Lineage not recorded: the notebook versions of a set" in result.stderr
    assert "lineage" not in json.loads((tmp_path / "pk" / MANIFEST).read_text())
    project = Project(tmp_path)
    try:
        deadline = time.monotonic() + 30
        while versioning.references(project, first["id"]):
            assert time.monotonic() < deadline, "the package still references version 1"
            time.sleep(0.1)
    finally:
        project.close()
