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
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from nbtools.jobs.occurrences import next_or_none
from nbtools.jobs.schedules import previous_times
from nbtools.jobs.tables import MISSED_CATCH_UP, MISSED_RUN_ONCE, MISSED_SKIP
from nbtools.jobs.zones import job_zone

#: Dropped due times are counted up to this many; a longer downtime records the range only.
COUNT_LIMIT = 1000
#: The largest ``catch_up_limit`` a job may have.
MAX_CATCH_UP = 1000

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
        late = result.run.pop()
        result.dropped_first = result.dropped_first or late
        result.dropped_last = late
        if result.dropped_count is not None:
            result.dropped_count += 1
    return result
