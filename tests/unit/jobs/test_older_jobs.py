"""Jobs older versions stored with a timezone that is no IANA name (``localtime``, the
machine's zone, above all), in a real SQLite store as those versions wrote them: the scheduler
runs them in the zone they are read as and logs it once a job, the late check reads them, the
listings say so, edits and resume keep them, and ``localtime`` given as input is refused."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select, update

from nbtools import jobs
from nbtools.cli.app import cli
from nbtools.jobs.errors import InvalidScheduleError
from nbtools.jobs.scheduler import Scheduler
from nbtools.jobs.schedules import next_times
from nbtools.jobs.tables import Job, Run
from nbtools.jobs.zones import job_zone
from nbtools.metrics import add_rule
from nbtools.project import Project
from tests.clock import Clock

UTC = timezone.utc
CRON = "30 6 * * *"


def old_job(project: Project, notebook: str, stored: str, **values: Any) -> int:
    """A job as an older version stored it: its timezone column holds ``stored``."""
    job = jobs.create_job(project, {"notebook_path": notebook, "cron": CRON, "name": "old"})
    with project.store.session(write=True) as session:
        session.execute(update(Job).where(Job.id == job.id).values(timezone=stored, **values))
    return job.id


def stored_zone(project: Project, job_id: int) -> str:
    with project.store.session() as session:
        return str(session.scalars(select(Job.timezone).where(Job.id == job_id)).one())


@pytest.mark.parametrize(
    ("stored", "zone"),
    [
        ("localtime", job_zone("localtime").name),  # this machine's zone, whichever it is
        ("posix/Europe/Lisbon", "Europe/Lisbon"),
        ("posixrules", "UTC"),
    ],
)
def test_the_scheduler_runs_an_old_job_in_the_zone_it_is_read_as_and_logs_it_once(
    project: Project, notebook: str, caplog: pytest.LogCaptureFixture, stored: str, zone: str
) -> None:
    """Before, each tick logged a traceback ("cannot schedule job") and no run was created;
    the late check logged another."""
    due = next_times(CRON, zone, datetime(2027, 1, 10, tzinfo=UTC))[0]
    job_id = old_job(project, notebook, stored, next_run_at=due)
    add_rule(project, job_id, "late")
    clock = Clock(due)
    scheduler = Scheduler(project, clock=clock)
    caplog.set_level(logging.WARNING)
    due_times = []
    for _ in range(3):
        due_times.append(clock.now)
        report = scheduler.tick()
        assert len(report.created) == 1
        following = jobs.show_job(project, job_id).next_run_at
        assert following is not None
        local = following.astimezone(ZoneInfo(zone))
        assert (local.hour, local.minute) == (6, 30)
        assert following > clock.now
        clock.now = following
    with project.store.session() as session:
        runs = list(session.scalars(select(Run.scheduled_for).order_by(Run.id)))
    assert runs == due_times
    notes = [r.getMessage() for r in caplog.records if f"stored as {stored!r}" in r.getMessage()]
    assert len(notes) == 1  # once, not at each tick
    assert notes[0].startswith(f"nbtools: job {job_id} ('old'): ")
    assert f"it runs in {zone}" in notes[0]
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert stored_zone(project, job_id) == stored  # left as stored: an older version reads it


def test_an_old_job_is_listed_edited_paused_and_resumed_keeping_its_stored_zone(
    project: Project, notebook: str
) -> None:
    """Before, editing any field or resuming it was refused: "Unknown timezone 'localtime'"."""
    machine = job_zone("localtime")
    job_id = old_job(project, notebook, "localtime")
    shown = jobs.show_job(project, job_id)
    assert (shown.timezone, shown.timezone_note) == (machine.name, machine.note)
    assert [job.timezone for job in jobs.list_jobs(project)] == [machine.name]
    (row,) = jobs.dashboard(project, jobs.ListJobsQuery()).jobs
    assert row.to_wire()["timezone_note"] == machine.note
    assert jobs.update_job(project, job_id, {"retries": 2}).retries == 2
    assert jobs.pause_job(project, job_id, True).next_run_at is None
    resumed = jobs.pause_job(project, job_id, False)
    assert resumed.next_run_at is not None
    local = resumed.next_run_at.astimezone(ZoneInfo(machine.name))
    assert (local.hour, local.minute) == (6, 30)
    assert stored_zone(project, job_id) == "localtime"
    for given in ("localtime", "posixrules"):  # input is an IANA name, even for this job
        with pytest.raises(InvalidScheduleError, match=f"Unknown timezone '{given}'") as info:
            jobs.update_job(project, job_id, {"timezone": given, "retries": 3})
        assert info.value.details["field"] == "timezone"
    assert jobs.show_job(project, job_id).retries == 2  # nothing stored
    fixed = jobs.update_job(project, job_id, {"timezone": "Europe/Lisbon"})
    assert (fixed.timezone, fixed.timezone_note) == ("Europe/Lisbon", None)
    assert stored_zone(project, job_id) == "Europe/Lisbon"


def nbtools(root: Path, *args: str) -> Result:
    return CliRunner(env={"COLUMNS": "200"}).invoke(cli, ["--root", str(root), *args])


def test_schedule_list_and_show_name_the_zone_and_edit_refuses_localtime(
    project: Project, notebook: str
) -> None:
    """Before, ``schedule show`` exited 2 ("Unknown timezone 'localtime'") and ``schedule
    list`` showed ``localtime`` (and failed where no zoneinfo file of that name exists)."""
    machine = job_zone("localtime")
    assert machine.note is not None
    job_id = old_job(project, notebook, "localtime")
    listed = nbtools(project.root, "schedule", "list")
    assert listed.exit_code == 0, listed.output
    assert machine.name in listed.stdout
    assert "localtime" not in listed.stdout
    assert listed.stderr.startswith(f"Note: job {job_id} (old): The job's timezone is stored")
    as_json = nbtools(project.root, "schedule", "list", "--json")
    (model,) = json.loads(as_json.stdout)
    assert (model["timezone"], model["timezone_note"]) == (machine.name, machine.note)
    shown = nbtools(project.root, "schedule", "show", str(job_id), "-n", "2")
    assert shown.exit_code == 0, shown.output
    assert "timezone note" in shown.stdout
    assert f"Next runs (At 06:30 AM, {machine.name}):" in shown.stdout
    refused = nbtools(project.root, "schedule", "edit", str(job_id), "--tz", "localtime")
    assert refused.exit_code == 2
    assert "Unknown timezone 'localtime'" in refused.output
    assert "See --tz." in refused.output
    assert "Traceback" not in refused.output
    edited = nbtools(project.root, "schedule", "edit", str(job_id), "--retries", "1")
    assert edited.exit_code == 0, edited.output
    assert stored_zone(project, job_id) == "localtime"


def test_a_job_name_cannot_write_a_line_of_the_scheduler_log(
    project: Project, notebook: str, caplog: pytest.LogCaptureFixture
) -> None:
    due = datetime(2027, 1, 10, 6, 30, tzinfo=UTC)
    name = "old\nERROR forged line"  # refused now (text.check_name_text), stored before
    job_id = old_job(project, notebook, "posixrules", next_run_at=due, name=name)
    caplog.set_level(logging.WARNING)
    assert len(Scheduler(project, clock=Clock(due)).tick().created) == 1
    (told,) = [r.getMessage() for r in caplog.records if "posixrules" in r.getMessage()]
    assert told.startswith(f"nbtools: job {job_id} ('old\\nERROR forged line'): ")
    assert "\n" not in told
