"""Schedules across daylight-saving changes, over a simulated clock (the scheduler's tick with
an injected ``now``): a repeated wall time runs once at its first occurrence, a missing one
once at the next valid instant, and hourly and shorter schedules keep their UTC spacing."""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from nbtools.jobs.definitions import create_job
from nbtools.jobs.scheduler import Scheduler
from nbtools.jobs.schedules import next_times, previous_times
from nbtools.jobs.tables import Job, Run
from nbtools.project import Project
from tests.clock import Clock
from tests.conftest import NotebookFactory

UTC = timezone.utc
HOUR, QUARTER = 3600.0, 900.0


@dataclass
class Case:
    zone: str
    start: str  # local midnight starting the window (ISO, with offset)
    end: str  # local midnight ending it (exclusive)
    daily: str  # the cron of the daily job (weekly: the same time on Sundays)
    daily_runs: list[str]  # local times, ISO
    weekly_runs: list[str]
    hourly_count: int
    hourly_long_gaps: int  # 90-minute gaps: a 30-minute shift shows once
    quarter_count: int


CASES = {
    "new-york-spring": Case(
        "America/New_York", "2026-03-07T00:00-05:00", "2026-03-09T00:00-04:00", "30 2 * * *",
        ["2026-03-07T02:30:00-05:00", "2026-03-08T03:00:00-04:00"],
        ["2026-03-08T03:00:00-04:00"], 47, 0, 188,
    ),
    "new-york-fall": Case(
        "America/New_York", "2026-10-31T00:00-04:00", "2026-11-02T00:00-05:00", "30 1 * * *",
        ["2026-10-31T01:30:00-04:00", "2026-11-01T01:30:00-04:00"],
        ["2026-11-01T01:30:00-04:00"], 49, 0, 196,
    ),
    "berlin-spring": Case(
        "Europe/Berlin", "2026-03-28T00:00+01:00", "2026-03-30T00:00+02:00", "30 2 * * *",
        ["2026-03-28T02:30:00+01:00", "2026-03-29T03:00:00+02:00"],
        ["2026-03-29T03:00:00+02:00"], 47, 0, 188,
    ),
    "berlin-fall": Case(
        "Europe/Berlin", "2026-10-24T00:00+02:00", "2026-10-26T00:00+01:00", "30 2 * * *",
        ["2026-10-24T02:30:00+02:00", "2026-10-25T02:30:00+02:00"],
        ["2026-10-25T02:30:00+02:00"], 49, 0, 196,
    ),
    "lord-howe-fall": Case(
        "Australia/Lord_Howe", "2026-04-04T00:00+11:00", "2026-04-06T00:00+10:30",
        "45 1 * * *",
        ["2026-04-04T01:45:00+11:00", "2026-04-05T01:45:00+11:00"],
        ["2026-04-05T01:45:00+11:00"], 48, 1, 194,
    ),
    "lord-howe-spring": Case(
        "Australia/Lord_Howe", "2026-10-03T00:00+10:30", "2026-10-05T00:00+11:00",
        "15 2 * * *",
        ["2026-10-03T02:15:00+10:30", "2026-10-04T02:30:00+11:00"],
        ["2026-10-04T02:30:00+11:00"], 47, 1, 190,
    ),
    "kolkata": Case(
        "Asia/Kolkata", "2026-03-07T00:00+05:30", "2026-03-09T00:00+05:30", "30 2 * * *",
        ["2026-03-07T02:30:00+05:30", "2026-03-08T02:30:00+05:30"],
        ["2026-03-08T02:30:00+05:30"], 48, 0, 192,
    ),
}  # fmt: skip


def _job(project: Project, cron: str, zone: str, start: datetime) -> int:
    job = create_job(project, {"notebook_path": "nb.ipynb", "cron": cron, "timezone": zone})
    first = next_times(job.cron or "", zone, start - timedelta(microseconds=1))[0]
    with project.store.session(write=True) as session:  # as if created just before ``start``
        session.execute(update(Job).where(Job.id == job.id).values(next_run_at=first))
    return job.id


def _gaps(times: list[datetime]) -> list[float]:
    return [(later - earlier).total_seconds() for earlier, later in itertools.pairwise(times)]


@pytest.mark.parametrize("name", list(CASES))
def test_schedules_across_a_daylight_saving_change(
    project: Project, notebook_factory: NotebookFactory, name: str
) -> None:
    case = CASES[name]
    notebook_factory("nb.ipynb", [("code", "n = 1", ["parameters"])])
    start, end = datetime.fromisoformat(case.start), datetime.fromisoformat(case.end)
    hour, minute = case.daily.split()[1], case.daily.split()[0]
    ids = {
        "daily": _job(project, case.daily, case.zone, start),
        "weekly": _job(project, f"{minute} {hour} * * 0", case.zone, start),
        "hourly": _job(project, "0 * * * *", case.zone, start),
        "quarter": _job(project, "*/15 * * * *", case.zone, start),
    }
    clock = Clock(start.astimezone(UTC))
    scheduler = Scheduler(project, clock=clock)
    while clock.now < end:
        scheduler.tick()
        clock.now += timedelta(minutes=15)  # every due time here is on a quarter hour
    with project.store.session() as session:
        rows = session.execute(select(Run.job_id, Run.scheduled_for).order_by(Run.scheduled_for))
        by_job: dict[int, list[datetime]] = {}
        for job_id, scheduled_for in rows:
            by_job.setdefault(job_id, []).append(scheduled_for)
    zone = ZoneInfo(case.zone)

    def local(kind: str) -> list[str]:
        return [time.astimezone(zone).isoformat() for time in by_job.get(ids[kind], [])]

    assert local("daily") == case.daily_runs
    assert local("weekly") == case.weekly_runs
    hourly, quarter = by_job[ids["hourly"]], by_job[ids["quarter"]]
    assert len(hourly) == case.hourly_count
    assert sorted(set(_gaps(hourly))) == ([HOUR, 1.5 * HOUR] if case.hourly_long_gaps else [HOUR])
    assert _gaps(hourly).count(1.5 * HOUR) == case.hourly_long_gaps
    assert len(quarter) == case.quarter_count
    assert set(_gaps(quarter)) == {QUARTER}
    assert all(time.astimezone(zone).minute % 15 == 0 for time in quarter)


@pytest.mark.parametrize("name", list(CASES))
def test_previous_times_agree_with_next_times(name: str) -> None:
    case = CASES[name]
    start, end = datetime.fromisoformat(case.start), datetime.fromisoformat(case.end)
    for cron in (case.daily, "0 * * * *", "*/15 * * * *"):
        forward = next_times(cron, case.zone, start, 40)
        forward = [time for time in forward if time <= end]
        latest = forward[-1]
        assert (
            previous_times(cron, case.zone, latest, len(forward) - 1)
            == (forward[::-1][: len(forward) - 1])
        )


def _in_window(case: Case, cron: str, count: int) -> list[datetime]:
    """The due times of ``cron`` in the case's window, the window holding ``count``: the
    first ``count + 1`` times are asked for, the last of which must be past the window."""
    start, end = datetime.fromisoformat(case.start), datetime.fromisoformat(case.end)
    times = next_times(cron, case.zone, start - timedelta(microseconds=1), count + 1)
    assert times[-1] >= end, f"{cron}: more than {count} times in the window"
    return [time for time in times if time < end]


@functools.cache
def _every_hour(name: str, minutes: str) -> list[datetime]:
    """``{minutes} * * * *``'s times in the window of ``CASES[name]`` (the same for every
    hour field compared with it, so worked out once)."""
    case = CASES[name]
    count = case.hourly_count if minutes == "0" else case.quarter_count
    return _in_window(case, f"{minutes} * * * *", count)


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("hours", ["*/1", "0-23", "0-23/1", "0-11,12-23", "12-23,0-11"])
def test_an_hour_field_naming_every_hour_is_every_hour(name: str, hours: str) -> None:
    """``*/1`` or ``0-23`` fires every hour, as ``*`` does, so it keeps UTC spacing too (it
    took the fixed-hour rule: one run fewer the night the clocks go back)."""
    case = CASES[name]
    start, end = datetime.fromisoformat(case.start), datetime.fromisoformat(case.end)
    after = start - timedelta(microseconds=1)
    for minutes in ("0", "*/15"):
        every_hour = _every_hour(name, minutes)
        listed = next_times(f"{minutes} {hours} * * *", case.zone, after, len(every_hour))
        assert listed == every_hour
        assert previous_times(f"{minutes} {hours} * * *", case.zone, end, 5) == (
            previous_times(f"{minutes} * * * *", case.zone, end, 5)
        )
    assert len(_in_window(case, f"0 {hours} * * *", case.hourly_count)) == case.hourly_count


def test_an_hour_field_missing_an_hour_keeps_the_fixed_hour_rule() -> None:
    """``1-23`` names 23 hours: the night clocks go back in New York, 01:00 runs once."""
    after = datetime.fromisoformat("2026-11-01T00:30-04:00")
    times = next_times("0 1-23 * * *", "America/New_York", after, 3)
    zone = ZoneInfo("America/New_York")
    assert [time.astimezone(zone).isoformat() for time in times] == [
        "2026-11-01T01:00:00-04:00",
        "2026-11-01T02:00:00-05:00",
        "2026-11-01T03:00:00-05:00",
    ]


#: Schedules on the last day of the month or a Sunday of it, in New York around the changes of
#: 2026 (the second Sunday of March, the first of November): from a local time, the local
#: times they fire at.
EITHER_DAY = {
    "30 2 L * sun#2": (
        "2026-03-01T00:00-05:00",
        ["2026-03-08T03:00:00-04:00", "2026-03-31T02:30:00-04:00", "2026-04-12T02:30:00-04:00"],
    ),
    "30 1 L * sun#1": (
        "2026-10-01T00:00-04:00",
        [
            "2026-10-04T01:30:00-04:00",
            "2026-10-31T01:30:00-04:00",
            "2026-11-01T01:30:00-04:00",
            "2026-11-30T01:30:00-05:00",
        ],
    ),
}


@pytest.mark.parametrize("cron", list(EITHER_DAY))
def test_a_day_of_the_month_or_of_the_week_across_a_change(cron: str) -> None:
    """Both fields restricted, one with ``#``: the days either names (croniter found none),
    the missing 02:30 at the jump, the repeated 01:30 once."""
    zone = ZoneInfo("America/New_York")
    start, runs = EITHER_DAY[cron]
    times = next_times(cron, zone.key, datetime.fromisoformat(start), len(runs))
    assert [time.astimezone(zone).isoformat() for time in times] == runs
    assert previous_times(cron, zone.key, times[-1], len(runs)) == times[::-1]


@pytest.mark.parametrize(
    ("name", "days", "count"),
    [("new-york-spring", "L * sun#2", 23), ("new-york-fall", "L * sun#1", 49)],
)
def test_every_hour_of_a_day_of_the_month_or_of_the_week_keeps_utc_spacing(
    name: str, days: str, count: int
) -> None:
    """Hourly on the last day of the month or a Sunday of it: the night of the change (a
    Sunday) has 23 hours in spring, 25 in the fall (after 24 on 31 October, the last day)."""
    case = CASES[name]
    start, end = datetime.fromisoformat(case.start), datetime.fromisoformat(case.end)
    cron = f"0 * {days}"
    after = start - timedelta(microseconds=1)
    hourly = [time for time in next_times(cron, case.zone, after, count + 5) if time < end]
    assert len(hourly) == count
    assert set(_gaps(hourly)) == {HOUR}
    assert previous_times(cron, case.zone, hourly[-1], count) == hourly[::-1]
