"""Flags several commands share: a count (``--limit``, ``-n``, ``--keep``) shows its range in
``--help`` and is refused in one wording, before the command runs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import make_notebook, nbtools, run_python

#: Each count: the command, its flag, the range --help shows, a value outside it, one inside.
COUNTS = [
    (["runs", "list"], "--limit", "1<=x<=1000", "1001", "1000"),
    (["audit", "list"], "--limit", "1<=x<=10000", "0", "10000"),
    (["data", "search", "customers"], "--limit", "1<=x<=1000", "1001", "1000"),
    (["version", "log", "nb.ipynb"], "-n", "1<=x<=2147483647", "0", "2147483647"),
    (["version", "gc"], "--keep", "x>=1", "0", "1"),
]


@pytest.mark.parametrize(("command", "flag", "shown", "outside", "inside"), COUNTS)
def test_a_count_shows_its_range_and_is_refused_in_one_wording(
    tmp_path: Path, command: list[str], flag: str, shown: str, outside: str, inside: str
) -> None:
    """``audit list``, ``data search``, ``version log`` and ``version gc`` showed no range and
    refused in three wordings ("The limit must be 1 to 10000. See --limit.", "--limit must
    be a whole number from 1 to …", "--keep must be at least 1 …"), after opening the store."""
    (tmp_path / "nb.ipynb").write_text(json.dumps(make_notebook([("code", "x = 1", [])])))
    helped = nbtools(tmp_path, *command, "--help")
    found = re.search(rf"^  (?:-\w, )?{flag}[ ,].*?(?=^  -|\Z)", helped.stdout, re.M | re.S)
    assert found is not None, helped.stdout
    assert f"{shown}]" in " ".join(found.group().split())
    refused = nbtools(tmp_path, *command, flag, outside, "--json")
    assert refused.exit_code == 2
    named = " / ".join(f"'{name}'" for name in (["-n", "--limit"] if flag == "-n" else [flag]))
    message = f"Invalid value for {named}: {outside} is not in the range {shown}."
    assert json.loads(refused.stdout)["message"] == message
    assert refused.stderr.endswith(f"Error: {message}\n")
    assert not (tmp_path / ".nbtools").exists()  # refused before the command opened its store
    assert nbtools(tmp_path, *command, flag, inside).exit_code == 0


#: Every option taking a whole number: the command, its flag (as click names it), and a value
#: the command needs besides it.
WHOLE_NUMBERS = [
    (["runs", "list"], "'--limit'"),
    (["version", "log", "nb.ipynb"], "'-n' / '--limit'"),
    (["runs", "prune", "--dry-run"], "'--keep'"),
    (["schedule", "preview", "0 6 * * *"], "'-n'"),
    (["serve", "pkg"], "'--port'"),
    (["serve", "pkg"], "'--workers'"),
]


@pytest.mark.parametrize(("command", "named"), WHOLE_NUMBERS)
def test_a_whole_number_that_is_no_number_is_refused_as_the_docs_quote(
    tmp_path: Path, command: list[str], named: str
) -> None:
    """``--limit many`` said ``'many' is not a valid integer range.``, which reads as asking
    for a range (``1-5``); cli.md quotes ``… is not a valid integer.``, now said by every
    option taking a whole number."""
    (tmp_path / "pkg").mkdir()
    flag = named.split("'")[-2]
    as_json = [] if command[0] == "serve" else ["--json"]  # a service prints no JSON
    refused = nbtools(tmp_path, *command, flag, "many", *as_json)
    assert refused.exit_code == 2, refused.output
    message = f"Invalid value for {named}: 'many' is not a valid integer."
    assert refused.stderr.endswith(f"Error: {message}\n")
    if as_json:
        assert json.loads(refused.stdout)["message"] == message


def test_the_group_makes_its_setting_flags_for_a_command_line_that_can_give_them() -> None:
    """``--root``, ``--db-url``, ``--actor`` take their help from the traits, which a command
    line starting with the command's name does not need (traitlets is not imported for it):
    ``nbtools --help`` still lists them where they were declared, after ``--version``."""
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from nbtools.cli.app import cli\n"
        "print(CliRunner().invoke(cli, ['extract', '--help']).exit_code, 'traitlets' in sys.modules)\n"
        "print(CliRunner().invoke(cli, ['--help']).output)\n"
    )
    first, *shown = run_python(code).stdout.splitlines()
    assert first == "0 False"
    flags = [line.split()[0] for line in shown if line.startswith("  -")]
    assert flags == ["-V,", "--root", "--db-url", "--actor", "--config", "-h,"]
    help_text = " ".join(" ".join(shown).split())
    assert "[env $NBTOOLS_ROOT; config c.NbtoolsSettings.root_dir]" in help_text
    assert "[env $NBTOOLS_ACTOR; config c.NbtoolsSettings.actor]" in help_text
