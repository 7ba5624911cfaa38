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
    """Jobs named nightly, weekly and 7 (a name that looks like an id, which only a database
    from before such names were refused can hold)."""
    notebook_factory("nb.ipynb", [("code", "days = 1", ["parameters"])])
    created = [
        as_json(tmp_path, "schedule", "add", "nb.ipynb", "--name", n) for n in ("nightly", "weekly")
    ]
    with Project(tmp_path).store.session(write=True) as session:
        legacy = Job(name="7", notebook_path="nb.ipynb", parameters={})
        session.add(legacy)
        session.flush()
        created.append({"name": "7", "id": legacy.id})
    return {job["name"]: job["id"] for job in created}


def test_a_name_that_is_a_number_or_too_long_is_refused_and_nothing_is_stored(
    tmp_path: Path, jobs: dict[str, int], notebook_factory: NotebookFactory
) -> None:
    before = as_json(tmp_path, "schedule", "list")
    number = nbtools(tmp_path, "schedule", "add", "nb.ipynb", "--name", "12")
    assert (number.exit_code, number.output) == (
        2,
        "Error: A job's name cannot be a number ('12'): commands take a job by its id or its "
        "name, and read a number as an id. Add a word: 'report 12'. See --name.\n",
    )
    assert nbtools(tmp_path, "schedule", "edit", "weekly", "--name", "0042").exit_code == 2
    long = nbtools(tmp_path, "schedule", "add", "nb.ipynb", "--name", "x" * 201)
    assert (long.exit_code, long.output) == (
        2,
        "Error: A job's name has at most 200 characters; this one has 201. See --name.\n",
    )
    assert as_json(tmp_path, "schedule", "list") == before
    # at the limit, and a number among words, are names
    assert (
        as_json(tmp_path, "schedule", "add", "nb.ipynb", "--name", "x" * 200)["name"] == "x" * 200
    )
    assert as_json(tmp_path, "schedule", "add", "nb.ipynb", "--name", "run 12")["name"] == "run 12"
    assert as_json(tmp_path, "schedule", "add", "nb.ipynb", "--name", "١٢")["name"] == "١٢"
    # a notebook named like a number gives its file name as the default
    notebook_factory("2024.ipynb", [("code", "days = 1", ["parameters"])])
    assert as_json(tmp_path, "schedule", "add", "2024.ipynb")["name"] == "2024.ipynb"


def test_an_empty_name_is_refused_and_changes_nothing(tmp_path: Path, jobs: dict[str, int]) -> None:
    """An edit to an empty (or blank) name was taken, changed nothing and audited a change of
    nothing; adding with one gave the notebook's name. Leaving the name out gives that."""
    before = as_json(tmp_path, "schedule", "list")
    audited = as_json(tmp_path, "audit", "list")
    for name in ("", "   ", "\t"):
        for command in (("edit", "weekly"), ("add", "nb.ipynb")):
            refused = nbtools(tmp_path, "schedule", *command, "--name", name)
            assert (refused.exit_code, refused.output) == (
                2,
                "Error: A job's name cannot be empty (without a name, a new job is named "
                "after its notebook). See --name.\n",
            ), (name, command)
    answer = nbtools(tmp_path, "schedule", "edit", "weekly", "--name", "", "--json")
    assert json.loads(answer.stdout)["details"] == {"field": "name"}
    assert as_json(tmp_path, "schedule", "list") == before
    assert as_json(tmp_path, "audit", "list") == audited  # no job.edit changing nothing
    assert as_json(tmp_path, "schedule", "add", "nb.ipynb")["name"] == "nb"
    assert as_json(tmp_path, "schedule", "edit", "weekly", "--name", " w ")["name"] == "w"


def test_a_job_an_older_version_named_with_a_number_keeps_working(
    tmp_path: Path, jobs: dict[str, int]
) -> None:
    """Its other fields can be edited (its name is kept as is), and it can be renamed."""
    legacy = str(jobs["7"])
    edited = as_json(tmp_path, "schedule", "edit", legacy, "-p", "days=2")
    assert (edited["name"], edited["parameters"]) == ("7", {"days": 2})
    assert as_json(tmp_path, "schedule", "edit", legacy, "--name", "7")["name"] == "7"
    assert as_json(tmp_path, "schedule", "edit", legacy, "--name", "job 7")["name"] == "job 7"


def test_names_are_unique_and_default_to_the_notebook_name(
    tmp_path: Path, jobs: dict[str, int]
) -> None:
    taken = nbtools(tmp_path, "schedule", "add", "nb.ipynb", "--name", "nightly")
    assert (taken.exit_code, taken.output) == (
        2,
        "Error: Another job is named 'nightly': choose another name. See --name.\n",
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
        "Error: Job 99 does not exist. List jobs with `nbtools schedule list`. See JOB.\n",
    )


def test_unknown_and_ambiguous_names_exit_2(tmp_path: Path, jobs: dict[str, int]) -> None:
    unknown = nbtools(tmp_path, "alerts", "rule", "add", "monthly", "failed")
    assert (unknown.exit_code, unknown.output) == (
        2,
        "Error: No job is named 'monthly'. List jobs with `nbtools schedule list`. See JOB.\n",
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
        f"Error: 2 jobs are named 'nightly' (ids {first}, {second}); give the job's id instead. "
        "See JOB.\n",
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


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("a\x00b", "NUL (U+0000, character 2)"),
        ("a\nb", "a control character (U+000A, character 2)"),
        ("a\x1b[31mb", "a control character (U+001B, character 2)"),
        ("txt.\u202eexe", "a bidirectional control, which shows the text around it reordered"),
    ],
)
def test_nul_control_and_bidirectional_characters_in_a_name_are_refused_on_each_database(
    shared: Project, text: str, kind: str
) -> None:
    """PostgreSQL answered a NUL with a 500 (its text cannot hold one), SQLite stored it; a
    line break, an escape or U+202E showed the name as another in the dashboard and the CLI."""
    from nbtools import envsnap, jobs
    from nbtools.errors import InvalidInputError

    job = jobs.create_job(shared, {"notebook_path": "nb.ipynb", "name": "kept", "paused": True})
    refusals = [
        (lambda: jobs.create_job(shared, {"notebook_path": "nb.ipynb", "name": text}), "name"),
        (lambda: jobs.update_job(shared, job.id, {"name": text}), "name"),
        (
            lambda: jobs.create_job(
                shared, {"notebook_path": "nb.ipynb", "kernel_name": text}, kernel_check=False
            ),
            "kernel_name",
        ),
        (lambda: jobs.run_notebook(shared, "nb.ipynb", {}, kernel_name=text), "kernel_name"),
        (lambda: envsnap.import_text(shared, "x==1\n", text), "name"),
    ]
    for refused, field in refusals:
        with pytest.raises(InvalidInputError) as error:
            refused()
        assert error.value.details["field"] == field
        assert kind in error.value.message
    assert [(j.id, j.name) for j in jobs.list_jobs(shared)] == [(job.id, "kept")]
    assert jobs.list_runs(shared) == []
    assert envsnap.list_snapshots(shared) == []
