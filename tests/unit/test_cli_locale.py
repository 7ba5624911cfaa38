"""``nbtools`` in a locale whose encoding is not UTF-8: every file it reads or writes as text
is UTF-8 whatever the locale, and what the terminal's encoding cannot show is escaped.

``LC_ALL=C`` alone turns Python's UTF-8 mode on; with ``PYTHONUTF8=0`` too, the locale's
encoding (ASCII) is Python's default for files, pipes, standard streams and the command line.
The console script runs as a user runs it, in that locale."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import make_notebook

NBTOOLS = str(Path(sys.executable).parent / "nbtools")
#: The C locale with Python's UTF-8 mode off.
ASCII = {"PYTHONUTF8": "0", "LC_ALL": "C", "PYTHONIOENCODING": ""}


def run(root: Path, *args: str, **env: str) -> subprocess.CompletedProcess[bytes]:
    """``nbtools --root ROOT ARGS…`` with the variables ``env`` set; its output as bytes."""
    return subprocess.run(
        [NBTOOLS, "--root", str(root), *args],
        env={**os.environ, "COLUMNS": "200", **env},
        capture_output=True,
        timeout=300,
        check=False,
    )


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A project holding a notebook and a catalog file with text beyond ASCII."""
    notebook = make_notebook([("code", "days = 1  # café ★", ["parameters"])])
    (tmp_path / "nb.ipynb").write_text(json.dumps(notebook, ensure_ascii=False), "utf-8")
    (tmp_path / "datasets.yaml").write_text(
        "datasets:\n  clients:\n    location: data/c.csv\n    description: Clients — café\n",
        "utf-8",
    )
    (tmp_path / "config.json").write_text('{"NbtoolsSettings": {"actor": "zoë"}}', "utf-8")
    return tmp_path


def test_store_commands_read_their_files_as_utf8_in_an_ascii_locale(root: Path) -> None:
    """Every command opening the store failed (UnicodeDecodeError reading a migration's
    script); the config file and datasets.yaml are read as UTF-8; what ASCII cannot show is
    printed escaped, never a UnicodeEncodeError."""
    listed = run(root, "runs", "list", **ASCII)
    assert listed.returncode == 0, listed.stderr.decode(errors="replace")
    assert listed.stdout.startswith(b"No runs yet")
    saved = run(
        root,
        "--config",
        str(root / "config.json"),
        "version",
        "save",
        "nb.ipynb",
        "-m",
        "v1",
        **ASCII,
    )
    assert saved.returncode == 0, saved.stderr.decode(errors="replace")
    synced = run(root, "--config", str(root / "config.json"), "data", "sync", **ASCII)
    assert (synced.returncode, synced.stdout) == (0, b"added: clients\n")
    shown = run(root, "data", "list", **ASCII)
    assert shown.returncode == 0
    assert b"caf\\xe9" in shown.stdout
    assert shown.stdout.isascii()
    log = run(root, "version", "log", "nb.ipynb", **ASCII)
    assert log.returncode == 0, log.stderr.decode(errors="replace")
    assert b"zo\\xeb" in log.stdout  # the actor the config file named
    trail = run(root, "audit", "list", "--json", **ASCII)
    assert {entry["actor"] for entry in json.loads(trail.stdout)} == {"zoë"}


def test_a_named_version_s_star_is_escaped_where_the_terminal_cannot_show_it(root: Path) -> None:
    assert run(root, "version", "save", "nb.ipynb", "-m", "first").returncode == 0
    log = run(root, "version", "log", "nb.ipynb", PYTHONIOENCODING="ascii")
    assert log.returncode == 0, log.stderr.decode(errors="replace")
    assert b"\\u2605 first" in log.stdout  # the star of a named version


def test_a_utf8_argument_python_cannot_read_is_refused_for_what_it_is(root: Path) -> None:
    """It was refused as "bytes that are not UTF-8", which they are."""
    refused = run(root, "version", "log", "café.ipynb", **ASCII)
    assert refused.returncode == 2
    assert refused.stderr.decode() == (
        "Error: NOTEBOOK: caf\\xe9.ipynb is UTF-8 text, but Python reads this command line "
        "as ascii, its locale's encoding, and could not open a file of that name: run "
        "nbtools in a UTF-8 locale (LC_ALL=C.UTF-8) or with PYTHONUTF8=1.\n"
    )
    other = run(root, "version", "log", os.fsdecode(b"caf\xff.ipynb"), **ASCII)
    assert other.returncode == 2
    assert b"holds bytes that are not UTF-8" in other.stderr


@pytest.mark.slow
def test_a_kernel_s_environment_is_captured_in_an_ascii_locale(root: Path) -> None:
    """The capture script, given to the kernel's interpreter on its command line, held
    characters beyond ASCII: UnicodeEncodeError starting it."""
    taken = run(root, "env", "snapshot", "--json", **ASCII)
    assert taken.returncode == 0, taken.stderr.decode(errors="replace")
    assert json.loads(taken.stdout)["distributions"]
