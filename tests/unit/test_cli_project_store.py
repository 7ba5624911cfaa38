"""Where the CLI makes a project's store, and what it says when it cannot: a command that only
reads makes none, and a folder it may not write in is one line naming it, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from nbtools.cli.app import cli
from nbtools.project import Project
from tests.conftest import make_notebook, unwritable

#: Commands that only read, and their answer in a folder inside no project: the empty state
#: (exit 0) or the item asked for not found (exit 2).
READERS = [
    (["runs", "list"], 0),
    (["runs", "show", "1"], 2),
    (["version", "log", "nb.ipynb"], 0),
    (["version", "log", "gone.ipynb"], 2),
    (["version", "show", "nb.ipynb"], 2),
    (["version", "verify"], 0),
    (["status"], 0),
    (["schedule", "list"], 0),
    (["schedule", "show", "1"], 2),
    (["alerts", "list"], 0),
    (["alerts", "rule", "list"], 0),
    (["audit", "list"], 0),
    (["data", "list"], 0),
    (["data", "show", "sales"], 2),
    (["env", "list"], 0),
    (["metrics", "show", "1"], 2),
    (["metrics", "series", "daily"], 2),
]


@pytest.fixture
def no_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder inside no project, the working directory, holding one notebook."""
    folder = tmp_path / "home"
    folder.mkdir()
    (folder / "nb.ipynb").write_text(json.dumps(make_notebook([("code", "x = 1", [])])))
    monkeypatch.chdir(folder)
    for variable in ("NBTOOLS_ROOT", "NBTOOLS_STORE_DIR", "NBTOOLS_DB_URL"):
        monkeypatch.delenv(variable, raising=False)
    return folder


@pytest.mark.parametrize(("command", "code"), READERS)
def test_a_command_that_only_reads_makes_no_project(
    no_project: Path, command: list[str], code: int
) -> None:
    """``nbtools runs list`` in ``~`` made ``~/.nbtools``, and so ``~`` the project of every
    folder below it; now it shows the empty state (or that the item does not exist)."""
    result = CliRunner().invoke(cli, [*command, "--json"])
    assert result.exit_code == code, result.output
    answer = json.loads(result.stdout)
    if code == 2:
        assert answer["error"] == "NotFoundError"
    else:  # a list, or status's and verify's report of an empty project
        assert answer == [] or answer.get("schema_revision") == "" or answer.get("ok") is True
    assert sorted(path.name for path in no_project.iterdir()) == ["nb.ipynb"]


def test_a_command_that_records_makes_the_project_there(no_project: Path) -> None:
    saved = CliRunner().invoke(cli, ["version", "save", "nb.ipynb", "--json"])
    assert saved.exit_code == 0, saved.output
    assert (no_project / ".nbtools" / "nbtools.db").is_file()
    logged = CliRunner().invoke(cli, ["version", "log", "nb.ipynb", "--json"])
    assert len(json.loads(logged.stdout)) == 1


def test_a_folder_not_writable_is_one_line_naming_it(no_project: Path) -> None:
    """``PermissionError: [Errno 13] Permission denied: '…/.nbtools'`` with a traceback (exit
    1, nothing on stdout with --json) -> the folder and what to do, exit 2, the error object."""
    with unwritable(no_project):
        result = CliRunner().invoke(cli, ["schedule", "add", "nb.ipynb", "--json"])
    assert result.exit_code == 2, result.output
    error = json.loads(result.stdout)
    assert error["error"] == "StoreError"
    assert error["details"]["path"] == str(no_project / ".nbtools")
    assert error["message"].startswith(f"Cannot make the project's store: {no_project}/.nbtools")
    assert f"Make {no_project} writable" in error["message"]
    assert "$NBTOOLS_ROOT" in error["message"]
    assert result.stderr == f"Error: {error['message']}\n"
    assert not (no_project / ".nbtools").exists()


def test_a_store_folder_not_writable_is_one_line_naming_it(no_project: Path) -> None:
    """A project whose store directory this user may not write in (another user's): every
    command said ``OperationalError: unable to open database file`` or raised
    ``PermissionError: … migrate.lock``."""
    Project(no_project).store.close()
    store = no_project / ".nbtools"
    with unwritable(store):
        result = CliRunner().invoke(cli, ["runs", "list", "--json"])
    assert result.exit_code == 2, result.output
    error = json.loads(result.stdout)
    assert error["details"]["path"] == str(store)
    assert error["message"].startswith(f"Cannot open the project's store: {store}: ")
    assert f"Make {store} writable" in error["message"]
