"""``nbtools extract`` refusing the names a generated package cannot use, as a user runs it:
a parameter whose option is the package command's own, modules importing each other, a
package named after a library, a notebook name with no ASCII form, names and paths too long for
the file system, code nested too deeply for Python's parser."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import NotebookFactory
from tests.unit.test_cli import run_cli


def test_a_parameter_named_help_is_refused_at_its_line_and_nothing_is_written(
    notebook_factory: NotebookFactory, tmp_path: Path
) -> None:
    cells = [
        ("code", "days = 3\nhelp = 1", ["parameters"]),
        ("code", "from nbtools import record\nrecord('out', help + days)", ["main"]),
    ]
    nb = notebook_factory("pp.ipynb", cells)
    refused = run_cli("extract", str(nb), "-o", str(tmp_path / "out"), "--lineage", "off")
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "error: cell 1, line 2: The package's command line cannot take the parameter " in (
        refused.stderr
    )
    assert "Traceback" not in refused.stderr
    assert not (tmp_path / "out").exists()
    notebook_factory(
        "pp.ipynb", [(kind, code.replace("help", "help_value"), tags) for kind, code, tags in cells]
    )
    written = run_cli("extract", str(nb), "-o", str(tmp_path / "out"), "--lineage", "off")
    assert written.returncode == 0, written.stderr
    usage = subprocess.run(
        [sys.executable, "-m", "pp", "--help"],
        cwd=tmp_path / "out/src",
        capture_output=True,
        text=True,
        check=True,
    )
    assert "--help-value HELP_VALUE" in usage.stdout


def test_modules_taking_names_from_each_other_are_refused_naming_the_cycle(
    notebook_factory: NotebookFactory, tmp_path: Path
) -> None:
    """The explorer's notebook: it runs, but its package could not be imported."""
    cells = [
        ("code", "#| export a\ndef is_even(n):\n    return True if n == 0 else is_odd(n - 1)", []),
        ("code", "#| export b\ndef is_odd(n):\n    return False if n == 0 else is_even(n - 1)", []),
        ("code", "assert is_even(4) and is_odd(3)", ["test"]),
    ]
    nb = notebook_factory("circ.ipynb", cells)
    for mode in ([], ["--check"]):
        refused = run_cli("extract", str(nb), "-o", str(tmp_path / "out"), *mode)
        assert refused.returncode == 1, refused.stdout + refused.stderr
        assert (
            "error: cell 2, line 3: Modules a and b import names from each other, so the "
            "package cannot be imported: a (cell 1) imports 'is_odd' from b; b (cell 2) imports "
            "'is_even' from a, which is still being imported"
        ) in refused.stderr
        assert not (tmp_path / "out").exists()
    notebook_factory("circ.ipynb", [(k, c.replace("export b", "export a"), t) for k, c, t in cells])
    tested = run_cli("extract", str(nb), "-o", str(tmp_path / "out"), "--test", "--lineage", "off")
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "1 passed" in tested.stdout


def test_a_notebook_name_is_read_in_ascii_or_a_name_is_asked_for(
    notebook_factory: NotebookFactory, tmp_path: Path
) -> None:
    cells = [("code", "def f():\n    return 1", ["export"]), ("code", "assert f() == 1", ["test"])]
    accented = notebook_factory("nbs/Ünïcode.ipynb", cells)
    written = run_cli("extract", str(accented), "--lineage", "off", "--json")
    assert written.returncode == 0, written.stderr
    assert json.loads(written.stdout)["package"] == "unicode"
    assert (tmp_path / "nbs/unicode/src/unicode/core.py").is_file()
    cyrillic = notebook_factory("nbs/Анализ.ipynb", cells)
    for output in ([], ["-o", str(tmp_path / "an")]):
        refused = run_cli("extract", str(cyrillic), *output, "--lineage", "off")
        assert refused.returncode == 2, refused.stdout + refused.stderr
        assert refused.stderr == (
            "Error: No package name can be made from 'Анализ': its letters А н а л и з have no "  # noqa: RUF001
            "ASCII form, and a package's name is ASCII (it is also its distribution's name in "
            "pyproject.toml, PEP 508). Name the package with ASCII letters, digits and "
            "underscores. See --name.\n"
        )
    given = run_cli("extract", str(cyrillic), "--name", "анализ", "-o", str(tmp_path / "an"))
    assert given.returncode == 2
    assert "Invalid package name 'анализ': it is not ASCII" in given.stderr
    named = ["--name", "analiz", "-o", str(tmp_path / "an"), "--lineage", "off", "--test"]
    tested = run_cli("extract", str(cyrillic), *named)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "1 passed" in tested.stdout


def test_a_notebook_named_after_a_library_it_imports_does_not_hide_it(
    notebook_factory: NotebookFactory, tmp_path: Path
) -> None:
    """The explorer's click.ipynb: the package was `click`, its code imported itself, and its
    dependency on click was dropped."""
    cells = [
        ("code", "import click\n\ndef f():\n    return click.style('x', fg='red')", ["export"]),
        ("code", "assert f().startswith('\\x1b[31mx')", ["test"]),
    ]
    nb = notebook_factory("click.ipynb", cells)
    written = run_cli("extract", str(nb), "--lineage", "off", "--test", "--json")
    assert written.returncode == 0, written.stdout + written.stderr
    report = json.loads(written.stdout)
    assert (report["package"], report["tests"]["counts"]["passed"]) == ("click_pkg", 1)
    assert report["dependencies"]["click"].startswith("click>=")
    assert '"click>=' in (tmp_path / "click_pkg/pyproject.toml").read_text()
    given = run_cli(
        "extract", str(nb), "--name", "click", "-o", str(tmp_path / "other"), "--lineage", "off"
    )
    assert given.returncode == 2
    assert given.stderr == (
        "Error: Invalid package name 'click': it is the name of a module installed in this "
        "environment, which a package of that name would hide. Try 'click_pkg'. See --name.\n"
    )
    uninstalled = notebook_factory(
        "lib.ipynb", [("code", "import zz_no_such_lib\nVALUE = zz_no_such_lib.value", ["export"])]
    )
    refused = run_cli("extract", str(uninstalled), "--name", "zz_no_such_lib")
    assert refused.returncode == 2
    assert "the notebook imports the library zz_no_such_lib (cell 1, line 1)" in refused.stderr
    assert not (tmp_path / "other").exists()


#: A module name of 201 bytes: one more than a module's file name may have.
LONG = "m" * 201


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            f"#| export {LONG}\nx = 1",
            f"error: cell 1: The cell cannot be exported: the module '{'m' * 60}…' is too long "
            "for its file's name: its name has 201 bytes (UTF-8), where a module's file name "
            "may have 200. Export it to a module of a shorter name.",
        ),
        (  # 101 letters of two bytes each
            f"#| export data.{'é' * 101}\nx = 1",
            "a part of its name has 202 bytes (UTF-8), where a module's file name may have 200",
        ),
        (
            "#| export " + ".".join(["m" * 100] * 5) + "\nx = 1",
            "its name has 504 bytes (UTF-8), where a module's path in the package may have 500",
        ),
        (  # the cell is exported to the main module, core
            f"#| default_exp {LONG}\n#| export\nx = 1",
            f"error: cell 1, line 1: default_exp: the module '{'m' * 60}…' is too long",
        ),
    ],
)
def test_a_module_name_too_long_for_a_file_is_refused_at_its_cell(
    notebook_factory: NotebookFactory, tmp_path: Path, source: str, message: str
) -> None:
    """It was a traceback (OSError: File name too long), with some of the package written.
    A problem of the notebook (exit 1), also when it leaves no cell to export."""
    nb = notebook_factory("nb.ipynb", [("code", source, [])])
    for mode in (["--check"], []):
        refused = run_cli("extract", str(nb), "-o", str(tmp_path / "out"), *mode)
        assert refused.returncode == 1, refused.stdout + refused.stderr
        assert message in refused.stderr
        assert "Traceback" not in refused.stderr
    assert not (tmp_path / "out").exists()


def test_names_up_to_the_limits_are_written(
    notebook_factory: NotebookFactory, tmp_path: Path
) -> None:
    """Module names whose parts have 200 bytes, 500 in all, a package of 200 characters; a
    notebook's longer name gives a package of its first 200."""
    module = ".".join(["é" * 100, "m" * 200, "n" * 98])
    assert len(module.encode()) == 500
    cells = [("code", f"#| export {module}\nx = 1", []), ("code", "assert x == 1", ["test"])]
    nb = notebook_factory("nb.ipynb", cells)
    out = ["-o", str(tmp_path / "out"), "--lineage", "off", "--json"]
    written = run_cli("extract", str(nb), "--name", "p" * 200, *out)
    assert written.returncode == 0, written.stderr
    path = f"src/{'p' * 200}/{module.replace('.', '/')}.py"
    assert (tmp_path / "out" / path).read_text().endswith("x = 1\n")
    long_notebook = notebook_factory("n" * 240 + ".ipynb", cells)
    derived = run_cli("extract", str(long_notebook), "--lineage", "off", "--json", "--test")
    assert derived.returncode == 0, derived.stderr
    assert json.loads(derived.stdout)["package"] == "n" * 200
    assert (tmp_path / ("n" * 200) / "tests" / f"test_{'n' * 200}.py").is_file()


def folders(size: int) -> list[str]:
    """Folder names (of 250 characters at most) making a path of ``size`` more characters."""
    names = []
    while size > 1:
        names.append("d" * min(250, size - 1))
        size -= len(names[-1]) + 1
    return names


def test_a_package_name_or_an_output_too_long_is_refused_before_anything_is_written(
    notebook_factory: NotebookFactory, tmp_path: Path
) -> None:
    nb = notebook_factory("nb.ipynb", [("code", "x = 1", ["export"])])
    for output in ([], ["-o", str(tmp_path / "out")]):
        refused = run_cli("extract", str(nb), "--name", "p" * 201, *output, "--lineage", "off")
        assert refused.returncode == 2, refused.stderr
        assert refused.stderr == (
            f"Error: Invalid package name '{'p' * 60}…': it has 201 characters, and a package's "
            "name at most 200 (the names of its files must fit the file system's). Give a "
            "shorter name. See --name.\n"
        )
    for too_long in (tmp_path / ("o" * 300), tmp_path / "new" / ("o" * 300)):
        # in a folder not made yet: a traceback (File name too long) after new/ was made
        refused = run_cli("extract", str(nb), "-o", str(too_long))
        assert refused.returncode == 2, refused.stderr
        assert refused.stderr.endswith(
            "is too long for the file system: shorten its file or folder names. See --output.\n"
        )
    deep = tmp_path.joinpath(*folders(4080 - len(str(tmp_path))))  # fits Linux's 4095 bytes
    no_room = run_cli("extract", str(nb), "-o", str(deep))
    assert no_room.returncode == 2, no_room.stderr
    assert "leaves too little room for the package's files: src/nb/__init__.py would have" in (
        no_room.stderr
    )
    assert no_room.stderr.endswith(
        "Choose an output directory with a shorter path. See --output.\n"
    )
    assert not any(tmp_path.glob("o*"))
    assert not (tmp_path / "new").exists()
    assert not any(tmp_path.glob("d*"))


def test_code_nested_too_deeply_for_python_s_parser_is_a_problem_not_a_traceback(
    notebook_factory: NotebookFactory, tmp_path: Path
) -> None:
    """A chain of unary operators overflows the parser's stack: a MemoryError it was."""
    deep = "-" * 100_000 + "1"
    nb = notebook_factory("nb.ipynb", [("code", f"#| export\nx = {deep}", [])])
    refused = run_cli("extract", str(nb), "-o", str(tmp_path / "out"))
    assert refused.returncode == 1, refused.stderr
    assert "error: cell 1, line 2: The cell nests an expression too deeply" in refused.stderr
    assert not (tmp_path / "out").exists()
    notebook_factory("p.ipynb", [("code", f"days = {deep}", ["parameters"])])
    run = run_cli("--root", str(tmp_path), "run", str(tmp_path / "p.ipynb"))
    assert run.returncode == 2, run.stderr
    assert "The parameters cell (cell 1) nests an expression too deeply to be read" in run.stderr


def test_a_package_updated_without_a_name_keeps_its_name_as_its_version(
    notebook_factory: NotebookFactory, tmp_path: Path
) -> None:
    """Without --name, an update found the package, kept its version and renamed it after
    the notebook (src/sub/, its own absolute imports broken); --check was always stale."""
    nb = notebook_factory(
        "sub.ipynb",
        [
            ("code", "def load():\n    return 1", ["export:data.load"]),
            (
                "code",
                "from mylib.data.load import load\n\ndef total():\n    return load()",
                ["export"],
            ),
        ],
    )
    named = ("--name", "mylib", "--version", "1.2.0", "--lineage", "off")
    assert run_cli("extract", str(nb), "-o", "keep", *named, cwd=tmp_path).returncode == 0
    again = run_cli("extract", str(nb), "--lineage", "off", "--json", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    report = json.loads(again.stdout)
    assert (report["package"], report["output"]) == ("mylib", "keep")
    assert {c["status"] for c in report["files"]} == {"unchanged"}
    assert not (tmp_path / "keep/src/sub").exists()
    current = run_cli("extract", str(nb), "--check", cwd=tmp_path)
    assert current.returncode == 0, current.stdout + current.stderr
