"""Due times missed while no scheduler ran: which of them run, and which are dropped.

A job's policy decides (docs/jobs.md, "Missed runs"):

- ``run_once``: the latest missed due time runs; the others are dropped.
- ``catch_up``: one run per missed due time, oldest first, each with its own scheduled time,
  at most the job's ``catch_up_limit`` (the latest ones); older ones are dropped.
- ``skip``: the latest due time runs only if it is at most the misfire grace late; the
  others are dropped.

Dropped due times are recorded compactly as one ``skipped`` run per catch-up: the first and
the last dropped time and their count. The work is bounded whatever the downtime: at most
``limit + COUNT_LIMIT`` due times are enumerated; beyond that the count is left unknown
(None) and the latest due times are found walking back from now.

A scheduler's tick and an edit of a job's schedule (:mod:`nbtools.jobs.definitions`) both
settle the due times up to now with :func:`enqueue_due`; pausing, archiving or deleting a job
drops them all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.exc import IntegrityError

from nbtools.jobs import runs
from nbtools.jobs.occurrences import next_or_none
from nbtools.jobs.schedules import previous_times
from nbtools.jobs.tables import MISSED_CATCH_UP, MISSED_RUN_ONCE, MISSED_SKIP, SKIPPED
from nbtools.jobs.zones import job_zone

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from nbtools.jobs.models import Job

#: Dropped due times are counted up to this many; a longer downtime records the range only.
COUNT_LIMIT = 1000
#: The largest ``catch_up_limit`` a job may have.
MAX_CATCH_UP = 1000
#: How late the latest due time may be and still run under the "skip" missed-run policy.
MISFIRE_GRACE_SECONDS = 60.0

_TICK = timedelta(microseconds=1)


@dataclass
class Plan:
    """Due times to run (oldest first) and the range of dropped ones, if any."""

    run: list[datetime] = field(default_factory=list)
    dropped_first: datetime | None = None
    dropped_last: datetime | None = None
    #: How many due times were dropped; None when more than :data:`COUNT_LIMIT`.
    dropped_count: int | None = 0
    reason: str = ""

    def drop_latest(self) -> None:
        """Drop the latest due time the plan would run too."""
        latest = self.run.pop()
        self.dropped_first = self.dropped_first or latest
        self.dropped_last = latest
        if self.dropped_count is not None:
            self.dropped_count += 1


def _reason(policy: str, limit: int) -> str:
    missed = "Missed while no scheduler ran"
    if policy == MISSED_CATCH_UP:
        return f"{missed}; beyond the catch-up limit of {limit} runs."
    if policy == MISSED_SKIP:
        return f"{missed}; the job's missed-runs policy is skip."
    return f"{missed}; the job's missed-runs policy runs only the latest."


def plan(
    cron: str,
    zone: str,
    first: datetime,
    now: datetime,
    *,
    policy: str,
    catch_up_limit: int,
    grace: timedelta,
) -> Plan:
    """What to do with the due times from ``first`` (itself due) up to ``now``."""
    assert policy in (MISSED_RUN_ONCE, MISSED_SKIP, MISSED_CATCH_UP)
    limit = catch_up_limit if policy == MISSED_CATCH_UP else 1
    tz = job_zone(zone).info
    due: list[datetime] = []
    current: datetime | None = first
    while current is not None and current <= now and len(due) < limit + COUNT_LIMIT:
        due.append(current)
        current = next_or_none(cron, tz, current)  # None: the calendar ends first
    result = Plan(reason=_reason(policy, limit))
    if current is not None and current <= now:  # more than the bound: walk back from now
        result.run = previous_times(cron, zone, now, limit)[::-1]
        result.dropped_first = first
        result.dropped_last = previous_times(cron, zone, result.run[0] - _TICK)[0]
        result.dropped_count = None
    else:
        result.run = due[-limit:]
        dropped = due[:-limit]
        if dropped:
            result.dropped_first, result.dropped_last = dropped[0], dropped[-1]
        result.dropped_count = len(dropped)
    if policy == MISSED_SKIP and result.run and result.run[0] < now - grace:
        result.drop_latest()
    return result


def enqueue_due(
    session: Session,
    job: Job,
    now: datetime,
    *,
    grace: timedelta = timedelta(seconds=MISFIRE_GRACE_SECONDS),
    stopped: str | None = None,
) -> list[int]:
    """Settle ``job``'s due times from its ``next_run_at`` up to ``now`` (none when that is
    later, or the job has no schedule or next run): a queued run for each one its policy runs,
    one ``skipped`` run for those it drops — every one of them when the job is being
    ``stopped`` (``paused``, ``archived``, ``deleted``: nothing it missed runs; the reason
    says which). A due time that has its run already (another scheduler made it) is left as
    it is. The ids of the runs queued; ``next_run_at`` is the caller's to move."""
    first = job.next_run_at
    if job.cron is None or first is None or first > now:
        return []
    todo = plan(
        job.cron,
        job.timezone,
        first,
        now,
        policy=MISSED_RUN_ONCE if stopped else job.missed_policy,
        catch_up_limit=job.catch_up_limit,
        grace=grace,
    )
    if stopped:
        todo.drop_latest()
        todo.reason = f"Due while no scheduler ran, before the job was {stopped}."
    rows = [runs.new_run(job, trigger="schedule", scheduled_for=t) for t in todo.run]
    if todo.dropped_first is not None:
        rows.append(runs.skipped_run(job, todo, now))
    created = []
    for run in rows:
        try:
            with session.begin_nested():
                session.add(run)
        except IntegrityError:
            continue  # this due time already has its run
        if run.status != SKIPPED:
            created.append(run.id)
    return created
