"""``nbtools schedule …`` and ``nbtools runs …`` without executing anything."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from nbtools.cli.app import cli
from nbtools.cli.runs import describe_skipped
from tests.conftest import NotebookFactory
from tests.terminal import answer_at_a_terminal


def nbtools(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--root", str(root), *args])


def test_the_list_says_when_each_job_runs_next(
    tmp_path: Path, notebook_factory: NotebookFactory
) -> None:
    notebook_factory("nb.ipynb", [("code", "days = 1", ["parameters"])])
    for name, *options in [
        ("daily", "--cron", "daily"),
        ("held", "--cron", "daily", "--paused"),
        ("adhoc",),  # no schedule: run with Run now or `schedule run`
    ]:
        added = nbtools(tmp_path, "schedule", "add", "nb.ipynb", "--name", name, *options)
        assert added.exit_code == 0, added.output
    rows = nbtools(tmp_path, "schedule", "list").stdout.splitlines()
    next_runs = {name: row for row in rows for name in ("daily", "held", "adhoc") if name in row}
    assert " 00:00:00 " in next_runs["daily"]
    assert "│ paused " in next_runs["held"]
    assert "│ on demand " in next_runs["adhoc"]


def test_schedule_lifecycle(tmp_path: Path, notebook_factory: NotebookFactory) -> None:
    notebook_factory("nb.ipynb", [("code", "days = 1\ncity = 'x'", ["parameters"])])
    added = nbtools(
        tmp_path,
        "schedule",
        "add",
        "nb.ipynb",
        "--cron",
        "weekdays",
        "--tz",
        "Europe/Lisbon",
        "-p",
        "days=5",
        "--retries",
        "2",
        "--json",
    )
    assert added.exit_code == 0, added.output
    job = json.loads(added.stdout)
    assert (job["cron"], job["parameters"], job["retries"]) == ("0 0 * * 1-5", {"days": 5}, 2)
    assert job["schedule_description"] == "At 12:00 AM, Monday through Friday"

    edited = nbtools(tmp_path, "schedule", "edit", str(job["id"]), "-p", "city=Faro", "--json")
    assert json.loads(edited.stdout)["parameters"] == {"days": 5, "city": "Faro"}
    nothing = nbtools(tmp_path, "schedule", "edit", str(job["id"]))
    assert nothing.exit_code == 2
    assert f"Nothing to change in job {job['id']}" in nothing.output
    assert "paused" in nbtools(tmp_path, "schedule", "pause", str(job["id"])).output
    again = nbtools(tmp_path, "schedule", "pause", str(job["id"]))
    assert (again.exit_code, again.output) == (0, f"Job {job['id']} is already paused.\n")
    listed = json.loads(nbtools(tmp_path, "schedule", "list", "--json").stdout)
    assert [(j["id"], j["paused"], j["next_run_at"]) for j in listed] == [(job["id"], True, None)]
    assert "resumed" in nbtools(tmp_path, "schedule", "resume", str(job["id"])).output
    running = nbtools(tmp_path, "schedule", "resume", str(job["id"])).output
    assert running == f"Job {job['id']} is already running on its schedule.\n"
    audited = json.loads(nbtools(tmp_path, "audit", "list", "--action", "job.*", "--json").stdout)
    assert [(e["action"], e["summary"]) for e in audited][:2] == [  # once each
        ("job.resume", {"changed": ["paused"]}),
        ("job.pause", {"changed": ["paused"]}),
    ]
    unconfirmed = nbtools(tmp_path, "schedule", "remove", str(job["id"]))
    assert unconfirmed.exit_code == 2
    assert "needs confirmation" in unconfirmed.output
    assert len(json.loads(nbtools(tmp_path, "schedule", "list", "--json").stdout)) == 1
    removed = nbtools(tmp_path, "schedule", "remove", str(job["id"]), "--yes")
    assert (removed.exit_code, removed.output) == (0, f"Job {job['id']} archived.\n")
    assert json.loads(nbtools(tmp_path, "schedule", "list", "--json").stdout) == []
    archived = json.loads(nbtools(tmp_path, "schedule", "list", "--archived", "--json").stdout)
    assert [(j["id"], j["archived_at"] is not None) for j in archived] == [(job["id"], True)]
    again = nbtools(tmp_path, "schedule", "remove", str(job["id"]), "--yes")
    assert again.exit_code == 2
    assert "was deleted (archived" in again.output
    assert "purging it deletes the job with its alert rules and alerts, and keeps its runs" in (
        " ".join(again.output.split())
    )
    assert nbtools(tmp_path, "schedule", "resume", str(job["id"])).exit_code == 2
    purged = nbtools(tmp_path, "schedule", "remove", str(job["id"]), "--yes", "--purge")
    assert (purged.exit_code, purged.output) == (0, f"Job {job['id']} purged.\n")
    assert nbtools(tmp_path, "schedule", "list", "--archived", "--json").stdout.strip() == "[]"


def test_bad_schedules_exit_2_and_store_nothing(
    tmp_path: Path, notebook_factory: NotebookFactory
) -> None:
    notebook_factory("nb.ipynb", [("code", "days = 1", ["parameters"])])
    for args, message in [
        (("--cron", "0 0 * *"), "has 4 fields"),
        (("--cron", "0 0 30 2 *"), "This schedule never fires"),
        (("--cron", "0 61 * * *"), "hour must be 0-23, got 61"),
        (("--cron", "daily", "--tz", "Atlantis/Capital"), "Unknown timezone"),
        (("--cron", "daily", "--tz", "localtime"), "Unknown timezone 'localtime'"),
        (("--tz", ""), "The timezone is empty"),
        (("--cron", "daily", "--tz", "Europe/" + "x" * 300), "Unknown timezone"),
        (("-p", "weeks=1"), "Valid parameters: days"),
        (("--missed", "run_once", "--max-concurrent", "0"), "--max-concurrent must be"),
        (("--retries", "-1"), "--retries must be a whole number from 0"),
        (("--retries", "101"), "--retries must be a whole number from 0 to 100, got 101."),
        (("--retry-backoff", "-1"), "--retry-backoff must be"),
        (("--retry-backoff", str(2**31)), "--retry-backoff must be a whole number from 0 to"),
        (("--timeout", "0"), "--timeout must be a positive whole number"),
        (("--timeout", str(2**31)), "--timeout must be a positive whole number of seconds"),
        (("--cell-timeout", str(2**63)), "--cell-timeout must be a positive whole number"),
        (("--max-concurrent", str(2**31)), "--max-concurrent must be a whole number from 1"),
        (("--missed", "catch_up", "--catch-up-limit", "0"), "--catch-up-limit must be"),
        (("--keep-runs", "0"), "--keep-runs must keep 1 to"),
        (("--keep-runs", "1000001"), "--keep-runs must keep 1 to 1000000 runs"),
    ]:
        result = nbtools(tmp_path, "schedule", "add", "nb.ipynb", *args)
        assert result.exit_code == 2, result.output
        assert message in result.output
    assert json.loads(nbtools(tmp_path, "schedule", "list", "--json").stdout) == []


def test_the_largest_options_are_stored(
    store_url: str, tmp_path: Path, notebook_factory: NotebookFactory
) -> None:
    """Each option at its bound (docs/jobs.md, *Bounds*) is kept as given, on PostgreSQL too,
    whose integer columns hold at most 2^31 - 1; one past it is refused above."""
    notebook_factory("nb.ipynb", [("code", "days = 1", ["parameters"])])
    largest = str(2**31 - 1)
    options = {
        "--retries": "100",
        "--retry-backoff": largest,
        "--timeout": largest,
        "--cell-timeout": largest,
        "--max-concurrent": largest,
        "--catch-up-limit": "1000",
        "--keep-runs": "1000000",
    }
    args = [item for pair in options.items() for item in pair] + ["--missed", "catch_up"]
    added = nbtools(tmp_path, "--db-url", store_url, "schedule", "add", "nb.ipynb", *args, "--json")
    assert added.exit_code == 0, added.output
    job = json.loads(added.stdout)
    stored = ["retries", "retry_backoff_seconds", "timeout_seconds", "cell_timeout_seconds"]
    stored += ["max_concurrent", "catch_up_limit", "keep_runs"]
    assert [str(job[field]) for field in stored] == list(options.values())


def test_a_schedule_that_never_fires_is_refused_on_edit_and_preview(
    tmp_path: Path, notebook_factory: NotebookFactory
) -> None:
    notebook_factory("nb.ipynb", [("code", "days = 1", ["parameters"])])
    added = nbtools(tmp_path, "schedule", "add", "nb.ipynb", "--cron", "daily", "--json")
    job = json.loads(added.stdout)
    edited = nbtools(tmp_path, "schedule", "edit", str(job["id"]), "--cron", "0 0 30 2 *")
    assert edited.exit_code == 2, edited.output
    assert "This schedule never fires" in edited.output
    assert "Traceback" not in edited.output
    for zone in ("Nope/Zone", ""):  # the message names the flag that sets the zone
        zoned = nbtools(tmp_path, "schedule", "edit", str(job["id"]), "--tz", zone)
        assert zoned.exit_code == 2, zoned.output
        assert zoned.output.rstrip().endswith("See --tz.")
    listed = json.loads(nbtools(tmp_path, "schedule", "list", "--json").stdout)
    assert [j["cron"] for j in listed] == ["0 0 * * *"]
    preview = nbtools(tmp_path, "schedule", "preview", "0 0 30 2 *")
    assert preview.exit_code == 2
    assert "This schedule never fires" in preview.output
    for zone in ("localtime", ""):  # '' was read as UTC
        zoned = nbtools(tmp_path, "schedule", "preview", "daily", "--tz", zone)
        assert zoned.exit_code == 2, zoned.output
        assert zoned.output.rstrip().endswith("See --tz.")


def test_cron_and_no_cron_together_are_refused_and_change_nothing(
    tmp_path: Path, notebook_factory: NotebookFactory
) -> None:
    """``--no-cron`` won silently (exit 0, the schedule removed), in either order."""
    notebook_factory("nb.ipynb", [("code", "days = 1", ["parameters"])])
    added = nbtools(tmp_path, "schedule", "add", "nb.ipynb", "--cron", "daily", "--json")
    job = str(json.loads(added.stdout)["id"])
    for args in (("--no-cron", "--cron", "weekly"), ("--cron", "weekly", "--no-cron")):
        refused = nbtools(tmp_path, "schedule", "edit", job, *args)
        assert (refused.exit_code, refused.output) == (
            2,
            "Error: Give either --cron or --no-cron, not both.\n",
        )
    listed = json.loads(nbtools(tmp_path, "schedule", "list", "--json").stdout)
    assert [j["cron"] for j in listed] == ["0 0 * * *"]


def test_preview_and_runs_commands(tmp_path: Path, notebook_factory: NotebookFactory) -> None:
    preview = nbtools(tmp_path, "schedule", "preview", "30 6 * * 1", "--tz", "Asia/Tokyo")
    assert preview.exit_code == 0
    assert "At 06:30 AM, only on Monday" in preview.output
    assert preview.output.count(" 06:30:00 JST\n") == 5  # in the schedule's zone

    notebook_factory("nb.ipynb", [("code", "1", [])])
    from nbtools.jobs.submit import queue_run
    from nbtools.project import Project

    project = Project(tmp_path)
    queued = queue_run(project, "nb.ipynb", {})
    project.close()
    rerun = nbtools(tmp_path, "runs", "rerun", str(queued.id), "--json")
    assert json.loads(rerun.stdout)["trigger"] == "rerun"
    assert "cancelled" in nbtools(tmp_path, "runs", "cancel", str(queued.id)).output
    again = nbtools(tmp_path, "runs", "cancel", str(queued.id))
    assert again.exit_code == 2
    assert "already ended (cancelled)" in again.output
    listed = json.loads(nbtools(tmp_path, "runs", "list", "--status", "queued", "--json").stdout)
    assert [run["trigger"] for run in listed] == ["rerun"]
    assert nbtools(tmp_path, "runs", "show", "99").exit_code == 2


def test_runs_list_pages_back_with_limit_and_before(
    tmp_path: Path, notebook_factory: NotebookFactory
) -> None:
    notebook_factory("nb.ipynb", [("code", "1", [])])
    from nbtools.jobs.submit import queue_run
    from nbtools.project import Project

    project = Project(tmp_path)
    ids = [queue_run(project, "nb.ipynb", {}).id for _ in range(5)]
    project.close()

    def page(*args: str) -> list[int]:
        result = nbtools(tmp_path, "runs", "list", "--json", *args)
        assert result.exit_code == 0, result.output
        return [run["id"] for run in json.loads(result.stdout)]

    assert page("--limit", "2") == [ids[4], ids[3]]
    assert page("--limit", "2", "--before", str(ids[3])) == [ids[2], ids[1]]
    assert page("--limit", "2", "--before", str(ids[1])) == [ids[0]]
    assert page("--before", str(ids[0])) == []
    table = nbtools(tmp_path, "runs", "list", "--limit", "2").output
    assert f"older runs: --before {ids[3]}" in table
    refused = nbtools(tmp_path, "runs", "list", "--limit", "0")
    assert (refused.exit_code, "0 is not in the range 1<=x<=1000" in refused.output) == (2, True)


def test_catch_up_policy_and_skipped_runs_in_the_cli(
    tmp_path: Path, notebook_factory: NotebookFactory
) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from nbtools.jobs.scheduler import Scheduler
    from nbtools.jobs.tables import Job
    from nbtools.project import Project

    notebook_factory("nb.ipynb", [("code", "days = 1", ["parameters"])])
    args = ("--cron", "hourly", "--missed", "catch_up", "--catch-up-limit", "2", "--json")
    job = json.loads(nbtools(tmp_path, "schedule", "add", "nb.ipynb", *args).stdout)
    assert (job["missed_policy"], job["catch_up_limit"]) == ("catch_up", 2)
    too_many = nbtools(tmp_path, "schedule", "edit", str(job["id"]), "--catch-up-limit", "1001")
    assert too_many.exit_code == 2
    assert "--catch-up-limit must be a whole number from 1 to 1000" in too_many.output
    for command, *args in [
        ("add", "nb.ipynb", "--cron", "hourly", "--catch-up-limit", "5"),
        ("add", "nb.ipynb", "--missed", "skip", "--catch-up-limit", "5"),
        ("edit", str(job["id"]), "--missed", "run_once", "--catch-up-limit", "5"),
    ]:  # the limit means something under catch_up only
        meaningless = nbtools(tmp_path, "schedule", command, *args)
        assert meaningless.exit_code == 2, meaningless.output
        assert "--catch-up-limit counts only under the missed-runs policy catch_up" in (
            meaningless.output
        )
        assert "See --missed." in meaningless.output
    assert len(json.loads(nbtools(tmp_path, "schedule", "list", "--json").stdout)) == 1

    project = Project(tmp_path)
    first = datetime.fromisoformat(job["next_run_at"])
    with project.store.session(write=True) as session:  # the scheduler was down 5 hours
        session.execute(update(Job).values(next_run_at=first - timedelta(hours=5)))
    Scheduler(project, clock=lambda: first + timedelta(minutes=1)).tick()
    project.close()

    wide = {"COLUMNS": "400"}
    listed = CliRunner(env=wide).invoke(
        cli, ["--root", str(tmp_path), "runs", "list", "--status", "skipped"]
    )
    assert listed.exit_code == 0, listed.output
    assert "4 due times skipped" in listed.output
    (skipped,) = json.loads(
        nbtools(tmp_path, "runs", "list", "--status", "skipped", "--json").stdout
    )
    assert skipped["skipped"]["count"] == 4
    assert "beyond the catch-up limit of 2" in skipped["skipped"]["reason"]
    shown = CliRunner(env=wide).invoke(
        cli, ["--root", str(tmp_path), "runs", "show", str(skipped["id"])]
    )
    assert "beyond the catch-up limit of 2" in shown.output
    queued = json.loads(nbtools(tmp_path, "runs", "list", "--status", "queued", "--json").stdout)
    assert [datetime.fromisoformat(run["scheduled_for"]) for run in queued] == [
        first,
        first - timedelta(hours=1),
    ]
    cancel = nbtools(tmp_path, "runs", "cancel", str(skipped["id"]))
    assert cancel.exit_code == 2


@pytest.mark.parametrize(
    ("count", "said"),
    [
        (1, "1 due time skipped"),
        (2, "2 due times skipped"),
        (None, "more than 1000 due times skipped"),
    ],
)
def test_a_skipped_run_counts_its_due_times(count: int | None, said: str) -> None:
    model = {
        "scheduled_for": "2026-01-01T06:00:00+00:00",
        "skipped": {"count": count, "until": "2026-01-01T07:00:00+00:00", "reason": "Missed."},
    }
    assert describe_skipped(model).startswith(f"{said} (")


def test_idempotency_key_and_missing_notebook_in_the_cli(
    tmp_path: Path, notebook_factory: NotebookFactory
) -> None:
    notebook_factory("nb.ipynb", [("code", "days = 1", ["parameters"])])
    args = ("schedule", "add", "nb.ipynb", "--idempotency-key", "nightly-1", "--json")
    first = json.loads(nbtools(tmp_path, *args).stdout)
    second = nbtools(tmp_path, *args)
    assert second.exit_code == 2
    assert f"already submitted with idempotency key 'nightly-1': job {first['id']}" in (
        second.output
    )
    assert len(json.loads(nbtools(tmp_path, "schedule", "list", "--json").stdout)) == 1
    missing = nbtools(tmp_path, "schedule", "add", "gone.ipynb", "--cron", "daily")
    assert missing.exit_code == 2
    assert "'gone.ipynb' does not exist" in missing.output
    assert "Traceback" not in missing.output


def test_schedule_run_queues_a_run_of_the_job_now(
    tmp_path: Path, notebook_factory: NotebookFactory
) -> None:
    """`schedule run JOB`: the job's parameters, -p values typed by the notebook and replacing
    them for this run only; bad values, unknown parameters and jobs exit 2 and queue nothing."""
    path = notebook_factory("nb.ipynb", [("code", "days = 1\ncity = 'x'", ["parameters"])])
    added = nbtools(tmp_path, "schedule", "add", "nb.ipynb", "--name", "daily", "-p", "city=Porto")
    assert added.exit_code == 0, added.output

    queued = nbtools(tmp_path, "schedule", "run", "daily", "-p", "days=3", "--json")
    assert queued.exit_code == 0, queued.output
    run = json.loads(queued.stdout)
    assert (run["status"], run["job_id"], run["trigger"]) == ("queued", 1, "manual")
    assert run["parameters"] == {"city": "Porto", "days": 3}
    assert nbtools(tmp_path, "schedule", "run", "1").stdout == "Queued run 2 of job 1.\n"
    job = json.loads(nbtools(tmp_path, "schedule", "list", "--json").stdout)[0]
    assert job["parameters"] == {"city": "Porto"}  # the override was for that run only

    for args, message in [
        (["daily", "-p", "days=three"], "expects int"),
        (["daily", "-p", "weeks=1"], "Unknown parameter 'weeks'"),
        (["weekly"], "No job is named 'weekly'"),
    ]:
        refused = nbtools(tmp_path, "schedule", "run", *args)
        assert refused.exit_code == 2, refused.output
        assert message in refused.output
    keyed = ["schedule", "run", "daily", "--idempotency-key", "deploy-42"]
    assert nbtools(tmp_path, *keyed).exit_code == 0
    assert nbtools(tmp_path, *keyed).exit_code == 2  # the second is refused, naming the first
    runs = json.loads(nbtools(tmp_path, "runs", "list", "--json").stdout)
    assert len(runs) == 3

    # A job pinned to a version types the values by that version, not by the file now.
    nbtools(tmp_path, "version", "save", "nb.ipynb")
    assert nbtools(tmp_path, "schedule", "edit", "daily", "--pin-version", "1").exit_code == 0
    path.write_text(path.read_text().replace("days = 1", "days = 'one'"))
    pinned = json.loads(
        nbtools(tmp_path, "schedule", "run", "daily", "-p", "days=2", "--json").stdout
    )
    assert pinned["parameters"]["days"] == 2


def test_pause_resume_and_remove_print_the_job_with_json(
    tmp_path: Path, notebook_factory: NotebookFactory
) -> None:
    """docs/cli.md: each prints the job as `schedule edit --json` does (the REST API's job),
    in its new state; a job already so is printed unchanged; refusals are JSON errors."""
    notebook_factory("nb.ipynb", [("code", "days = 1", ["parameters"])])
    job = json.loads(
        nbtools(tmp_path, "schedule", "add", "nb.ipynb", "--cron", "daily", "--json").stdout
    )

    def answer(*args: str) -> dict[str, Any]:
        result = nbtools(tmp_path, "schedule", *args, "--json")
        assert result.exit_code == 0, result.output
        found: dict[str, Any] = json.loads(result.stdout)
        assert found.keys() == job.keys()
        return found

    paused = answer("pause", str(job["id"]))
    assert (paused["id"], paused["paused"], paused["next_run_at"]) == (job["id"], True, None)
    assert answer("pause", job["name"]) == paused  # already paused: unchanged
    resumed = answer("resume", str(job["id"]))
    assert (resumed["paused"], resumed["archived_at"]) == (False, None)
    shown = json.loads(nbtools(tmp_path, "schedule", "show", str(job["id"]), "--json").stdout)
    assert resumed["next_run_at"] == shown["job"]["next_run_at"] is not None
    audited = json.loads(nbtools(tmp_path, "audit", "list", "--action", "job.*", "--json").stdout)
    assert [entry["action"] for entry in audited] == ["job.resume", "job.pause", "job.create"]

    archived = answer("remove", str(job["id"]), "--yes")
    assert (archived["id"], archived["paused"], archived["next_run_at"]) == (job["id"], True, None)
    assert archived["archived_at"] is not None
    purged = answer("remove", str(job["id"]), "--yes", "--purge")
    assert (purged["id"], purged["name"], purged["archived_at"]) == (
        job["id"],
        job["name"],
        archived["archived_at"],
    )  # as it was when it was deleted
    assert json.loads(nbtools(tmp_path, "schedule", "list", "--archived", "--json").stdout) == []


def test_pause_resume_and_remove_refusals_are_json_errors(
    tmp_path: Path, notebook_factory: NotebookFactory
) -> None:
    notebook_factory("nb.ipynb", [("code", "days = 1", ["parameters"])])
    added = nbtools(tmp_path, "schedule", "add", "nb.ipynb", "--name", "kept", "--json")
    job = json.loads(added.stdout)
    archived = nbtools(tmp_path, "schedule", "add", "nb.ipynb", "--name", "old", "--json")
    old = json.loads(archived.stdout)["id"]
    assert nbtools(tmp_path, "schedule", "remove", str(old), "--yes").exit_code == 0
    for args, error, words in [
        (("pause", "nope"), "NotFoundError", "No job is named 'nope'"),
        (("resume", str(old)), "ConflictError", "was deleted (archived"),
        (("remove", str(old), "--yes"), "ConflictError", "was deleted (archived"),
        (("remove", "kept"), "InvalidInputError", "needs confirmation"),  # no terminal
        (("resume", "kept", "--bogus"), "NoSuchOption", "--bogus"),
    ]:
        result = nbtools(tmp_path, "schedule", *args, "--json")
        assert result.exit_code == 2, result.output
        answer = json.loads(result.stdout)
        assert (answer["error"], words in answer["message"]) == (error, True), answer
    listed = json.loads(nbtools(tmp_path, "schedule", "list", "--json").stdout)
    assert [(j["id"], j["paused"]) for j in listed] == [(job["id"], False)]  # nothing changed


def test_the_confirmation_asked_in_a_terminal_leaves_stdout_to_the_json(
    tmp_path: Path, notebook_factory: NotebookFactory
) -> None:
    """`schedule remove JOB --json` at a terminal asks on stderr: stdout (piped, say to jq)
    holds the JSON answer alone."""
    notebook_factory("nb.ipynb", [("code", "days = 1", ["parameters"])])
    job = json.loads(nbtools(tmp_path, "schedule", "add", "nb.ipynb", "--json").stdout)
    command = ["--root", str(tmp_path), "schedule", "remove", str(job["id"]), "--json"]
    removed = answer_at_a_terminal("y\n", *command)
    assert removed.returncode == 0, removed.stderr
    assert "Delete (archive) job 1 ('nb')? [y/N]:" in removed.stderr
    archived = json.loads(removed.stdout)
    assert (archived["id"], archived["archived_at"] is not None) == (job["id"], True)


def test_a_list_of_only_archived_jobs_says_how_to_see_them(
    tmp_path: Path, notebook_factory: NotebookFactory
) -> None:
    """With every job removed, ``schedule list`` said ``No jobs yet: … schedule add … creates
    one.``, as if there had never been one; it now points to ``--archived``."""
    notebook_factory("nb.ipynb", [("code", "x = 1", [])])
    assert nbtools(tmp_path, "schedule", "list").output.startswith("No jobs yet:")
    assert nbtools(tmp_path, "schedule", "add", "nb.ipynb").exit_code == 0
    assert nbtools(tmp_path, "schedule", "remove", "1", "--yes").exit_code == 0
    listed = nbtools(tmp_path, "schedule", "list")
    assert listed.output == (
        "No jobs but 1 archived (deleted): `nbtools schedule list --archived` lists them; "
        "`nbtools schedule add NOTEBOOK --cron daily` creates one.\n"
    )
    assert json.loads(nbtools(tmp_path, "schedule", "list", "--json").stdout) == []
