from __future__ import annotations

import json
import os
import pwd
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from nbtools import audit
from nbtools.audit.actions import ACTIONS
from nbtools.data.catalog import add_dataset, dataset_spec, edit_dataset, remove_dataset
from nbtools.errors import ConflictError, InvalidInputError
from nbtools.project import Project
from nbtools.store.base import utcnow
from tests.conftest import NotebookFactory


def test_catalog_changes_are_audited_with_the_actor(any_project: Project, monkeypatch) -> None:
    monkeypatch.setenv("NBTOOLS_ACTOR", "ci-bot")
    spec = {"location": "d.csv", "classification": "personal", "description": "secret words"}
    add_dataset(any_project, dataset_spec(any_project, "d", spec), actor="ana")
    with pytest.raises(ConflictError):
        add_dataset(any_project, dataset_spec(any_project, "d", spec), actor="ana")
    edit_dataset(any_project, "d", {"purposes": ["churn"]})
    remove_dataset(any_project, "d", actor="bob")
    entries = audit.list_entries(any_project)
    assert [(e.actor, e.action, e.target) for e in entries] == [
        ("bob", "dataset.remove", "dataset d"),
        ("ci-bot", "dataset.edit", "dataset d"),
        ("ana", "dataset.add", "dataset d"),
    ]
    assert entries[1].summary["changed"] == ["purposes"]
    assert all("secret" not in str(e.summary) for e in entries)
    assert [e.action for e in audit.list_entries(any_project, actor="ana")] == ["dataset.add"]
    assert len(audit.list_entries(any_project, action="dataset.*")) == 3
    assert audit.list_entries(any_project, since=utcnow() + timedelta(seconds=5)) == []
    assert len(audit.list_entries(any_project, limit=1)) == 1
    with pytest.raises(InvalidInputError):
        audit.list_entries(any_project, limit=0)


@pytest.mark.parametrize(
    ("action", "hint"),
    [
        ("job.created", "Did you mean job.create? "),
        ("run", "Did you mean run.*? "),
        ("data%.*", "Did you mean data"),
        ("*", ""),
        ("job.", "Did you mean job.*? "),
        ("bogus", ""),
        ("JOB.CREATE", ""),  # actions are lower case, as entries hold them
    ],
)
def test_an_unknown_action_filter_is_refused_listing_the_actions(
    any_project: Project, action: str, hint: str
) -> None:
    audit.record_now(any_project.store, "ana", "job.create", "job 1", {})
    with pytest.raises(InvalidInputError) as info:
        audit.list_entries(any_project, action=action)
    assert info.value.details["field"] == "action"
    assert info.value.details["actions"] == sorted(ACTIONS)
    message = info.value.message
    assert message.startswith(f"action {action!r} is not an action of the audit trail. {hint}")
    assert "dataset.add, dataset.edit," in message
    assert "; or a family of them: access.*, alert.*, dataset.*, env.*, job.*, notify.*," in message


def test_every_action_and_family_is_a_filter(any_project: Project) -> None:
    for action in sorted(ACTIONS):
        audit.record_now(any_project.store, "ana", action, "x", {})
    for action in ACTIONS:
        assert [e.action for e in audit.list_entries(any_project, action=action)] == [action]
    families = {action.split(".")[0] for action in ACTIONS}
    assert families == {
        "dataset", "policy", "access", "job", "run", "version", "env", "service", "rule",
        "alert", "notify", "runs", "store",
    }  # fmt: skip
    for family in families:
        found = {e.action for e in audit.list_entries(any_project, action=family + ".*")}
        assert found == {action for action in ACTIONS if action.startswith(family + ".")}
    assert len(audit.list_entries(any_project, action="")) == len(ACTIONS)  # no filter


def test_the_trail_records_only_known_actions(any_project: Project) -> None:
    with pytest.raises(AssertionError, match=r"missing from nbtools\.audit\.actions\.ACTIONS"):
        audit.record_now(any_project.store, "ana", "job.created", "job 1", {})
    assert audit.list_entries(any_project) == []


def test_the_governance_guide_describes_every_action() -> None:
    guide = (Path(__file__).parents[3] / "docs" / "governance.md").read_text(encoding="utf-8")
    table = guide.split("## The audit trail")[1].split("\n\n")[1]
    described = set(re.findall(r"`([a-z]+\.[a-z]+)`", "\n".join(
        line.split(" | ")[0] for line in table.splitlines() if line.startswith("| `")
    )))  # fmt: skip
    assert described == ACTIONS


def test_cli_lists_with_filters_and_refuses_a_bad_since(tmp_path: Path) -> None:
    import json

    from click.testing import CliRunner

    from nbtools.cli.app import cli

    def nbtools(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(cli, ["--root", str(tmp_path), *args])
        return result.exit_code, result.output

    assert nbtools("data", "add", "d", "d.csv")[0] == 0
    code, output = nbtools("audit", "list", "--since", "1h", "--action", "dataset.*", "--json")
    assert code == 0, output
    assert [e["action"] for e in json.loads(output)] == ["dataset.add"]
    listed = nbtools("audit", "list")[1]  # at 80 columns, the target wraps ("dataset" / "d")
    assert "dataset.add" in listed
    assert "location=d.csv" in listed
    assert nbtools("audit", "list", "--since", "2026-01-01")[0] == 0
    code, output = nbtools("audit", "list", "--since", "yesterday")
    assert code == 2
    assert "--since" in output
    code, output = nbtools("audit", "list", "--action", "dataset.added")
    assert code == 2
    assert output.startswith("Error: --action 'dataset.added' is not an action of the audit")
    assert "Did you mean dataset.add?" in output


@pytest.mark.parametrize(
    ("value", "calendar"),
    [
        ("0001-01-01T00:00:00+14:00", "start"),  # 0000-12-31 in UTC
        ("0001-01-01T09:59:59+10:00", "start"),
        ("9999-12-31T23:59:59-12:00", "end"),  # 10000-01-01 in UTC
        ("9999-12-31T12:00:00-12:00", "end"),
    ],
)
def test_a_since_outside_the_calendar_in_utc_is_refused_naming_since(
    value: str, calendar: str
) -> None:
    with pytest.raises(InvalidInputError, match="outside the calendar in UTC") as info:
        audit.parse_since(value)
    assert info.value.details == {"field": "since", "calendar": calendar}


def test_the_calendar_s_own_limits_and_ages_beyond_it_are_read(any_project: Project) -> None:
    audit.record_now(any_project.store, "ana", "job.create", "job 1", {})
    everything = audit.parse_since("999999w")  # ≈ 19,000 years: before the calendar
    assert everything == datetime.min.replace(tzinfo=timezone.utc)
    for since in (everything, audit.parse_since("0001-01-01T10:00:00+10:00")):
        assert [e.actor for e in audit.list_entries(any_project, since=since)] == ["ana"]
    last = audit.parse_since("9999-12-31T11:59:59-12:00")
    assert audit.list_entries(any_project, since=last) == []


def test_an_age_of_more_than_six_digits_is_refused_as_too_long() -> None:
    """It said "is neither a duration (12h, 7d, 2w) nor an ISO date/time"."""
    with pytest.raises(InvalidInputError) as info:
        audit.parse_since("999999999999d")
    assert info.value.message.startswith("since '999999999999d' is a duration too long")
    assert info.value.details == {"field": "since"}


@pytest.mark.parametrize(
    "value", ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00", "0001-01-01T05:00+06:00"]
)
def test_the_cli_refuses_a_since_outside_the_calendar_with_exit_2(
    tmp_path: Path, value: str
) -> None:
    from click.testing import CliRunner

    from nbtools.cli.app import cli

    result = CliRunner().invoke(cli, ["--root", str(tmp_path), "audit", "list", "--since", value])
    assert result.exit_code == 2, result.output
    assert f"--since {value!r} is outside the calendar in UTC" in " ".join(result.output.split())
    assert "Traceback" not in result.output


def _cli(root: Path, *args: str, env: dict[str, str] | None = None) -> Any:
    from click.testing import CliRunner

    from nbtools.cli.app import cli

    result = CliRunner(env=env).invoke(cli, ["--root", str(root), *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout) if "--json" in args else None


def test_the_cli_actor_is_the_flag_else_nbtools_actor_else_the_hub_user(
    tmp_path: Path, notebook_factory: NotebookFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    notebook_factory("nb.ipynb", [("code", "days = 1", ["parameters"])])
    monkeypatch.delenv("NBTOOLS_ACTOR", raising=False)
    hub = {"JUPYTERHUB_USER": "hub-user", "NBTOOLS_ACTOR": ""}
    job = _cli(tmp_path, "schedule", "add", "nb.ipynb", "-p", "days=3", "--json", env=hub)
    _cli(
        tmp_path,
        "schedule",
        "edit",
        str(job["id"]),
        "--retries",
        "1",
        env={**hub, "NBTOOLS_ACTOR": "ci-bot"},
    )
    _cli(
        tmp_path,
        "--actor",
        "release",
        "schedule",
        "pause",
        str(job["id"]),
        env={**hub, "NBTOOLS_ACTOR": "ci-bot"},
    )
    _cli(tmp_path, "--actor", "release", "schedule", "remove", str(job["id"]), "--yes")
    entries = _cli(tmp_path, "audit", "list", "--target", f"job {job['id']}", "--json")
    assert [(e["actor"], e["action"]) for e in reversed(entries)] == [
        ("hub-user", "job.create"),
        ("ci-bot", "job.edit"),
        ("release", "job.pause"),
        ("release", "job.archive"),
    ]
    assert job["created_by"] == "hub-user"
    assert entries[-1]["summary"]["parameters"] == ["days"]  # names, never values


def test_the_cli_actor_otherwise_is_the_account_the_command_runs_as(
    tmp_path: Path, notebook_factory: NotebookFactory
) -> None:
    """It was ``$LOGNAME`` (else ``$USER``...), which any shell sets to any name: the entry
    named ``ceo`` for a command root ran. ``--actor`` names someone else, on purpose."""
    notebook_factory("nb.ipynb", [("code", "days = 1", ["parameters"])])
    claimed = dict.fromkeys(("LOGNAME", "USER", "LNAME", "USERNAME"), "ceo")
    unset = {"NBTOOLS_ACTOR": None, "JUPYTERHUB_USER": None}
    job = _cli(tmp_path, "schedule", "add", "nb.ipynb", "--json", env={**claimed, **unset})
    account = pwd.getpwuid(os.getuid()).pw_name
    assert account != "ceo"
    assert job["created_by"] == account
    entries = _cli(tmp_path, "audit", "list", "--json")
    assert [(e["actor"], e["action"]) for e in entries] == [(account, "job.create")]


def test_a_refused_use_names_who_asked(tmp_path: Path, notebook_factory: NotebookFactory) -> None:
    notebook_factory("nb.ipynb", [("code", "import nbtools.data\nnbtools.data.path('people')", [])])
    (tmp_path / "people.csv").write_text("id\n1\n")
    _cli(tmp_path, "data", "add", "people", "people.csv", "--classification", "personal")
    from click.testing import CliRunner

    from nbtools.cli.app import cli

    refused = CliRunner().invoke(
        cli, ["--root", str(tmp_path), "--actor", "eve", "schedule", "add", "nb.ipynb"]
    )
    assert refused.exit_code == 2
    entries = _cli(tmp_path, "audit", "list", "--action", "policy.*", "--json")
    assert [(e["actor"], e["target"]) for e in entries] == [("eve", "notebook nb.ipynb")]


def test_the_table_summary_leaves_out_empty_fields_and_writes_values_as_json() -> None:
    from nbtools.cli.audit import _summary

    summary = {"name": "nightly", "cron": None, "parameters": ["days"], "paused": False}
    assert _summary(summary) == 'name=nightly, parameters=["days"], paused=false'


def test_the_cli_pages_back_through_the_whole_trail_with_before(tmp_path: Path) -> None:
    """``audit list`` listed the newest ``--limit`` entries (at most 10,000) and no more: a
    longer trail could not be exported from the CLI, only over REST (``?before=``)."""
    project = Project(tmp_path)
    for number in range(1, 6):
        audit.record_now(project.store, "ana", "job.create", f"job {number}", {})
    project.close()
    pages, before = [], None
    while True:
        paging = ["--before", str(before)] if before is not None else []
        page = _cli(tmp_path, "audit", "list", "--limit", "2", *paging, "--json")
        if not page:
            break
        pages.append([entry["target"] for entry in page])
        before = page[-1]["id"]
    assert pages == [["job 5", "job 4"], ["job 3", "job 2"], ["job 1"]]
    from click.testing import CliRunner

    from nbtools.cli.app import cli

    refused = CliRunner().invoke(cli, ["--root", str(tmp_path), "audit", "list", "--before", "x"])
    assert refused.exit_code == 2
    assert "--before" in refused.output


def test_a_target_longer_than_the_store_keeps_is_found_by_its_whole_text(
    any_project: Project,
) -> None:
    """A target is kept as its first 1,024 characters (a notebook deep in folders names a
    path of up to 4,095 bytes): ``--target`` given the whole text found nothing."""
    path = "/".join(["folder" * 40] * 5) + "/nb.ipynb"
    audit.record_now(any_project.store, "ana", "version.restore", f"notebook {path}", {})
    audit.record_now(any_project.store, "ana", "version.restore", "notebook other.ipynb", {})
    for target in (f"notebook {path}", f"notebook {path}"[:1024]):
        found = audit.list_entries(any_project, target=target)
        assert [entry.target for entry in found] == [f"notebook {path}"[:1024]]
