"""Long commands at a terminal: ``nbtools run`` shows a bar of the run's cells on standard
error while it runs, ``extract --test`` a spinner while the tests run and ``env export`` a
count of the releases the index answered; all gone when the work ends, and nothing of them in
a log or a pipe (nbtools/cli/progress.py)."""

from __future__ import annotations

import os
import re
import select
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import NotebookFactory
from tests.index_mirror import serving_mirror, with_login

pytestmark = pytest.mark.slow

#: The terminal's control sequences (colours, cursor moves), stripped to read its text.
CONTROL = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def at_terminal(root: Path, *args: str) -> tuple[int, str, str]:
    """``nbtools ARGS`` with standard error on a pseudo-terminal (standard output piped):
    its exit code, standard output, and every frame the terminal was sent, as text."""
    master, slave = os.openpty()
    process = subprocess.Popen(
        [sys.executable, "-c", "from nbtools.cli.main import main; main()", "--root", str(root),
         *args],
        stdout=subprocess.PIPE,
        stderr=slave,
        env={**os.environ, "TERM": "xterm-256color", "COLUMNS": "100"},
    )  # fmt: skip
    os.close(slave)
    sent = bytearray()
    while True:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the process closed its end
                break
            if not chunk:
                break
            sent += chunk
        elif process.poll() is not None:
            break
    os.close(master)
    assert process.stdout is not None
    out = process.stdout.read().decode()
    process.wait(timeout=60)
    text = CONTROL.sub("", sent.decode(errors="replace")).replace("\r", "\n")
    return process.returncode, out, text


def test_a_run_at_a_terminal_shows_its_cells_as_they_run_then_only_its_result(
    tmp_path: Path, notebook_factory: NotebookFactory
) -> None:
    notebook_factory(
        "steps.ipynb",
        [("code", "import time", []), *[("code", "time.sleep(0.4)", [])] * 3],
    )
    code, out, terminal = at_terminal(tmp_path, "run", "steps.ipynb")
    assert code == 0, terminal
    frames = [line.strip() for line in terminal.splitlines() if line.startswith("Run 1:")]
    assert any(frame.startswith("Run 1: starting the kernel") for frame in frames), frames
    for cell in (2, 3, 4):  # each sleeping cell was seen running, with the count before it
        assert any(
            frame.startswith(f"Run 1: cell {cell} ") and f" {cell - 1}/4 cells " in frame
            for frame in frames
        ), frames
    assert "│ succeeded " in out  # the result, on standard output
    assert "cells 0:00" not in out  # the bar went to the terminal only


def test_a_run_whose_standard_error_is_not_a_terminal_shows_no_bar(
    tmp_path: Path, notebook_factory: NotebookFactory
) -> None:
    notebook_factory("one.ipynb", [("code", "1 + 1", [])])
    said = subprocess.run(
        [sys.executable, "-c", "from nbtools.cli.main import main; main()", "--root",
         str(tmp_path), "run", "one.ipynb"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "TERM": "xterm-256color"},
    )  # fmt: skip
    assert said.returncode == 0, said.stderr
    assert said.stderr == ""  # a CI log gets the command's own lines alone
    assert "succeeded" in said.stdout


def test_extract_with_tests_at_a_terminal_shows_a_spinner_while_they_run(
    tmp_path: Path, notebook_factory: NotebookFactory
) -> None:
    notebook_factory(
        "calc.ipynb",
        [("code", "def double(x):\n    return 2 * x", ["export"]),
         ("code", "assert double(2) == 4", ["test"])],
    )  # fmt: skip
    code, out, terminal = at_terminal(
        tmp_path, "extract", str(tmp_path / "calc.ipynb"), "--test", "--lineage", "off"
    )
    assert code == 0, terminal
    assert "Extracting, then testing the package" in terminal
    assert "1 passed" in out
    assert "Extracting, then testing" not in out


def test_a_lock_file_export_at_a_terminal_counts_the_releases_the_index_answers(
    tmp_path: Path,
) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("six==1.17.0\n", encoding="utf-8")
    with serving_mirror() as mirror:
        code, out, terminal = at_terminal(
            tmp_path, "env", "export", str(requirements), "--format", "pylock",
            "--index-url", with_login(mirror, "/slow"),
        )  # fmt: skip
    assert code == 0, terminal
    assert f"Looking up releases on {mirror.base}/slow" in terminal
    assert "0/1" in terminal  # counted as they are found
    assert "t0k" not in terminal  # the login is not shown
    assert 'name = "six"' in out
    assert "Looking up" not in out


def test_a_store_copy_at_a_terminal_counts_the_rows_copied(
    tmp_path: Path, notebook_factory: NotebookFactory
) -> None:
    for step in range(3):
        notebook_factory("nb.ipynb", [("code", f"x = {step}", [])])
        assert at_terminal(tmp_path, "version", "save", "nb.ipynb")[0] == 0
    target = f"sqlite:///{tmp_path / 'copy.db'}"
    code, out, terminal = at_terminal(tmp_path, "store", "copy", "--to", target)
    assert code == 0, terminal
    copied = re.search(r"Copied the store, (\d+) rows", out)
    assert copied is not None, out
    rows = copied[1]
    frames = [line for line in terminal.splitlines() if line.startswith("Copying the store")]
    assert any(f" {rows}/{rows} " in frame for frame in frames), frames
    assert "Copying the store" not in out
