"""Text on the command line that UTF-8 cannot hold, and notebooks holding such text: exit 2
naming the option, the argument or the cell, never a traceback, and nothing recorded.

Python reads each byte of the command line that is not UTF-8 as a lone surrogate
(``b"\\xff"`` as ``"\\udcff"``); click's test runner is given such text directly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from nbtools.cli.app import cli
from tests.conftest import make_notebook, nbtools, recorded

#: A notebook with a text parameter, and one whose second cell holds a lone surrogate.
PARAMETERS = make_notebook([("code", "s = 'a'", ["parameters"]), ("code", "print(s)", [])])
DAMAGED = make_notebook([("code", "s = 'a'", ["parameters"]), ("code", "x = '\ud800'", [])])


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # `extract` reads its notebook from here
    (tmp_path / "p.ipynb").write_text(json.dumps(PARAMETERS))
    (tmp_path / "q\udcff.ipynb").write_text(json.dumps(PARAMETERS))  # its name's byte 0xff
    (tmp_path / "bad.ipynb").write_text(json.dumps(DAMAGED))  # "\ud800", as JSON escapes it
    return tmp_path


@pytest.mark.parametrize(
    ("args", "named", "typed"),
    [
        (["run", "p.ipynb", "-p", "s=\udcff"], "--parameter", "s=\\xff"),
        (["run", "p.ipynb", "-p", "\udcff=1"], "--parameter", "\\xff=1"),
        (["run", "q\udcff.ipynb"], "NOTEBOOK", "q\\xff.ipynb"),
        (["schedule", "add", "p.ipynb", "-p", "s=a\udcff"], "--parameter", "s=a\\xff"),
        (["schedule", "add", "p.ipynb", "--name", "n\udcff"], "--name", "n\\xff"),
        (["schedule", "add", "q\udcff.ipynb"], "NOTEBOOK", "q\\xff.ipynb"),
        (["schedule", "pause", "j\udcff"], "JOB", "j\\xff"),
        (["runs", "list", "--job", "\udcff"], "--job", "\\xff"),
        (["version", "save", "p.ipynb", "-m", "m\udcff"], "--message", "m\\xff"),
        (["extract", "q\udcff.ipynb"], "NOTEBOOKS", "q\\xff.ipynb"),
        (["env", "show", "\udcff"], "SNAPSHOT", "\\xff"),
    ],
)
def test_bytes_that_are_not_utf8_are_exit_2_naming_the_option(
    root: Path, args: list[str], named: str, typed: str
) -> None:
    """Each was a traceback (the store refused the text: UnicodeEncodeError), or a run or a
    job accepted that then failed on every run."""
    result = nbtools(root, *args)
    assert result.exit_code == 2, result.output
    said = " ".join(result.stderr.split())
    assert f"Error: {named} must be UTF-8 text, as nbtools keeps paths, names and values: " \
        f"{typed} holds bytes that are not UTF-8 (shown as \\xNN)." in said  # fmt: skip
    assert "Traceback" not in result.output
    assert recorded(root) == ([], [])
    answered = nbtools(root, *args, "--json")
    assert answered.exit_code == 2
    # the field typed or shown in the usage line, not the code's name (parameters, snapshot_ref)
    assert json.loads(answered.stdout)["details"]["field"] == named.lstrip("-").lower()


@pytest.mark.parametrize(
    ("args", "named", "typed"),
    [
        (["--root", "{root}/\udcff", "status"], "--root", "{root}/\\xff"),
        (
            ["--db-url", "sqlite:///{root}/\udcff.db", "status"],
            "--db-url",
            "sqlite:///{root}/\\xff.db",
        ),
        (["--config", "{root}/\udcff.py", "status"], "--config", "{root}/\\xff.py"),
        (["env", "export", "--index-url", "https://\udcff/"], "--index-url", "https://\\xff/"),
    ],
)
def test_a_path_or_url_flag_typed_with_bytes_that_are_not_utf8_is_exit_2(
    root: Path, args: list[str], named: str, typed: str
) -> None:
    """The global options and the other flags setting a path or URL were not checked:
    ``--root`` and ``--db-url`` were a traceback (UnicodeEncodeError), ``--config`` was read."""
    (root / "\udcff").mkdir()  # a root and a config file that exist: only the bytes are wrong
    (root / "\udcff.py").write_text("c.NbtoolsSettings.actor = 'x'\n")
    given = ["--root", str(root), *(arg.format(root=root) for arg in args)]
    result = CliRunner().invoke(cli, given)
    assert result.exit_code == 2, result.output
    said = " ".join(result.stderr.split())
    assert f"Error: {named} must be UTF-8 text, as nbtools keeps paths, names and values: " \
        f"{typed.format(root=root)} holds bytes that are not UTF-8 (shown as \\xNN)." in said  # fmt: skip
    answered = CliRunner().invoke(cli, [*given, "--json"])
    assert answered.exit_code == 2, answered.output
    assert json.loads(answered.stdout)["message"].startswith(f"{named} must be UTF-8 text")
    assert not list(root.rglob("*.db"))


def test_real_bytes_on_the_command_line_are_exit_2(root: Path) -> None:
    """As a shell passes them: the console entry in a fresh interpreter."""
    command = [sys.executable, "-c", "from nbtools.cli.main import main; main()"]
    for args in ([b"run", b"q\xff.ipynb"], [b"run", b"p.ipynb", b"-p", b"s=\xff\xfe"]):
        done = subprocess.run([*command, b"--root", bytes(root), *args], capture_output=True)
        assert done.returncode == 2, done.stderr
        assert b"must be UTF-8 text" in done.stderr
        assert b"Traceback" not in done.stderr
    assert recorded(root) == ([], [])


@pytest.mark.parametrize(
    "args", [["run", "bad.ipynb"], ["extract", "bad.ipynb"], ["schedule", "add", "bad.ipynb"]]
)
def test_a_notebook_holding_a_lone_surrogate_is_exit_2_naming_the_cell(
    root: Path, args: list[str]
) -> None:
    """A run failed on it (UnicodeEncodeError, cell 2), an extraction was a traceback."""
    result = nbtools(root, *args)
    assert result.exit_code == 2, result.output
    assert "Error: bad.ipynb: cell 2, line 1 holds the lone surrogate \\ud800" in result.stderr
    assert recorded(root) == ([], [])


def test_versioning_keeps_a_notebook_holding_a_lone_surrogate(root: Path) -> None:
    saved = nbtools(root, "version", "save", "bad.ipynb")
    assert saved.exit_code == 0, saved.output
    assert saved.stdout.startswith("Recorded version 1 of bad.ipynb")


def test_an_actor_typed_with_bytes_that_are_not_utf8_is_exit_2(root: Path) -> None:
    result = nbtools(root, "--actor", "a\udcff", "version", "save", "p.ipynb")
    assert result.exit_code == 2
    assert "Error: --actor must be UTF-8 text, as nbtools keeps paths" in result.stderr
    variable = CliRunner(env={"NBTOOLS_ACTOR": "a\udcff"}).invoke(
        cli, ["--root", str(root), "version", "save", "p.ipynb"]
    )
    assert variable.exit_code == 2
    assert "Error: $NBTOOLS_ACTOR must be UTF-8 text, as nbtools keeps paths" in variable.stderr
    assert json.loads(nbtools(root, "version", "log", "p.ipynb", "--json").stdout) == []


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("NBTOOLS_DB_URL", b"sqlite:///{root}/\xff.db"),
        ("NBTOOLS_DB_URL", b"postgresql://me:secret@db/\xff"),  # its login not shown
        ("NBTOOLS_ROOT", b"{root}/\xff"),
        ("NBTOOLS_STORE_DIR", b"st\xff"),
        ("NBTOOLS_CONFIG", b"{root}/\xff.py"),
        ("NBTOOLS_ACTOR", b"a\xff"),
    ],
)
def test_an_environment_variable_holding_bytes_that_are_not_utf8_is_exit_2_naming_it(
    root: Path, variable: str, value: bytes
) -> None:
    """As a shell passes it (``NBTOOLS_DB_URL=$(printf 'sqlite:////x/\\xff.db')``): the
    database's URL was a traceback (UnicodeEncodeError), the root's refusal showed
    ``\\udcff``, the config file was looked for; each is now refused as such a flag is,
    naming the variable, before anything is made."""
    (root / "\udcff").mkdir()  # what the root and the config file name exists
    (root / "\udcff.py").write_text("c.NbtoolsSettings.actor = 'x'\n")
    given = value.replace(b"{root}", bytes(root))
    command = [sys.executable, "-c", "from nbtools.cli.main import main; main()", "status"]
    environment = {**os.environb, variable.encode(): given}
    for json_asked in (False, True):
        done = subprocess.run(
            [*command, *(["--json"] if json_asked else [])],
            capture_output=True,
            env=environment,
            cwd=root,
        )
        assert done.returncode == 2, done.stderr
        said = done.stderr.decode()
        shown = given.decode("utf-8", "backslashreplace").replace("me:secret@", "")
        expected = (
            f"${variable} must be UTF-8 text, as nbtools keeps paths, names and values: "
            f"{shown} holds bytes that are not UTF-8 (shown as \\xNN)."
        )
        assert said.startswith(f"Error: {expected} Give it in UTF-8"), said
        assert "Traceback" not in said
        assert "secret" not in said
        if json_asked:
            error = json.loads(done.stdout)
            assert error["message"].startswith(expected)
            assert error["details"] == {"variable": variable}
    assert sorted(path.name for path in root.iterdir()) == sorted(
        ["bad.ipynb", "p.ipynb", "q\udcff.ipynb", "\udcff", "\udcff.py"]
    )
