"""Cron schedules in a job's IANA timezone: validation, next times, words, due times.

Times are computed in the job's timezone (so "06:00 every day" stays 06:00 across
daylight-saving changes; :mod:`nbtools.jobs.occurrences` has the rules for repeated and
skipped wall times) and stored in UTC.
"""

from __future__ import annotations

import functools
import re
from datetime import datetime
from typing import Any

from nbtools.jobs import occurrences
from nbtools.jobs.errors import InvalidScheduleError
from nbtools.jobs.occurrences import next_or_none, next_time
from nbtools.jobs.zones import check_timezone, job_zone

#: Named schedules the UI and CLI offer; ``--cron daily`` means ``0 0 * * *``.
PRESETS: dict[str, str] = {
    "hourly": "0 * * * *",
    "daily": "0 0 * * *",
    "weekdays": "0 0 * * 1-5",
    "weekly": "0 0 * * 1",
    "monthly": "0 0 1 * *",
    "yearly": "0 0 1 1 *",
}

#: The nicknames of cron (crontab(5)), with cron's meanings: ``@weekly`` is Sunday midnight
#: (the ``weekly`` preset is Monday's), ``@midnight`` is ``@daily``.
NICKNAMES: dict[str, str] = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}


_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")

#: The five cron fields: name in words, lowest and highest number, and the names they take.
#: Longer than any useful schedule (every minute listed one by one takes 170 characters);
#: it also keeps numbers far from the 4300 digits Python refuses to convert.
MAX_CRON_LENGTH = 1000
FIELDS: tuple[tuple[str, int, int, tuple[str, ...]], ...] = (
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day of month", 1, 31, ()),
    ("month", 1, 12, _MONTHS),
    ("day of week", 0, 7, _DAYS),
)


def _cron_error(expression: str, name: str | None, reason: str) -> InvalidScheduleError:
    """A refused cron expression: ``details.field`` is ``cron`` (the job field) and
    ``details.cron_field`` the cron field in words (``minute``, ``day of week``, ...)."""
    details: dict[str, Any] = {"cron": expression, "field": "cron"}
    if name is not None:
        details["cron_field"] = name
    return InvalidScheduleError(f"Invalid cron expression {expression!r}: {reason}", **details)


def _check_value(token: str, field: tuple[str, int, int, tuple[str, ...]], expression: str) -> None:
    """Refuse a value that is neither a number in the field's range nor one of its names
    (English, in any case: croniter knows no other language); a word is told the names the
    field takes, and the one it may mean (``Monday``, ``janvier``: its first three letters)."""
    name, low, high, names = field
    if token.lower() in names:
        return
    number = token.isascii() and token.isdigit()
    if number and low <= int(token) <= high:
        return
    also = f" or {names[0]}-{names[-1]}" if names else ""
    shown = token if number else repr(token)
    reason = f"{name} must be {low}-{high}{also}, got {shown}."
    if names and not number:
        meant = token[:3].lower()
        hint = f"; did you mean {meant!r}?" if meant in names else "."
        reason += f" The {name} takes English names, in any case: {', '.join(names)}{hint}"
    raise _cron_error(expression, name, reason)


def _check_field(text: str, field: tuple[str, int, int, tuple[str, ...]], expression: str) -> None:
    """Check one cron field item by item (``*``, ``N``, ``N-M``, each with an optional
    ``/step``; ``?``, ``L`` and ``NW`` for the day of month; ``?`` and ``N#k`` for the day of
    week), so every mistake is told in words naming the field."""
    name = field[0]
    for part in text.split(","):
        base, slash, step = part.partition("/")
        if slash and not (step.isascii() and step.isdigit() and int(step) > 0):
            raise _cron_error(
                expression, name, f"the {name} step must be a positive whole number, got {step!r}."
            )
        item = base.lower()
        if not item:
            raise _cron_error(expression, name, f"{name} has an empty item in {text!r}.")
        if item == "*" or (item == "?" and name in ("day of month", "day of week")):
            continue
        if name == "day of month" and not slash and (item == "l" or item.endswith("w")):
            if item != "l":
                _check_value(base[:-1], field, expression)
            continue
        if name == "day of week" and not slash and "#" in item:
            day, _, nth = base.partition("#")
            _check_value(day, field, expression)
            if nth not in tuple("12345"):
                raise _cron_error(
                    expression, name, f"the week of the month after # must be 1-5, got {nth!r}."
                )
            continue
        values = base.split("-", 1)
        for value in values if all(values) else [base]:
            _check_value(value, field, expression)
    _check_kinds(text, name, expression)


def _check_kinds(text: str, name: str, expression: str) -> None:
    """Refuse a list of days croniter cannot compute, saying what to write instead: ``15W``
    with other days, ``mon#1`` with days that are not of a week of the month."""
    items = text.split(",")
    if len(items) < 2:
        return
    if name == "day of month" and (near := [i for i in items if i.lower().endswith("w")]):
        raise _cron_error(
            expression,
            name,
            f"{near[0]} (the weekday nearest a day) cannot be listed with other days: give it "
            "alone (15W), or list days and L without it (1,15,L); for both, make a job each.",
        )
    weeks = [item for item in items if "#" in item]
    if name == "day of week" and weeks and len(weeks) < len(items):
        other = next(item for item in items if "#" not in item)
        raise _cron_error(
            expression,
            name,
            f"{weeks[0]} (a day of a week of the month) cannot be listed with {other}: list "
            "days of weeks of the month only (mon#1,fri#5) or days only (mon,fri); for both, "
            "make a job each.",
        )


def check_cron(expression: str) -> str:
    """A normalized 5-field cron expression (presets expanded) that fires, or a precise error
    naming the field in words ("minute must be 0-59, got 61", "this schedule never fires")."""
    from croniter.croniter import CroniterBadDateError, CroniterError

    if len(expression) > MAX_CRON_LENGTH:
        raise InvalidScheduleError(
            f"A cron expression is at most {MAX_CRON_LENGTH} characters long; this one has "
            f"{len(expression)}.",
            field="cron",
        )
    word = expression.strip().lower()
    if word == "@reboot":
        raise InvalidScheduleError(
            "'@reboot' names no time: a job runs on a schedule or when asked. Leave the "
            "schedule out for a job that runs only on demand (Run now, `nbtools schedule run`).",
            cron=expression,
            field="cron",
        )
    text = PRESETS.get(word) or NICKNAMES.get(word) or expression.strip()
    fields = text.split()
    if len(fields) != 5:
        counted = "1 field" if len(fields) == 1 else f"{len(fields)} fields"
        raise InvalidScheduleError(
            f"Cron expression {expression!r} has {counted}; it needs 5: minute hour "
            f"day-of-month month day-of-week (e.g. '0 6 * * 1-5'), a preset "
            f"({', '.join(PRESETS)}) or a nickname of cron ({', '.join(NICKNAMES)}).",
            cron=expression,
            field="cron",
        )
    for item, field in zip(fields, FIELDS, strict=True):
        _check_field(item, field, expression)
    normalized = " ".join(fields)
    try:
        # Every day-of-month/month pair recurs within 8 years (29 February included).
        occurrences.naive_next(normalized, datetime(2000, 1, 1))
    except CroniterBadDateError:
        raise InvalidScheduleError(
            f"This schedule never fires: {expression!r} names a day that none of its months "
            "has (e.g. 30 February). Pick a day every chosen month has, or 'L' for the last.",
            cron=expression,
            field="cron",
        ) from None
    except (CroniterError, ValueError, KeyError):
        raise _cron_error(
            expression,
            None,
            "check each field: minute hour day-of-month month day-of-week (e.g. '0 6 * * 1-5').",
        ) from None
    return normalized


def next_times(cron: str, zone: str, after: datetime, count: int = 1) -> list[datetime]:
    """The next ``count`` due times strictly after ``after``, in UTC (see
    :mod:`nbtools.jobs.occurrences` for the daylight-saving rules): fewer when the calendar
    ends first (year 9999), and :class:`OutsideCalendarError` when it has none of them.

    ``zone`` here and below is a job's timezone as stored, read by
    :func:`~nbtools.jobs.zones.job_zone` (an older version's ``localtime`` too): a name given
    by a user is checked where it is given (:func:`check_timezone`)."""
    tz = job_zone(zone).info
    times = [next_time(cron, tz, after)]
    while len(times) < count and (later := next_or_none(cron, tz, times[-1])) is not None:
        times.append(later)
    return times


def next_due(cron: str, zone: str, after: datetime) -> datetime | None:
    """The first due time strictly after ``after``, in UTC; None when the calendar ends
    before it (no time left before the year 10000)."""
    return next_or_none(cron, job_zone(zone).info, after)


def previous_times(cron: str, zone: str, before: datetime, count: int = 1) -> list[datetime]:
    """The ``count`` latest due times at or before ``before``, newest first, in UTC."""
    return occurrences.previous_times(cron, job_zone(zone).info, before, count)


def due_times(
    cron: str, zone: str, first: datetime, until: datetime, limit: int = 1000
) -> list[datetime]:
    """Due times from ``first`` (a due time itself) up to and including ``until``, in UTC,
    at most ``limit`` of them."""
    tz = job_zone(zone).info
    times: list[datetime] = []
    current: datetime | None = first
    while current is not None and current <= until and len(times) < limit:
        times.append(current)
        current = next_or_none(cron, tz, current)
    return times


#: How many schedules' words :func:`describe` keeps.
DESCRIBED = 4096
#: A count of one that cron_descriptor writes in the plural ("At 1 minutes past the hour").
_ONE_PLURAL = re.compile(r"\b1 (minute|hour|day|month)s\b")
#: The weeks of a month after ``#`` (``mon#2``) and the days of the week, as cron_descriptor
#: words them.
_WEEKS = ("first", "second", "third", "fourth", "fifth")
_DAY_NAMES = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")


@functools.lru_cache(maxsize=DESCRIBED)
def describe(cron: str) -> str:
    """The schedule in words, e.g. "At 06:00 AM, Monday through Friday"; a count of one is
    singular ("At 1 minute past the hour"). Cached per expression: cron_descriptor loads its
    translation catalogue for each expression it describes (≈ 0.4 ms), and a list of jobs
    holds few distinct schedules. cron_descriptor's words for a list of days with
    ``L`` or ``day#week`` in it are replaced by ours (see :func:`_days_of_month`,
    :func:`_weekdays_of_month`), and the days of the week follow those of the month with
    "or" when the schedule fires on either (:func:`~nbtools.jobs.occurrences.day_parts`),
    where cron_descriptor wrote it before a single day only."""
    from cron_descriptor import DescriptionTypeEnum, ExpressionDescriptor

    descriptor = ExpressionDescriptor(cron)
    words = str(descriptor.get_description())
    _, _, days, _, weekdays = cron.split()
    either = len(occurrences.day_parts(cron)) > 1
    for kind, ours in (
        (DescriptionTypeEnum.DAYOFMONTH, _days_of_month(days)),
        (DescriptionTypeEnum.DAYOFWEEK, _weekdays_of_month(weekdays)),
    ):
        theirs = str(descriptor.get_description(kind))
        said = theirs if ours is None else ours
        if either and kind == DescriptionTypeEnum.DAYOFWEEK and not said.startswith(", or "):
            said = ", or " + said.removeprefix(", ")
        words = words.replace(theirs, said, 1)
    return _ONE_PLURAL.sub(r"1 \1", words)


def _days_of_month(field: str) -> str | None:
    """A day-of-month list holding ``L`` in words: the other days as cron_descriptor words
    them, and the last day (it says "on day L and 15 of the month"); None for any other
    field (croniter takes ``NW`` in no list)."""
    from cron_descriptor import DescriptionTypeEnum, ExpressionDescriptor

    items = field.split(",")
    if len(items) < 2 or "l" not in (item.lower() for item in items):
        return None
    last = "on the last day of the month"
    others = ",".join(item for item in items if item.lower() != "l")
    if not others:  # L,L
        return f", {last}"
    words = ExpressionDescriptor(f"0 0 {others} * *").get_description(
        DescriptionTypeEnum.DAYOFMONTH
    )
    return f"{words} and {last}"


def _weekdays_of_month(field: str) -> str | None:
    """A day-of-week list of ``day#week`` items in words ("on the first Monday and the fifth
    Friday of the month", where cron_descriptor drops the weeks: "on the  Monday and Friday
    of the month"); None for any other field (croniter takes ``day#week`` in no list with
    other kinds of items)."""
    items = field.split(",")
    if len(items) < 2 or not all("#" in item for item in items):
        return None
    named = []
    for item in items:
        day, _, week = item.lower().partition("#")
        index = _DAYS.index(day) if day in _DAYS else int(day) % 7
        named.append(f"the {_WEEKS[int(week) - 1]} {_DAY_NAMES[index]}")
    listed = " and ".join(named) if len(named) < 3 else f"{', '.join(named[:-1])}, and {named[-1]}"
    return f", on {listed} of the month"


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
