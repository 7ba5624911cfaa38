"""``nbtools extract`` and ``nbtools init`` as a user runs them: real processes, real pytest."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from tests.conftest import NotebookFactory
from tests.unit.test_cli import run_cli

GOOD = [
    ("code", "n = 2", ["parameters"]),
    ("code", "def double(x):\n    return 2 * x", ["export"]),
    ("code", "record('value', double(n))", ["main"]),
    ("code", "assert double(2) == 4", ["test"]),
    ("code", "assert double(1) == 3", ["test"]),
]


def test_extract_writes_tests_and_maps_a_failure_to_its_cell(
    notebook_factory: NotebookFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A terminal that asks for colours (JupyterLab's server often runs with one).
    monkeypatch.setenv("PY_COLORS", "1")
    nb = notebook_factory("calc.ipynb", GOOD)
    result = run_cli("extract", str(nb), "-o", str(tmp_path / "out"), "--test", "--json")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["written"] is True
    tests = {t["name"]: t for t in report["tests"]["tests"]}
    assert tests["test_cell_4"]["outcome"] == "passed"
    failed = tests["test_cell_5"]
    assert (failed["outcome"], failed["cell"], failed["cell_id"]) == ("failed", 4, "cell-4")
    assert (failed["failure_cell"], failed["failure_line"]) == (4, 1)
    assert "tests failed" in result.stderr
    # pytest's output is plain text in the report, whatever the terminal asked for.
    assert "1 failed, 1 passed" in report["tests"]["output"]
    assert "\x1b[" not in report["tests"]["output"]


def test_without_output_the_package_goes_beside_the_notebook_named_as_the_package(
    notebook_factory: NotebookFactory, tmp_path: Path
) -> None:
    """As JupyterLab's wizard suggests it (one rule, ``export.default_output``); ``-o`` was
    required."""
    nb = notebook_factory("nbs/Sales Report 2.ipynb", GOOD[:4])
    written = run_cli("extract", str(nb), "--lineage", "off", "--json")
    assert written.returncode == 0, written.stderr
    assert json.loads(written.stdout)["package"] == "sales_report_2"
    assert (tmp_path / "nbs/sales_report_2/src/sales_report_2/core.py").is_file()
    named = run_cli("extract", str(nb), "--name", "sales", "--lineage", "off")
    assert named.returncode == 0, named.stderr
    assert (tmp_path / "nbs/sales/src/sales/core.py").is_file()
    current = run_cli("extract", str(nb), "--check")
    assert current.returncode == 0, current.stdout + current.stderr
    assert "up to date" in current.stdout


def test_check_passes_when_current_and_fails_with_a_diff_when_stale(
    notebook_factory: NotebookFactory, tmp_path: Path
) -> None:
    nb = notebook_factory("calc.ipynb", GOOD[:4])
    out = tmp_path / "out"
    assert run_cli("extract", str(nb), "-o", str(out), "--lineage", "off").returncode == 0
    current = run_cli("extract", str(nb), "-o", str(out), "--check", "--test")
    assert current.returncode == 0, current.stdout + current.stderr
    assert "up to date" in current.stdout
    assert "1 passed" in current.stdout
    notebook_factory(
        "calc.ipynb",
        [*GOOD[:1], ("code", "def double(x):\n    return x + x", ["export"]), *GOOD[2:4]],
    )
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    stale = run_cli("extract", str(nb), "-o", str(out), "--check")
    assert stale.returncode == 1
    assert "-    return 2 * x\n+    return x + x" in stale.stdout
    assert "out of date" in stale.stderr
    assert before == {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}


def test_a_stale_check_names_the_command_that_updates_the_package(
    notebook_factory: NotebookFactory, tmp_path: Path
) -> None:
    """The advice of a failed --check works as given: without --check when nothing stands in
    the way; with --force instead of --check, and why, when a file was edited by hand."""
    nb = notebook_factory("calc.ipynb", GOOD[:2])
    out = tmp_path / "out"
    assert run_cli("extract", str(nb), "-o", str(out), "--lineage", "off").returncode == 0
    notebook_factory(
        "calc.ipynb", [*GOOD[:1], ("code", "def double(x):\n    return x + x", ["export"])]
    )
    stale = run_cli("extract", str(nb), "-o", str(out), "--check")
    assert stale.returncode == 1
    assert "out of date with the notebook; run nbtools extract without --check to update" in (
        stale.stderr
    )
    core = out / "src/calc/core.py"
    core.write_text(core.read_text() + "# edited by hand\n")
    edited = run_cli("extract", str(nb), "-o", str(out), "--check")
    assert edited.returncode == 1
    assert (
        "1 file(s) out of date with the notebook; run nbtools extract with --force instead of "
        f"--check to update them. These files in {out} were not written by nbtools or were "
        "edited since: src/calc/core.py."
    ) in edited.stderr
    assert run_cli("extract", str(nb), "-o", str(out), "--lineage", "off").returncode == 2
    forced = run_cli("extract", str(nb), "-o", str(out), "--force", "--lineage", "off")
    assert forced.returncode == 0, forced.stderr
    assert (out / "src/calc/core.py.orig").read_text().endswith("# edited by hand\n")
    assert run_cli("extract", str(nb), "-o", str(out), "--check").returncode == 0


def test_an_edit_outside_the_extracted_cells_leaves_the_package_current(
    notebook_factory: NotebookFactory, tmp_path: Path
) -> None:
    """Scratch work changes no generated file, and an edit of one exported cell changes its
    module only: no file carries the whole notebook's hash (the manifest does)."""
    scratch = ("code", "double(21)", [])
    nb = notebook_factory("calc.ipynb", [*GOOD[:4], scratch])
    out = tmp_path / "out"
    assert run_cli("extract", str(nb), "-o", str(out), "--lineage", "off").returncode == 0
    written = json.loads((out / ".nbtools-extract.json").read_text())
    notebook_factory("calc.ipynb", [*GOOD[:4], ("code", "double(22)  # tried another", [])])
    current = run_cli("extract", str(nb), "-o", str(out), "--check")
    assert current.returncode == 0, current.stdout + current.stderr
    assert "up to date" in current.stdout
    again = run_cli("extract", str(nb), "-o", str(out), "--lineage", "off", "--json")
    files = {change["path"]: change["status"] for change in json.loads(again.stdout)["files"]}
    assert set(files.values()) == {"unchanged"}
    manifest = json.loads((out / ".nbtools-extract.json").read_text())
    assert manifest["notebook_sha256"] != written["notebook_sha256"]  # what it was written from
    notebook_factory(
        "calc.ipynb",
        [*GOOD[:1], ("code", "def double(x):\n    return x + x", ["export"]), *GOOD[2:4], scratch],
    )
    stale = run_cli("extract", str(nb), "-o", str(out), "--check", "--json")
    assert stale.returncode == 1
    changed = {c["path"] for c in json.loads(stale.stdout)["files"] if c["status"] != "unchanged"}
    assert changed == {"src/calc/core.py"}


def test_extracting_a_renamed_notebook_points_at_its_old_package(
    notebook_factory: NotebookFactory, tmp_path: Path
) -> None:
    nb = notebook_factory("report.ipynb", GOOD[:4])
    assert (
        run_cli(
            "extract", str(nb), "-o", str(tmp_path / "packages/report"), "--lineage", "off"
        ).returncode
        == 0
    )
    renamed = nb.rename(tmp_path / "quarterly.ipynb")
    said = run_cli("extract", str(renamed), "--lineage", "off", cwd=tmp_path)
    assert said.returncode == 0, said.stderr
    assert (
        "Note: packages/report holds the package of report.ipynb, which no longer exists. If "
        "quarterly.ipynb is that notebook renamed or moved, update its package with "
        "-o packages/report --force."  # it keeps its import name by itself
    ) in said.stderr
    assert (tmp_path / "quarterly").is_dir()  # the note does not stop the extraction
    taken = run_cli(
        "extract",
        str(renamed),
        *("-o", "packages/report", "--force", "--lineage", "off"),
        cwd=tmp_path,
    )
    assert taken.returncode == 0, taken.stderr
    manifest = json.loads((tmp_path / "packages/report/.nbtools-extract.json").read_text())
    assert (manifest["notebook_path"], manifest["package"]) == ("../../quarterly.ipynb", "report")
    # Under another name, the note says to keep the package's.
    (tmp_path / "packages/report").rename(tmp_path / "packages/quarterly_old")
    renamed.rename(tmp_path / "gone.ipynb")
    again = notebook_factory("report.ipynb", GOOD[:4])
    said = run_cli("extract", str(again), "--name", "fresh", "--lineage", "off", cwd=tmp_path)
    assert "update its package with -o packages/quarterly_old --name report --force." in (
        said.stderr
    )


def test_problems_exit_1_and_write_nothing(
    notebook_factory: NotebookFactory, tmp_path: Path
) -> None:
    nb = notebook_factory("bad.ipynb", [("code", "x = undefined_thing + 1", ["main"])])
    result = run_cli("extract", str(nb), "-o", str(tmp_path / "out"))
    assert result.returncode == 1
    assert "cell 1, line 1: 'undefined_thing' is used in a 'main' cell" in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("cells", "args", "message"),
    [
        ([("code", "x = 1", [])], [], "no exported cells"),
        ([("code", "x = 1", ["export"])], ["--name", "Bad-Name"], "Try 'bad_name'"),
        ([("code", "x = 1", ["export"])], ["--version", "one"], "Invalid version"),
    ],
)
def test_bad_input_exits_2_with_a_message(
    notebook_factory: NotebookFactory,
    tmp_path: Path,
    cells: list[tuple[str, str, list[str]]],
    args: list[str],
    message: str,
) -> None:
    nb = notebook_factory("nb.ipynb", cells)
    result = run_cli("extract", str(nb), "-o", str(tmp_path / "out"), *args)
    assert result.returncode == 2
    assert message in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["untagged.ipynb"],  # nothing to extract
        ["gone.ipynb"],
        ["empty"],  # a folder holding no notebook
        ["untagged.ipynb", "./untagged.ipynb"],
        ["notes.ipynb"],  # JSON, not a notebook
    ],
)
def test_a_refusal_of_the_notebooks_given_names_the_argument_notebooks(
    notebook_factory: NotebookFactory, tmp_path: Path, args: list[str]
) -> None:
    """Each names NOTEBOOKS, its ``details.field`` ``notebooks`` as the REST API's set and
    the argument. A notebook with nothing to extract named no field, a folder with none and
    a notebook given twice named ``notebook``, which no argument is, and none said which
    argument to fix."""
    notebook_factory("untagged.ipynb", [("code", "x = 1", [])])
    (tmp_path / "empty").mkdir()
    (tmp_path / "notes.ipynb").write_text("{}")
    result = run_cli("extract", *args, "-o", "out", "--json", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert json.loads(result.stdout)["details"]["field"] == "notebooks"
    assert result.stderr.rstrip().endswith("See NOTEBOOKS.")
    assert not (tmp_path / "out").exists()


def test_corrupt_or_missing_notebook_is_a_clear_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.ipynb"
    broken.write_text('{"nbformat": 4, "cells": [')
    result = run_cli("extract", str(broken), "-o", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "not valid JSON" in result.stderr
    assert "truncated" in result.stderr
    missing = run_cli("extract", str(tmp_path / "nope.ipynb"), "-o", str(tmp_path / "out"))
    assert missing.returncode == 2
    assert "Notebook not found" in missing.stderr


@pytest.mark.parametrize(
    ("where", "message"), [("out", "out is not a directory"), ("out/pkg", "cannot be made: ")]
)
def test_an_output_that_is_a_file_exits_2_and_keeps_the_file(
    notebook_factory: NotebookFactory, tmp_path: Path, where: str, message: str
) -> None:
    nb = notebook_factory("nb.ipynb", GOOD)
    (tmp_path / "out").write_text("mine")
    for mode in ([], ["--check"]):
        result = run_cli("extract", str(nb), "-o", str(tmp_path / where), *mode)
        assert result.returncode == 2, result.stderr
        assert message in result.stderr
        assert "not a directory. Choose another output directory" in result.stderr
        assert result.stderr.endswith("or move that file away. See --output.\n")  # named no flag
        assert "Traceback" not in result.stderr
    assert (tmp_path / "out").read_text() == "mine"


def test_foreign_files_are_refused_unless_forced(
    notebook_factory: NotebookFactory, tmp_path: Path
) -> None:
    nb = notebook_factory("calc.ipynb", GOOD[:2])
    out = tmp_path / "out"
    out.mkdir()
    (out / "data.csv").write_text("a,b\n")
    refused = run_cli("extract", str(nb), "-o", str(out))
    assert refused.returncode == 2
    assert "did not generate (data.csv)" in refused.stderr
    assert "or force the write (those files are kept). See --force." in refused.stderr
    assert sorted(p.name for p in out.iterdir()) == ["data.csv"]
    assert run_cli("extract", str(nb), "-o", str(out), "--force").returncode == 0
    assert (out / "data.csv").read_text() == "a,b\n"


def test_another_notebooks_package_is_refused_unless_forced(
    notebook_factory: NotebookFactory, tmp_path: Path
) -> None:
    first = notebook_factory("first.ipynb", GOOD[:2])
    second = notebook_factory("second.ipynb", GOOD[:2])
    out = tmp_path / "pkg"
    # no lineage: its recording fills the manifest in from another process, at any moment
    write = ["-o", str(out), "--lineage", "off"]
    assert run_cli("extract", str(first), *write).returncode == 0
    before = (out / ".nbtools-extract.json").read_text()
    refused = run_cli("extract", str(second), *write)
    assert refused.returncode == 2
    assert "package of another notebook, first.ipynb" in refused.stderr
    check = run_cli("extract", str(second), "-o", str(out), "--check")
    assert "with --force instead of --check to update them. " in check.stderr
    assert (out / ".nbtools-extract.json").read_text() == before
    assert run_cli("extract", str(first), *write).returncode == 0  # its own: fine
    assert run_cli("extract", str(second), *write, "--force").returncode == 0
    assert json.loads((out / ".nbtools-extract.json").read_text())["notebook"] == "second.ipynb"


def test_the_notebook_is_named_by_its_project_path_and_force_by_its_flag(
    notebook_factory: NotebookFactory, tmp_path: Path
) -> None:
    """A notebook of the project is shown (in the report, --json and the refusals) by its
    root-relative path, as the REST API and JupyterLab name it, not by its file name alone;
    the library's refusals say "force the write", and the command names its flag."""
    notebook_factory("notebooks/forecast.ipynb", GOOD[:2])
    notebook_factory("nbs/forecast.ipynb", GOOD[:2])
    root = ("--root", str(tmp_path))
    here = tmp_path / "notebooks"  # a path as a shell completes it, from the notebook's folder
    written = run_cli(*root, "extract", "forecast.ipynb", "-o", "../pkg", "--lineage", "off",
                      cwd=here)  # fmt: skip
    assert written.returncode == 0, written.stderr
    assert written.stdout.startswith("notebooks/forecast.ipynb: package 'forecast' written to")
    checked = run_cli(*root, "extract", "forecast.ipynb", "-o", "../pkg", "--check", "--json",
                      cwd=here)  # fmt: skip
    assert json.loads(checked.stdout)["notebook"] == "notebooks/forecast.ipynb"
    refused = run_cli(*root, "extract", "nbs/forecast.ipynb", "-o", "pkg", cwd=tmp_path)
    assert refused.returncode == 2
    assert (
        "holds the package of another notebook, notebooks/forecast.ipynb. Choose another output "
        "directory, or force the write to replace that package with nbs/forecast.ipynb's. See "
        "--output or --force."
    ) in " ".join(refused.stderr.split())
    answer = run_cli(*root, "extract", "nbs/forecast.ipynb", "-o", "pkg", "--json", cwd=tmp_path)
    details = json.loads(answer.stdout)["details"]
    assert (details["kind"], details["override"]) == ("another-notebook", "force")


def test_names_from_a_star_import_warn_and_the_package_passes_its_tests(
    notebook_factory: NotebookFactory, tmp_path: Path
) -> None:
    nb = notebook_factory(
        "geometry.ipynb",
        [
            ("code", "from math import *\n\ndef area(r):\n    return pi * r ** 2", ["export"]),
            ("code", "print(floor(area(2)))", ["main"]),
            ("code", "assert floor(area(1)) == 3", ["test"]),
        ],
    )
    result = run_cli("extract", str(nb), "-o", str(tmp_path / "out"), "--test", "--lineage", "off")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (
        "warning: cell 2, line 1: 'floor' is not defined in the notebook; 'from math import *'"
        in (result.stdout)
    )
    assert "tests (current environment): 1 passed" in result.stdout


def test_a_reader_that_goes_away_gets_no_traceback(
    notebook_factory: NotebookFactory, tmp_path: Path
) -> None:
    nb = notebook_factory("calc.ipynb", GOOD)
    read_end, write_end = os.pipe()
    os.close(read_end)  # like `nbtools extract … | head -0`
    entry = [sys.executable, "-c", "from nbtools.cli.main import main; main()"]
    result = subprocess.run(
        [*entry, "extract", str(nb), "-o", str(tmp_path / "out"), "--lineage", "off"],
        stdout=write_end,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    os.close(write_end)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert (tmp_path / "out/src/calc/core.py").is_file()  # the package was written first


def slow_tests(notebook_factory: NotebookFactory, started: Path) -> Path:
    """A notebook whose one test writes its pid to ``started``, then sleeps for 2 minutes."""
    sleeper = (
        "import os, pathlib, time\n"
        f"pathlib.Path({str(started)!r}).write_text(str(os.getpid()))\n"
        "time.sleep(120)"
    )
    cells = [("code", "def f():\n    return 1", ["export"]), ("code", sleeper, ["test"])]
    return notebook_factory("slow.ipynb", cells)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_stopped_extraction_leaves_no_test_process_or_scratch_behind(
    notebook_factory: NotebookFactory, tmp_path: Path, signum: int
) -> None:
    """A CI time limit's SIGTERM, or Ctrl-C, while the package's tests run: the tests are
    stopped with everything they started, and their scratch directory is removed."""
    started = tmp_path / "test-started"
    nb = slow_tests(notebook_factory, started)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    entry = [sys.executable, "-c", "from nbtools.cli.main import main; main()"]
    command = [*entry, "extract", str(nb), "-o", str(tmp_path / "out"), "--test"]
    command += ["--lineage", "off"]
    process = subprocess.Popen(
        command,
        env={**os.environ, "TMPDIR": str(scratch)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # Ctrl-C reaches the terminal's whole foreground group
    )
    deadline = time.monotonic() + 120
    while not started.exists() or not started.read_text():  # made, then written
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the package's test never started"
        time.sleep(0.05)
    test_pid = int(started.read_text())
    if signum == signal.SIGTERM:
        process.send_signal(signum)  # to nbtools alone, as `kill` or a CI runner sends it
    else:
        os.killpg(process.pid, signum)
    _, stderr = process.communicate(timeout=60)
    if signum == signal.SIGTERM:
        assert process.returncode == 143
        assert "nbtools: stopped by SIGTERM." in stderr
    else:  # as shells report a command Ctrl-C stopped, not 1 as a failed check
        assert process.returncode == 130
        assert "nbtools: stopped by Ctrl-C." in stderr
    assert "Traceback" not in stderr
    assert not psutil.pid_exists(test_pid)  # stopped, and reaped by nbtools before it exited
    assert list(scratch.iterdir()) == []  # the tests' scratch directory is gone


def test_tests_over_the_time_limit_are_stopped_with_what_they_started(
    notebook_factory: NotebookFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nbtools.errors import CheckFailedError
    from nbtools.export import testrun
    from nbtools.export.api import ExtractRequest, run_extract

    started = tmp_path / "test-started"
    nb = slow_tests(notebook_factory, started)
    monkeypatch.setattr(testrun, "TIMEOUT_SECONDS", 5)
    with pytest.raises(CheckFailedError, match="The tests took longer than 5 s: every process"):
        run_extract(ExtractRequest(nb, tmp_path / "out", mode="write", test=True))
    test_pid = int(started.read_text())
    assert not psutil.pid_exists(test_pid)  # stopped, and reaped by run_extract


def test_a_folder_given_as_the_notebook_is_said_to_be_one(tmp_path: Path) -> None:
    """``nbtools extract .`` said "No package name can be made from ''"."""
    result = run_cli("extract", ".", cwd=tmp_path)
    assert result.returncode == 2
    assert "Error: . is a directory, not a notebook." in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_lineage_off_in_a_folder_with_no_project_makes_no_store(
    notebook_factory: NotebookFactory, tmp_path: Path
) -> None:
    """The data check of a notebook naming data opened the catalog, which made
    .nbtools/nbtools.db there (and a later command from a sibling folder was refused as
    inside that project). A project without a store has no catalog to read: its data is
    reported undeclared, and nothing but the package is written."""
    nb = notebook_factory(
        "lib/reader.ipynb",
        [("code", "def load():\n    return open('data.csv').read()", ["export"])],
    )
    result = run_cli("extract", str(nb), "-o", "out", "--lineage", "off", cwd=tmp_path / "lib")
    assert result.returncode == 0, result.stderr
    assert "undeclared data: 'data.csv' at cell 1, line 2" in result.stderr
    assert sorted(p.name for p in (tmp_path / "lib").iterdir()) == ["out", "reader.ipynb"]
    assert not (tmp_path / ".nbtools").exists()


def test_a_library_notebook_s_unresolved_data_calls_are_one_line_with_their_count(
    notebook_factory: NotebookFactory, tmp_path: Path
) -> None:
    """Library code reads paths it is given: each such call was a line of its own on every
    extraction (18 for nbdev's 01_config). One line counts them and names the command listing
    them; --json keeps each."""
    code = (
        "import pathlib\n\ndef read(p):\n    return pathlib.Path(p).read_text()\n\n"
        "def load(p):\n    return open(p).read()"
    )
    nb = notebook_factory("lib.ipynb", [("code", code, ["export"])])
    said = run_cli("extract", str(nb), "-o", "out", "--lineage", "off", cwd=tmp_path)
    assert said.returncode == 0, said.stderr
    unresolved = [line for line in said.stderr.splitlines() if "unresolved" in line]
    assert unresolved == [
        "  unresolved: 2 data calls in cell 1 (the check cannot tell before the run what they "
        "read; nbtools data check lib.ipynb lists them)"
    ]
    shown = run_cli("extract", str(nb), "-o", "out", "--lineage", "off", "--json", cwd=tmp_path)
    answer = json.loads(shown.stdout)
    assert [call["line"] for call in answer["data"]["unresolved"]] == [4, 7]
