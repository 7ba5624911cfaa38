"""Editing, pausing, resuming and deleting a job while its due times are missed (no scheduler
ran): an edit that leaves the schedule alone keeps them due for the missed-runs policy; one
that changes it settles them first, as a tick would have; pausing, archiving and purging
record them as skipped. None is silently lost (docs/jobs.md, "Missed runs")."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from nbtools.cli.app import cli
from nbtools.jobs.definitions import create_job, delete_job, get_job, set_paused, update_job
from nbtools.jobs.scheduler import Scheduler
from nbtools.jobs.schedules import due_times, next_due, previous_times
from nbtools.jobs.tables import Job, Run
from nbtools.project import Project
from nbtools.store.base import utcnow
from tests.unit.jobs.conftest import catch_up_limit

HOUR = timedelta(hours=1)


def missed_job(project: Project, notebook: str, **fields: Any) -> tuple[int, list[datetime]]:
    """An hourly job (at half an hour from now's minute, so no due time falls while the test
    runs) whose scheduler was down for its last four due times: its id and those times."""
    cron = f"{(utcnow().minute + 30) % 60} * * * *"
    job = create_job(project, {"notebook_path": notebook, "cron": cron, **fields})
    first = previous_times(cron, "UTC", utcnow() - 3 * HOUR)[0]
    with project.store.session(write=True) as session:
        session.execute(update(Job).where(Job.id == job.id).values(next_run_at=first))
    return job.id, due_times(cron, "UTC", first, utcnow())


def runs_of(project: Project, job_id: int) -> list[Run]:
    with project.store.session() as session:
        query = select(Run).where(Run.job_id == job_id).order_by(Run.scheduled_for)
        return list(session.scalars(query))


def next_run(project: Project, job_id: int) -> datetime | None:
    with project.store.session() as session:
        return get_job(session, job_id).next_run_at


def tick(project: Project) -> list[int]:
    return Scheduler(project).enqueue_due(utcnow())


#: Edits that leave when the job runs as it is.
UNSCHEDULED_EDITS: dict[str, dict[str, Any]] = {
    "retries": {"retries": 1},
    "parameters": {"n": 2},
    "name": {"name": "renamed"},
    "timeouts and HTML": {"timeout_seconds": 60, "output_html": True},
    "catch-up limit": {"catch_up_limit": 3},
    "paused as it is": {"paused": False, "retries": 2},
}


@pytest.mark.parametrize("edit", [*UNSCHEDULED_EDITS, "the same cron and timezone"])
def test_an_edit_that_keeps_the_schedule_keeps_the_missed_due_times(
    project: Project, notebook: str, edit: str
) -> None:
    """The tester's case: `schedule edit cu2 --retries 1` after three missed minutes moved its
    next run to the next minute, and the catch-up ran nothing and recorded nothing."""
    edited, missed = missed_job(project, notebook, missed_policy="catch_up", catch_up_limit=5)
    twin, _ = missed_job(project, notebook, missed_policy="catch_up", catch_up_limit=5)
    with project.store.session() as session:
        same = {"cron": get_job(session, edited).cron, "timezone": "UTC"}
    changes = UNSCHEDULED_EDITS.get(edit, same)
    if "n" in changes:
        changes = {"parameters": changes}
    update_job(project, edited, changes)
    assert next_run(project, edited) == missed[0]
    assert runs_of(project, edited) == []
    tick(project)
    for job_id, limit in ((edited, changes.get("catch_up_limit", 5)), (twin, 5)):
        queued = [run.scheduled_for for run in runs_of(project, job_id) if run.status == "queued"]
        assert queued == missed[-limit:]
    assert next_run(project, edited) == next_run(project, twin)


def test_a_changed_policy_decides_for_the_due_times_missed_before_it(
    project: Project, notebook: str
) -> None:
    job_id, missed = missed_job(project, notebook, missed_policy="run_once")
    update_job(project, job_id, {"missed_policy": "catch_up", "catch_up_limit": 10})
    tick(project)
    assert [run.scheduled_for for run in runs_of(project, job_id)] == missed
    assert {run.status for run in runs_of(project, job_id)} == {"queued"}


@pytest.mark.parametrize(
    ("policy", "ran", "dropped"),
    [("run_once", 1, 3), ("catch_up", 2, 2), ("skip", 0, 4)],  # skip: the latest is 30 min late
)
@pytest.mark.parametrize("change", ["cron", "timezone", "cron and parameters"])
def test_an_edit_of_the_schedule_settles_what_the_old_one_made_due(
    project: Project, notebook: str, policy: str, ran: int, dropped: int, change: str
) -> None:
    job_id, missed = missed_job(
        project, notebook, missed_policy=policy, **catch_up_limit(policy, 2)
    )
    assert len(missed) == 4
    changes: dict[str, Any] = {"timezone": "Asia/Tokyo"} if change == "timezone" else {}
    if change.startswith("cron"):
        changes["cron"] = "0 6 * * *"
    if change.endswith("parameters"):
        changes["parameters"] = {"n": 5}
    before = utcnow()
    job = update_job(project, job_id, changes)
    runs = runs_of(project, job_id)
    queued = [run for run in runs if run.status == "queued"]
    # the old schedule's times, with the job as it was (its parameters too)
    assert [run.scheduled_for for run in queued] == missed[len(missed) - ran :]
    assert all(run.parameters == {} for run in queued)
    skipped = [run for run in runs if run.status == "skipped"]
    assert [(run.scheduled_for, run.skipped_until, run.skipped_count) for run in skipped] == [
        (missed[0], missed[dropped - 1], dropped)
    ]
    assert "Missed while no scheduler ran" in (skipped[0].skip_reason or "")
    assert job.cron is not None
    assert job.next_run_at == next_due(job.cron, job.timezone, before)
    assert tick(project) == []  # nothing of the old schedule is due again
    assert len(runs_of(project, job_id)) == len(runs)


@pytest.mark.parametrize("how", ["pause", "edit"])
def test_pausing_records_the_missed_due_times_as_skipped(
    project: Project, notebook: str, how: str
) -> None:
    job_id, missed = missed_job(project, notebook, missed_policy="catch_up", catch_up_limit=10)
    if how == "pause":
        set_paused(project, job_id, True)
    else:
        update_job(project, job_id, {"paused": True, "retries": 2})
    (skipped,) = runs_of(project, job_id)
    assert (skipped.status, skipped.scheduled_for, skipped.skipped_until) == (
        "skipped",
        missed[0],
        missed[-1],
    )
    assert skipped.skipped_count == 4
    assert "before the job was paused" in (skipped.skip_reason or "")
    assert next_run(project, job_id) is None
    before = utcnow()
    resumed = set_paused(project, job_id, False)  # from the next due time after now
    assert resumed.cron is not None
    assert resumed.next_run_at == next_due(resumed.cron, "UTC", before)
    assert len(runs_of(project, job_id)) == 1


@pytest.mark.parametrize(("purge", "done"), [(False, "archived"), (True, "deleted")])
def test_deleting_a_job_records_the_missed_due_times_as_skipped(
    shared: Project, purge: bool, done: str
) -> None:
    """Before, archiving or purging a job dropped the due times it had missed while no
    scheduler ran without a trace; they are recorded as pausing records them (none runs). A
    purged job's row stays in the history without a job, as its other runs do."""
    job_id, missed = missed_job(shared, "nb.ipynb", missed_policy="catch_up", catch_up_limit=10)
    assert delete_job(shared, job_id, purge=purge) == []
    with shared.store.session() as session:
        (skipped,) = session.scalars(select(Run))
    assert (skipped.status, skipped.scheduled_for, skipped.skipped_until) == (
        "skipped",
        missed[0],
        missed[-1],
    )
    assert skipped.skipped_count == 4
    assert skipped.skip_reason == f"Due while no scheduler ran, before the job was {done}."
    assert skipped.job_id == (None if purge else job_id)
    assert tick(shared) == []


def test_a_paused_job_has_nothing_due_to_settle(project: Project, notebook: str) -> None:
    job = create_job(project, {"notebook_path": notebook, "cron": "* * * * *", "paused": True})
    update_job(project, job.id, {"cron": "0 6 * * *", "timezone": "Europe/Lisbon"})
    assert (next_run(project, job.id), runs_of(project, job.id)) == (None, [])


@pytest.mark.parametrize("changes", [{"retries": 1}, {"cron": "0 0 1 1 *"}])
def test_an_edit_right_after_a_due_time_keeps_its_run(
    project: Project, notebook: str, changes: dict[str, Any]
) -> None:
    """A due time a moment ago that no tick has seen yet (the scheduler polls each second)."""
    job = create_job(
        project, {"notebook_path": notebook, "cron": "* * * * *", "missed_policy": "skip"}
    )
    due = previous_times("* * * * *", "UTC", utcnow())[0]
    with project.store.session(write=True) as session:
        session.execute(update(Job).where(Job.id == job.id).values(next_run_at=due))
    update_job(project, job.id, changes)
    tick(project)
    queued = [run.scheduled_for for run in runs_of(project, job.id) if run.status == "queued"]
    assert due in queued  # (a minute that began meanwhile is due too)


def test_schedule_edit_on_the_command_line_keeps_the_missed_due_times(
    project: Project, notebook: str
) -> None:
    job_id, missed = missed_job(project, notebook, missed_policy="catch_up")
    edited = CliRunner().invoke(
        cli, ["--root", str(project.root), "schedule", "edit", str(job_id), "--retries", "1"]
    )
    assert edited.exit_code == 0, edited.output
    assert next_run(project, job_id) == missed[0]
    moved = CliRunner().invoke(
        cli, ["--root", str(project.root), "schedule", "edit", str(job_id), "--cron", "daily"]
    )
    assert moved.exit_code == 0, moved.output
    assert [run.scheduled_for for run in runs_of(project, job_id)] == missed
