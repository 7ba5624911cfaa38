"""Every command that takes a job takes its id or its name."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from nbtools.cli.app import cli
from nbtools.jobs.tables import Job
from nbtools.project import Project
from tests.conftest import NotebookFactory


def nbtools(root: Path, *args: str) -> Result:
    return CliRunner(env={"COLUMNS": "200"}).invoke(cli, ["--root", str(root), *args])


def as_json(root: Path, *args: str) -> Any:
    result = nbtools(root, *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture
def jobs(tmp_path: Path, notebook_factory: NotebookFactory) -> dict[str, int]:
    """Jobs named nightly, weekly and 7 (a name that looks like an id)."""
    notebook_factory("nb.ipynb", [("code", "days = 1", ["parameters"])])
    names = ("nightly", "weekly", "7")
    created = [as_json(tmp_path, "schedule", "add", "nb.ipynb", "--name", n) for n in names]
    return {job["name"]: job["id"] for job in created}


def test_names_are_unique_and_default_to_the_notebook_name(
    tmp_path: Path, jobs: dict[str, int]
) -> None:
    taken = nbtools(tmp_path, "schedule", "add", "nb.ipynb", "--name", "nightly")
    assert (taken.exit_code, taken.output) == (
        2,
        "Error: Another job is named 'nightly': choose another name.\n",
    )
    renamed = nbtools(tmp_path, "schedule", "edit", "weekly", "--name", "nightly")
    assert renamed.exit_code == 2
    defaults = [as_json(tmp_path, "schedule", "add", "nb.ipynb")["name"] for _ in range(2)]
    assert defaults == ["nb", "nb 2"]
    names = [job["name"] for job in as_json(tmp_path, "schedule", "list")]
    assert sorted(names) == ["7", "nb", "nb 2", "nightly", "weekly"]


def test_every_job_argument_and_filter_takes_a_name(tmp_path: Path, jobs: dict[str, int]) -> None:
    weekly = jobs["weekly"]
    assert nbtools(tmp_path, "schedule", "pause", "weekly").output == f"Job {weekly} paused.\n"
    assert "resumed" in nbtools(tmp_path, "schedule", "resume", "weekly").output
    edited = as_json(tmp_path, "schedule", "edit", "weekly", "-p", "days=3")
    assert (edited["id"], edited["parameters"]) == (weekly, {"days": 3})

    rule = as_json(tmp_path, "alerts", "rule", "add", "weekly", "failed")
    target = as_json(tmp_path, "alerts", "notify", "add", "weekly", "--webhook", "http://h.x/")
    assert rule["job_id"] == target["job_id"] == weekly
    assert [r["id"] for r in as_json(tmp_path, "alerts", "rule", "list", "--job", "weekly")] == [
        rule["id"]
    ]
    assert [t["id"] for t in as_json(tmp_path, "alerts", "notify", "list", "--job", "weekly")] == [
        target["id"]
    ]
    for filtered in (("runs", "list"), ("alerts", "list"), ("alerts", "deliveries")):
        assert as_json(tmp_path, *filtered, "--job", "weekly") == []
    assert as_json(tmp_path, "metrics", "series", "weekly")["job_id"] == weekly

    removed = nbtools(tmp_path, "schedule", "remove", "weekly", "--yes")
    assert removed.output == f"Job {weekly} archived.\n"
    assert len(as_json(tmp_path, "alerts", "rule", "list")) == 1  # kept, readable
    purged = nbtools(tmp_path, "schedule", "remove", str(weekly), "--yes", "--purge")
    assert purged.output == f"Job {weekly} purged.\n"
    assert as_json(tmp_path, "alerts", "rule", "list") == []


def test_a_number_is_an_id_first_then_a_name(tmp_path: Path, jobs: dict[str, int]) -> None:
    assert jobs["7"] != 7
    shown = as_json(tmp_path, "metrics", "series", "7")  # no job 7: the job named "7"
    assert shown["job_id"] == jobs["7"]
    assert as_json(tmp_path, "metrics", "series", str(jobs["weekly"]))["job_id"] == jobs["weekly"]
    missing = nbtools(tmp_path, "schedule", "pause", "99")
    assert (missing.exit_code, missing.output) == (
        2,
        "Error: Job 99 does not exist. List jobs with `nbtools schedule list`.\n",
    )


def test_unknown_and_ambiguous_names_exit_2(tmp_path: Path, jobs: dict[str, int]) -> None:
    unknown = nbtools(tmp_path, "alerts", "rule", "add", "monthly", "failed")
    assert (unknown.exit_code, unknown.output) == (
        2,
        "Error: No job is named 'monthly'. List jobs with `nbtools schedule list`.\n",
    )
    assert "Did you mean 'weekly'?" in nbtools(tmp_path, "runs", "list", "--job", "Weekly").output

    # Databases from before names were unique may hold the same name twice.
    with Project(tmp_path).store.session(write=True) as session:
        session.add(Job(name="nightly", notebook_path="nb.ipynb", parameters={}))
    ambiguous = nbtools(tmp_path, "schedule", "remove", "nightly")
    listed = as_json(tmp_path, "schedule", "list")
    first, second = [job["id"] for job in listed if job["name"] == "nightly"]
    assert (ambiguous.exit_code, ambiguous.output) == (
        2,
        f"Error: 2 jobs are named 'nightly' (ids {first}, {second}); give the job's id instead.\n",
    )
    assert len(listed) == 4  # nothing was removed


@pytest.mark.parametrize(
    "command",
    [
        ("schedule", "edit"),
        ("schedule", "pause"),
        ("schedule", "resume"),
        ("schedule", "remove"),
        ("alerts", "rule", "add"),
        ("alerts", "notify", "add"),
        ("metrics", "series"),
    ],
)
def test_help_names_the_job_argument(tmp_path: Path, command: tuple[str, ...]) -> None:
    shown = nbtools(tmp_path, *command, "--help").output
    assert " JOB" in shown.splitlines()[0]
    assert "id or name" in shown
    assert "JOB_ID" not in shown
