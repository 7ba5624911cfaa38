"""A command no group has is answered with the one meant (nbtools/cli/groups.py): another
tool's word for it (``version list``: ``log``), or a misspelling (``version lgo``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import nbtools

#: A command line, the word it gives, the command meant.
MEANT = [
    (["version", "list"], "list", "log"),
    (["version", "lgo", "nb.ipynb"], "lgo", "log"),
    (["version", "mv", "a.ipynb", "b.ipynb"], "mv", "move"),
    (["schedule", "create", "nb.ipynb", "--cron", "daily"], "create", "add"),
    (["schedule", "delete", "3"], "delete", "remove"),
    (["runs", "ls"], "ls", "list"),
    (["alerts", "rule", "rm", "1"], "rm", "remove"),
    (["export", "nbs"], "export", "extract"),
    (["exract", "nbs"], "exract", "extract"),
]


@pytest.mark.parametrize(("command", "given", "meant"), MEANT)
def test_an_unknown_command_names_the_one_meant(
    tmp_path: Path, command: list[str], given: str, meant: str
) -> None:
    """They said only "No such command 'list'." (version's listing is `log`, schedule's
    `add` makes a job, nbdev's `nbdev_export` is `extract` here); exit 2 as before, in
    --json's error too."""
    result = nbtools(tmp_path, *command)
    assert result.exit_code == 2, result.output
    said = f"No such command '{given}'. Did you mean '{meant}'?"
    assert said in result.stderr
    as_json = nbtools(tmp_path, *command, "--json")
    assert as_json.exit_code == 2, as_json.output
    assert json.loads(as_json.stdout)["message"] == said


def test_a_word_like_no_command_is_refused_as_before(tmp_path: Path) -> None:
    result = nbtools(tmp_path, "version", "frobnicate")
    assert result.exit_code == 2, result.output
    assert "Error: No such command 'frobnicate'.\n" in result.stderr
