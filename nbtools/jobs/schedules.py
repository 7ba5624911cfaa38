"""Cron schedules in a job's IANA timezone: validation, next times, words, due times.

Times are computed in the job's timezone with croniter (so "06:00 every day" stays 06:00
across daylight-saving changes; a time skipped by a spring-forward moves to the next valid
minute) and stored in UTC.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from nbtools.jobs.errors import InvalidScheduleError

#: Named schedules the UI and CLI offer; ``--cron daily`` means ``0 0 * * *``.
PRESETS: dict[str, str] = {
    "hourly": "0 * * * *",
    "daily": "0 0 * * *",
    "weekdays": "0 0 * * 1-5",
    "weekly": "0 0 * * 1",
    "monthly": "0 0 1 * *",
}


def check_timezone(name: str) -> ZoneInfo:
    """The zone for an IANA name such as ``Europe/Lisbon``, or a precise error."""
    try:
        if not name or name.startswith(("/", ".")) or ".." in name:
            raise ValueError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidScheduleError(
            f"Unknown timezone {name!r}. Use an IANA name such as 'UTC', 'Europe/Lisbon' or "
            "'America/New_York'.",
            timezone=name,
        ) from None


def check_cron(expression: str) -> str:
    """A normalized 5-field cron expression (presets expanded), or a precise error."""
    from croniter import croniter
    from croniter.croniter import CroniterError

    text = PRESETS.get(expression.strip().lower(), expression.strip())
    fields = text.split()
    if len(fields) != 5:
        raise InvalidScheduleError(
            f"Cron expression {expression!r} has {len(fields)} fields; it needs 5: minute hour "
            f"day-of-month month day-of-week (e.g. '0 6 * * 1-5'), or a preset: "
            f"{', '.join(PRESETS)}.",
            cron=expression,
        )
    try:
        croniter(text)
    except (CroniterError, ValueError, KeyError) as exc:
        raise InvalidScheduleError(
            f"Invalid cron expression {expression!r}: {exc}.", cron=expression
        ) from None
    return " ".join(fields)


def next_times(cron: str, zone: str, after: datetime, count: int = 1) -> list[datetime]:
    """The next ``count`` due times strictly after ``after``, in UTC."""
    from croniter import croniter

    iterator = croniter(cron, after.astimezone(check_timezone(zone)))
    return [iterator.get_next(datetime).astimezone(timezone.utc) for _ in range(count)]


def previous_times(cron: str, zone: str, before: datetime, count: int = 1) -> list[datetime]:
    """The ``count`` latest due times at or before ``before``, newest first, in UTC."""
    from croniter import croniter

    start = (before + timedelta(microseconds=1)).astimezone(check_timezone(zone))
    iterator = croniter(cron, start)
    return [iterator.get_prev(datetime).astimezone(timezone.utc) for _ in range(count)]


def due_times(
    cron: str, zone: str, first: datetime, until: datetime, limit: int = 1000
) -> list[datetime]:
    """Due times from ``first`` (a due time itself) up to and including ``until``, in UTC."""
    times: list[datetime] = []
    current = first
    while current <= until and len(times) < limit:
        times.append(current)
        current = next_times(cron, zone, current)[0]
    return times


def describe(cron: str) -> str:
    """The schedule in words, e.g. "At 06:00 AM, Monday through Friday"."""
    from cron_descriptor import get_description

    return str(get_description(cron))


def preview(expression: str, zone: str, now: datetime, count: int = 5) -> dict[str, Any]:
    """A schedule checked and explained: words and the next ``count`` times (UTC and local)."""
    cron = check_cron(expression)
    tz = check_timezone(zone)
    times = next_times(cron, zone, now, max(1, min(count, 50)))
    return {
        "cron": cron,
        "timezone": zone,
        "description": describe(cron),
        "next": [time.isoformat() for time in times],
        "next_local": [time.astimezone(tz).isoformat() for time in times],
    }
