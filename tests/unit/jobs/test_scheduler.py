"""The scheduler loop with an injected clock: due runs exactly once, missed runs, reaping."""

from __future__ import annotations

import multiprocessing
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from nbtools.errors import InvalidInputError
from nbtools.ids import MAX_INT_COLUMN
from nbtools.jobs import missed, runs
from nbtools.jobs.cancel import request_cancel
from nbtools.jobs.definitions import create_job, get_job, set_paused
from nbtools.jobs.errors import InvalidScheduleError
from nbtools.jobs.fields import MAX_RETRIES
from nbtools.jobs.scheduler import Scheduler
from nbtools.jobs.tables import Job, Run
from nbtools.project import Project
from tests.clock import Clock
from tests.conftest import make_notebook
from tests.unit.jobs.conftest import catch_up_limit

UTC = timezone.utc


def all_runs(project: Project) -> list[Run]:
    with project.store.session() as session:
        return list(session.scalars(select(Run).order_by(Run.id)))


def job_with(project: Project, notebook: str, **fields: Any) -> tuple[Job, Clock]:
    job = create_job(project, {"notebook_path": notebook, **fields})
    assert job.next_run_at is not None
    return job, Clock(job.next_run_at)


def test_bad_schedule_stores_nothing(project: Project, notebook: str) -> None:
    for fields in ({"cron": "61 * * * *"}, {"cron": "daily", "timezone": "Nowhere/City"}):
        with pytest.raises(InvalidScheduleError):
            create_job(project, {"notebook_path": notebook, **fields})
    with project.store.session() as session:
        assert session.scalars(select(Job)).all() == []


def test_each_due_time_gets_one_run(project: Project, notebook: str) -> None:
    job, clock = job_with(project, notebook, cron="*/15 * * * *", parameters={"n": 3})
    scheduler = Scheduler(project, clock=clock)
    start = clock.now
    for minute in range(0, 120):
        clock.now = start + timedelta(minutes=minute, seconds=5)
        scheduler.tick()
        scheduler.tick()
    created = all_runs(project)
    assert [run.scheduled_for for run in created] == [
        start + timedelta(minutes=15 * i) for i in range(8)
    ]
    assert {(run.trigger, run.status, run.job_id) for run in created} == {
        ("schedule", "queued", job.id)
    }
    assert created[0].parameters == {"n": 3}


def test_a_due_time_cannot_get_a_second_run(project: Project, notebook: str) -> None:
    job, clock = job_with(project, notebook, cron="hourly")
    scheduler = Scheduler(project, clock=clock)
    first_due = clock.now
    assert len(scheduler.tick().created) == 1
    with project.store.session(write=True) as session:  # as if another scheduler lagged
        session.execute(update(Job).where(Job.id == job.id).values(next_run_at=first_due))
    assert scheduler.tick().created == []
    assert len(all_runs(project)) == 1


@pytest.mark.parametrize(
    ("policy", "ran", "dropped"),
    [("run_once", [12], 12), ("skip", [], 13), ("catch_up", [8, 9, 10, 11, 12], 8)],
)
def test_missed_run_policy_after_downtime(
    project: Project, notebook: str, policy: str, ran: list[int], dropped: int
) -> None:
    _, clock = job_with(
        project,
        notebook,
        cron="*/15 * * * *",
        missed_policy=policy,
        **catch_up_limit(policy, 5),
    )
    first_due = clock.now
    clock.now = first_due + timedelta(hours=3, minutes=7)  # due times 0..12 were missed
    report = Scheduler(project, clock=clock).tick()
    created = all_runs(project)
    executed = [run for run in created if run.status == "queued"]
    assert [run.scheduled_for for run in executed] == [
        first_due + timedelta(minutes=15 * i) for i in ran
    ]
    assert report.created == [run.id for run in executed]
    (skipped,) = [run for run in created if run.status == "skipped"]
    assert skipped.scheduled_for == first_due
    assert skipped.skipped_until == first_due + timedelta(minutes=15 * (dropped - 1))
    assert skipped.skipped_count == dropped
    assert skipped.skip_reason is not None
    assert "Missed while no scheduler ran" in skipped.skip_reason
    assert (skipped.trigger, skipped.started_at, skipped.finished_at) == (
        "schedule",
        None,
        clock.now,
    )
    # Skipped rows are never claimed, and a second tick adds nothing.
    assert Scheduler(project, clock=clock).tick().created == []
    assert len(all_runs(project)) == len(created)


def test_no_missed_time_no_skipped_row(project: Project, notebook: str) -> None:
    _, clock = job_with(project, notebook, cron="*/15 * * * *", missed_policy="skip")
    clock.now += timedelta(seconds=30)
    Scheduler(project, clock=clock).tick()
    assert [run.status for run in all_runs(project)] == ["queued"]


@pytest.mark.parametrize(("policy", "ran"), [("run_once", 1), ("catch_up", 1000)])
def test_ten_thousand_missed_minutes_are_bounded(
    project: Project, notebook: str, policy: str, ran: int
) -> None:
    _, clock = job_with(
        project,
        notebook,
        cron="* * * * *",
        missed_policy=policy,
        **catch_up_limit(policy, 1000),
    )
    first_due = clock.now
    clock.now = first_due + timedelta(minutes=9999, seconds=30)  # 10,000 due times missed
    Scheduler(project, clock=clock).tick()
    created = all_runs(project)
    executed = [run.scheduled_for for run in created if run.status == "queued"]
    assert len(executed) == ran
    assert executed == sorted(executed)
    assert executed[-1] == first_due + timedelta(minutes=9999)
    (skipped,) = [run for run in created if run.status == "skipped"]
    assert skipped.scheduled_for == first_due
    assert skipped.skipped_until == executed[0] - timedelta(minutes=1)
    assert skipped.skipped_count is None  # more than COUNT_LIMIT: the range, not a count


def test_a_year_of_missed_minutes_is_planned_from_both_ends() -> None:
    first = datetime(2025, 1, 1, tzinfo=UTC)
    now = datetime(2026, 1, 1, 0, 0, 30, tzinfo=UTC)
    plan = missed.plan(
        "* * * * *",
        "Europe/Berlin",
        first,
        now,
        policy="catch_up",
        catch_up_limit=3,
        grace=timedelta(minutes=1),
    )
    assert plan.run == [now.replace(second=0) - timedelta(minutes=m) for m in (2, 1, 0)]
    assert (plan.dropped_first, plan.dropped_last, plan.dropped_count) == (
        first,
        now.replace(second=0) - timedelta(minutes=3),
        None,
    )


def test_paused_jobs_get_no_runs(project: Project, notebook: str) -> None:
    job, clock = job_with(project, notebook, cron="* * * * *")
    set_paused(project, job.id, True)
    clock.now += timedelta(minutes=10)
    Scheduler(project, clock=clock).tick()
    assert all_runs(project) == []
    resumed = set_paused(project, job.id, False)
    assert resumed.next_run_at is not None


def _running(project: Project, job: Job | None, attempt: int = 1, **fields: Any) -> Run:
    with project.store.session(write=True) as session:
        run = runs.new_run(job, trigger="manual", notebook_path="nb.ipynb", **fields)
        run.attempt = attempt
        session.add(run)
    claimed = runs.claim(project.store, run.id, "gone-host:1")
    assert claimed is not None
    return claimed


def test_reaper_fails_silent_runs_and_retries_once(project: Project, notebook: str) -> None:
    job = create_job(
        project, {"notebook_path": notebook, "retries": 1, "retry_backoff_seconds": 30}
    )
    lost = _running(project, job)
    assert lost.heartbeat_at is not None
    clock = Clock(lost.heartbeat_at + timedelta(seconds=10))
    scheduler = Scheduler(project, clock=clock, lease_seconds=30)
    assert scheduler.tick().reaped == []
    clock.now = lost.heartbeat_at + timedelta(minutes=5)
    assert scheduler.tick().reaped == [lost.id]
    reaped, retry = all_runs(project)
    assert (reaped.status, reaped.error_name) == ("failed", "WorkerLost")
    assert "stopped responding" in (reaped.error_message or "")
    assert (retry.status, retry.attempt, retry.retry_of) == ("queued", 2, lost.id)
    assert retry.not_before is not None
    assert reaped.finished_at is not None
    assert retry.not_before > reaped.finished_at

    second = _running(project, get_job_session(project, job.id), attempt=2)
    assert second.heartbeat_at is not None
    clock.now = second.heartbeat_at + timedelta(minutes=5)
    assert scheduler.tick().reaped == [second.id]
    assert [run.status for run in all_runs(project)][-1] == "failed"  # no third attempt


def test_a_retry_acts_for_who_started_the_run_it_retries(project: Project, notebook: str) -> None:
    """A run bob started of alice's job is retried for bob (its version names him), where the
    retry took the job's creator; a scheduled run's retry stays alice's."""
    fields = {"notebook_path": notebook, "retries": 1, "retry_backoff_seconds": 30}
    job = create_job(project, fields, actor="alice")
    by_bob = _running(project, job, created_by="bob")
    scheduled = _running(project, job)
    assert (by_bob.created_by, scheduled.created_by) == ("bob", "alice")
    assert by_bob.heartbeat_at is not None
    clock = Clock(by_bob.heartbeat_at + timedelta(minutes=5))
    assert Scheduler(project, clock=clock, lease_seconds=30).tick().reaped == [
        by_bob.id,
        scheduled.id,
    ]
    retries = {run.retry_of: run.created_by for run in all_runs(project) if run.retry_of}
    assert retries == {by_bob.id: "bob", scheduled.id: "alice"}


def test_the_last_retry_of_the_longest_backoff_waits_at_most_the_longest_wait(
    store_url: str, tmp_path: Path, notebook: str
) -> None:
    """Retries and backoff at their largest: the last retry is queued (attempt 101, in an
    integer column on PostgreSQL too) at most ``MAX_RETRY_DELAY`` after the failure, where
    the doubled backoff (2^31 - 1 s times 2^99) overflowed the date arithmetic: ending the
    lost run failed with an OverflowError at every tick."""
    project = Project(tmp_path, db_url=store_url)
    try:
        fields = {"retries": MAX_RETRIES, "retry_backoff_seconds": MAX_INT_COLUMN}
        job = create_job(project, {"notebook_path": notebook, **fields})
        lost = _running(project, job, attempt=MAX_RETRIES)
        assert lost.heartbeat_at is not None
        clock = Clock(lost.heartbeat_at + timedelta(minutes=5))
        assert Scheduler(project, clock=clock, lease_seconds=30).tick().reaped == [lost.id]
        reaped, retry = all_runs(project)
        assert (reaped.status, retry.status, retry.attempt) == ("failed", "queued", 101)
        assert reaped.finished_at is not None
        assert retry.not_before is not None
        assert retry.not_before - reaped.finished_at == timedelta(seconds=runs.MAX_RETRY_DELAY)
        with pytest.raises(InvalidInputError) as refused:  # one retry more is refused
            create_job(project, {"notebook_path": notebook, "retries": MAX_RETRIES + 1})
        assert refused.value.details["field"] == "retries"
    finally:
        project.close()


def get_job_session(project: Project, job_id: int) -> Job:
    with project.store.session() as session:
        return get_job(session, job_id)


def test_reaped_run_with_cancel_request_ends_cancelled(project: Project) -> None:
    lost = _running(project, None)
    request_cancel(project.store, lost.id)
    assert lost.heartbeat_at is not None
    Scheduler(project, clock=Clock(lost.heartbeat_at + timedelta(hours=1))).tick()
    assert all_runs(project)[0].status == "cancelled"


def _tick_in_step(root: str, start: datetime, minutes: int, barrier: Any) -> None:
    project = Project(Path(root))
    clock = Clock(start)
    scheduler = Scheduler(project, clock=clock)
    for minute in range(minutes):
        clock.now = start + timedelta(minutes=minute, seconds=1)
        barrier.wait()
        scheduler.tick()
    project.close()


def test_two_scheduler_processes_never_duplicate_a_run(tmp_path: Path) -> None:
    import json

    (tmp_path / "nb.ipynb").write_text(json.dumps(make_notebook([("code", "x = 1", [])])))
    project = Project(tmp_path)
    every_minute = create_job(project, {"notebook_path": "nb.ipynb", "cron": "* * * * *"})
    every_seventh = create_job(project, {"notebook_path": "nb.ipynb", "cron": "*/7 * * * *"})
    assert every_minute.next_run_at is not None
    start = every_minute.next_run_at
    minutes = 240
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    schedulers = [
        context.Process(target=_tick_in_step, args=(str(tmp_path), start, minutes, barrier))
        for _ in range(2)
    ]
    for process in schedulers:
        process.start()
    try:
        for process in schedulers:
            process.join(900)  # seconds when quiet, minutes on a loaded machine
            assert process.exitcode == 0
    finally:
        for process in schedulers:
            process.kill()
            process.join()
    created = all_runs(project)
    per_due_time = Counter((run.job_id, run.scheduled_for) for run in created)
    assert set(per_due_time.values()) == {1}
    by_job = Counter(run.job_id for run in created)
    assert by_job[every_minute.id] == minutes
    assert by_job[every_seventh.id] == len(
        [m for m in range(minutes) if (start + timedelta(minutes=m)).minute % 7 == 0]
    )


def test_a_schedule_with_no_time_left_before_the_year_10000_ends_and_says_why(
    project: Project, notebook: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The last due times the calendar holds run; then the jobs have no next run (never a
    failing tick: the daemon goes on, its other jobs too), their late rules are checked, the
    scheduler logs it once a job (before: nothing) and the jobs' models say why."""
    from nbtools.jobs import list_jobs, show_job
    from nbtools.jobs.views import NO_TIME_LEFT
    from nbtools.metrics import add_rule

    daily, _ = job_with(project, notebook, cron="daily", name="daily")
    leap, _ = job_with(project, notebook, cron="0 0 29 2 *", name="leap", timezone="Asia/Tokyo")
    add_rule(project, daily.id, "late")
    last = {
        daily.id: datetime(9999, 12, 31, tzinfo=UTC),
        leap.id: datetime(9996, 2, 28, 15, tzinfo=UTC),
    }
    with project.store.session(write=True) as session:
        for job_id, due in last.items():
            session.execute(update(Job).where(Job.id == job_id).values(next_run_at=due))
    scheduler = Scheduler(project, clock=Clock(datetime(9999, 12, 31, 12, tzinfo=UTC)))
    report = scheduler.tick()
    assert len(report.created) == 2
    assert {(run.job_id, run.scheduled_for) for run in all_runs(project)} == set(last.items())
    with project.store.session() as session:
        assert [get_job(session, job_id).next_run_at for job_id in last] == [None, None]
    assert scheduler.tick().created == []
    assert [record.getMessage() for record in caplog.records if record.levelname == "ERROR"] == []
    told = [r.getMessage() for r in caplog.records if "no run time left" in r.getMessage()]
    assert sorted(told) == [
        f"nbtools: job {job_id} ({name!r}) has no run time left before the calendar ends with "
        "the year 9999: its schedule runs it no more"
        for job_id, name in sorted([(daily.id, "daily"), (leap.id, "leap")])
    ]
    assert [job.next_run_note for job in list_jobs(project)] == [NO_TIME_LEFT, NO_TIME_LEFT]
    assert show_job(project, daily.id).to_wire()["next_run_note"] == NO_TIME_LEFT
    set_paused(project, daily.id, True)  # a paused job's next run is explained by its pause
    assert show_job(project, daily.id).next_run_note is None
