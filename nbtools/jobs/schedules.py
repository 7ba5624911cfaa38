"""Cron schedules in a job's IANA timezone: validation, next times, words, due times.

Times are computed in the job's timezone (so "06:00 every day" stays 06:00 across
daylight-saving changes; :mod:`nbtools.jobs.occurrences` has the rules for repeated and
skipped wall times) and stored in UTC.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from nbtools.jobs import occurrences
from nbtools.jobs.errors import InvalidScheduleError
from nbtools.jobs.occurrences import next_time

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


#: The five cron fields: name in words, lowest and highest number.
FIELDS: tuple[tuple[str, int, int], ...] = (
    ("minute", 0, 59),
    ("hour", 0, 23),
    ("day of month", 1, 31),
    ("month", 1, 12),
    ("day of week", 0, 7),
)


def _check_field(text: str, name: str, low: int, high: int, expression: str) -> None:
    """Refuse a number outside the field's range or a step that is not positive."""
    for part in text.split(","):
        base, slash, step = part.partition("/")
        if slash and not (step.isascii() and step.isdigit() and int(step) > 0):
            raise InvalidScheduleError(
                f"Invalid cron expression {expression!r}: the {name} step must be a positive "
                f"whole number, got {step!r}.",
                cron=expression,
                field=name,
            )
        for number in base.split("-"):
            if number.isascii() and number.isdigit() and not low <= int(number) <= high:
                raise InvalidScheduleError(
                    f"Invalid cron expression {expression!r}: {name} must be {low}-{high}, "
                    f"got {number}.",
                    cron=expression,
                    field=name,
                )


def check_cron(expression: str) -> str:
    """A normalized 5-field cron expression (presets expanded) that fires, or a precise error."""
    from croniter import croniter
    from croniter.croniter import CroniterBadDateError, CroniterError

    text = PRESETS.get(expression.strip().lower(), expression.strip())
    fields = text.split()
    if len(fields) != 5:
        raise InvalidScheduleError(
            f"Cron expression {expression!r} has {len(fields)} fields; it needs 5: minute hour "
            f"day-of-month month day-of-week (e.g. '0 6 * * 1-5'), or a preset: "
            f"{', '.join(PRESETS)}.",
            cron=expression,
        )
    for field, (name, low, high) in zip(fields, FIELDS, strict=True):
        _check_field(field, name, low, high, expression)
    normalized = " ".join(fields)
    try:
        # Every day-of-month/month pair recurs within 8 years (29 February included).
        croniter(normalized, datetime(2000, 1, 1)).get_next(datetime)
    except CroniterBadDateError:
        raise InvalidScheduleError(
            f"This schedule never fires: {expression!r} names a day that none of its months "
            "has (e.g. 30 February). Pick a day every chosen month has, or 'L' for the last.",
            cron=expression,
        ) from None
    except (CroniterError, ValueError, KeyError) as exc:
        raise InvalidScheduleError(
            f"Invalid cron expression {expression!r}: {exc}.", cron=expression
        ) from None
    return normalized


def next_times(cron: str, zone: str, after: datetime, count: int = 1) -> list[datetime]:
    """The next ``count`` due times strictly after ``after``, in UTC (see
    :mod:`nbtools.jobs.occurrences` for the daylight-saving rules)."""
    tz = check_timezone(zone)
    times = [next_time(cron, tz, after)]
    while len(times) < count:
        times.append(next_time(cron, tz, times[-1]))
    return times


def previous_times(cron: str, zone: str, before: datetime, count: int = 1) -> list[datetime]:
    """The ``count`` latest due times at or before ``before``, newest first, in UTC."""
    return occurrences.previous_times(cron, check_timezone(zone), before, count)


def due_times(
    cron: str, zone: str, first: datetime, until: datetime, limit: int = 1000
) -> list[datetime]:
    """Due times from ``first`` (a due time itself) up to and including ``until``, in UTC,
    at most ``limit`` of them."""
    tz = check_timezone(zone)
    times: list[datetime] = []
    current = first
    while current <= until and len(times) < limit:
        times.append(current)
        current = next_time(cron, tz, current)
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
