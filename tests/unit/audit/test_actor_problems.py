"""An actor that names no one as written is refused wherever an option sets it (``--actor``,
``$NBTOOLS_ACTOR``, the config file): blank, with surrounding whitespace (``'ana '``, which
``audit list --actor ana`` does not find), or holding a character that does not show (a line
break, a terminal escape, a zero-width space). Each was recorded in the trail as given."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from nbtools import audit
from nbtools.cli.app import cli
from nbtools.errors import InvalidInputError

#: Names naming no one as written → what the refusal says.
BAD = {
    " ": "it names no one: it is blank",
    "  ana  ": "it begins or ends with whitespace",
    "ana\nroot": "it holds U+000A: a control, zero-width or line-break character",
    "\x1b[31mred": "it holds U+001B",
    "a\u200bb": "it holds U+200B",
    "ana\u2028": "it begins or ends with whitespace",
    "a\u202eb": "it holds U+202E",  # right-to-left override: shows 'b' before 'a'
}


def nbtools(root: Path, *args: str, env: dict[str, str] | None = None) -> Any:
    return CliRunner(env=env).invoke(cli, ["--root", str(root), *args])


@pytest.mark.parametrize("how", ["flag", "variable", "config file"])
@pytest.mark.parametrize("name", list(BAD))
def test_the_cli_refuses_an_actor_naming_no_one_and_records_nothing(
    tmp_path: Path, name: str, how: str
) -> None:
    flag = ["--actor", name] if how == "flag" else []
    env = {"NBTOOLS_ACTOR": name} if how == "variable" else {}
    if how == "config file":
        config = tmp_path / "nbtools_config.py"
        config.write_text(f"c.NbtoolsSettings.actor = {name!r}\n")
        env["NBTOOLS_CONFIG"] = str(config)
    refused = nbtools(tmp_path, *flag, "data", "add", "customers", "c.csv", env=env)
    assert refused.exit_code == 2, refused.output
    said = " ".join(refused.output.split())
    assert BAD[name] in said, said
    where = {"flag": "'--actor'", "variable": "$NBTOOLS_ACTOR=", "config file": "actor"}[how]
    assert where in said, said
    assert "Traceback" not in refused.output
    listed = nbtools(tmp_path, "audit", "list", "--json", env={"NBTOOLS_ACTOR": "ana"})
    assert json.loads(listed.stdout) == []  # nothing was done


def test_a_name_as_written_is_recorded_as_it_is(tmp_path: Path) -> None:
    for name in ("ana", "Ana María", "svc-ci@example.com", "李"):
        assert nbtools(tmp_path, "--actor", name, "data", "add", "d", "d.csv").exit_code == 0
        assert nbtools(tmp_path, "--actor", name, "data", "remove", "d").exit_code == 0
        entries = json.loads(nbtools(tmp_path, "audit", "list", "--actor", name, "--json").stdout)
        assert {entry["actor"] for entry in entries} == {name}


def test_a_library_s_actor_from_the_variable_is_refused_naming_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Outside the CLI (a script, a notebook), ``$NBTOOLS_ACTOR`` is read where it is used."""
    monkeypatch.setenv("NBTOOLS_ACTOR", " ")
    with pytest.raises(InvalidInputError, match=r"\$NBTOOLS_ACTOR=' ' is not an actor") as info:
        audit.current_actor()
    assert info.value.details["field"] == "NBTOOLS_ACTOR"
    assert audit.current_actor("ana") == "ana"  # an actor given is not the variable's


def test_an_identity_provider_s_name_is_recorded_stripped_with_what_does_not_show_escaped() -> None:
    assert audit.provided_actor("  ana  ") == "ana"
    assert audit.provided_actor("ana\nroot") == "ana\\u000aroot"
    assert audit.provided_actor("\x1b[31mred") == "\\u001b[31mred"
    assert audit.provided_actor("a\u200bb") == "a\\u200bb"
    assert audit.provided_actor("a\U000e0041") == "a\\U000e0041"  # a tag character
    assert audit.provided_actor(" \t\n ") == ""
    assert audit.provided_actor("Ana María") == "Ana María"
