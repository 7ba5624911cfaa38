"""Commands that take a notebook (``run``, ``schedule add``, ``data check``) read it as
``version save`` does: a damaged one is named by its path in the project, never by its
absolute path, and one in the store directory is refused, however it is reached; nothing is
recorded either way (docs/cli.md, "Paths")."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from nbtools.cli.app import cli
from nbtools.project import Project
from tests.conftest import make_notebook, nbtools, recorded

#: The commands reading a notebook argument, with what makes each one valid otherwise.
COMMANDS = [("run",), ("schedule", "add"), ("data", "check")]


def damaged_cell_metadata() -> str:
    notebook = make_notebook([("code", "days = 1", ["parameters"]), ("code", "days", [])])
    notebook["cells"][1]["metadata"] = [1]
    return json.dumps(notebook)


def source_line_not_text() -> str:
    notebook = make_notebook([("code", "days = 1", ["parameters"]), ("code", "days", [])])
    notebook["cells"][1]["source"] = ["days\n", 7]
    return json.dumps(notebook)


def nbformat_3() -> str:
    return json.dumps({**make_notebook([("code", "1", [])]), "nbformat": 3})


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (damaged_cell_metadata(), ": cell 2's 'metadata' must be an object."),
        (nbformat_3(), " has nbformat 3; only version 4 notebooks are supported."),
        (source_line_not_text(), ": cell 2 has a source line that is not text (line 2 of its"),
        ('{"nbformat": 4, "cells": [], "n": ' + "9" * 5000 + "}", " cannot be read: "),
        ("[" * 100_000 + "]" * 100_000, " nests JSON arrays or objects too deeply"),
        ('{"nbformat": 4, "cells": [', " is not valid JSON at line 1, column 27"),
    ],
)
def test_a_damaged_notebook_is_named_by_its_path_in_the_project(
    project: Project, command: tuple[str, ...], content: str, problem: str
) -> None:
    tmp_path = project.root
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "d1.ipynb").write_text(content)
    result = nbtools(tmp_path, *command, "reports/d1.ipynb", "--json")
    assert result.exit_code == 2, result.output
    error = json.loads(result.stdout)
    assert error["error"] == "NotebookError"
    assert error["message"].startswith("reports/d1.ipynb" + problem), error
    assert error["details"]["path"] == "reports/d1.ipynb"
    assert str(tmp_path) not in result.output
    assert recorded(tmp_path) == ([], [])


def test_the_path_is_named_from_the_root_whichever_directory_the_command_runs_in(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    tmp_path = project.root
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "d1.ipynb").write_text(damaged_cell_metadata())
    monkeypatch.chdir(tmp_path / "reports")
    for command in COMMANDS:
        result = CliRunner().invoke(cli, [*command, "d1.ipynb"])
        assert result.exit_code == 2, result.output
        assert "Error: reports/d1.ipynb: cell 2's 'metadata' must be an object." in result.output
        assert str(tmp_path) not in result.output


@pytest.mark.parametrize("command", COMMANDS)
def test_a_notebook_in_the_store_directory_is_refused_however_it_is_reached(
    project: Project, command: tuple[str, ...]
) -> None:
    tmp_path = project.root
    notebook = json.dumps(make_notebook([("code", "days = 1", ["parameters"])]))
    (project.store_dir / "x.ipynb").write_text(notebook)
    (project.store_dir / "outputs").mkdir()
    (project.store_dir / "outputs" / "y.ipynb").write_text(notebook)
    (tmp_path / "link.ipynb").symlink_to(project.store_dir / "x.ipynb")
    (tmp_path / "folder").symlink_to(project.store_dir / "outputs")
    (tmp_path / "fine.ipynb").write_text(notebook)
    for typed in (".nbtools/x.ipynb", "link.ipynb", "folder/y.ipynb", "./.nbtools/x.ipynb"):
        result = nbtools(tmp_path, *command, typed, "--json")
        assert result.exit_code == 2, (typed, result.output)
        error = json.loads(result.stdout)
        assert error["error"] == "HiddenPathError", (typed, error)
        assert "is in the nbtools store directory" in error["message"]
    assert recorded(tmp_path) == ([], [])
    if command != ("run",):  # a file beside the store is the user's (run executes it: slow)
        assert nbtools(tmp_path, *command, "fine.ipynb").exit_code == 0


def test_a_custom_store_directory_is_refused_too(tmp_path: Path) -> None:
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / "x.ipynb").write_text(json.dumps(make_notebook([("code", "1", [])])))
    result = CliRunner().invoke(
        cli,
        ["--root", str(tmp_path), "schedule", "add", "state/x.ipynb"],
        env={"NBTOOLS_STORE_DIR": "state"},
    )
    assert result.exit_code == 2, result.output
    assert "'state/x.ipynb' is in the nbtools store directory" in result.output
