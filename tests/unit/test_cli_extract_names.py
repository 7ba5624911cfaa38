"""``nbtools extract`` refusing the names a generated package cannot use, as a user runs it:
a parameter whose option is the package command's own, modules importing each other, a
package named after a library, a notebook name with no ASCII form."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

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
