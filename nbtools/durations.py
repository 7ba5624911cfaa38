"""Durations and moments as people write and read them: ages such as ``90d``, ``12w``, ``1y``
(retention, pruning), spans shown as ``1d 2h 24m`` (alerts, run lists), and ISO dates and
times typed in a zone (``--since``, ``--from``)."""

from __future__ import annotations

import re
from datetime import MINYEAR, datetime, timedelta, timezone

from nbtools.errors import InvalidInputError

AGE = re.compile(r"([1-9][0-9]{0,5})([dwy])\Z")
_AGE_DAYS = {"d": 1, "w": 7, "y": 365}


def age_days(value: str, field: str) -> int:
    """The days an age such as ``90d``, ``12w`` or ``1y`` (a year counts 365 days) stands for;
    anything else is an :class:`InvalidInputError` naming ``field``."""
    match = AGE.match(value) if isinstance(value, str) else None
    if match is None and isinstance(value, str) and re.fullmatch(r"[0-9]{7,}[dwy]", value):
        raise InvalidInputError(
            f"{field[:1].upper()}{field[1:]} {value!r:.40} is too long: give at most 6 digits, "
            "from 1 (999999y is longer than any data is kept).",
            field=field,
        )
    if match is None:
        raise InvalidInputError(
            f"{field[:1].upper()}{field[1:]} {value!r:.40} is not valid: a number of days, "
            "weeks or years such as 30d, 12w or 1y.",
            field=field,
        )
    return int(match.group(1)) * _AGE_DAYS[match.group(2)]


def parse_moment(value: str, field: str, zone: str = "UTC") -> datetime:
    """An ISO 8601 date or date and time (``2027-03-28``, ``2027-03-28T01:30``,
    ``2027-03-28 01:30+01:00``), in the IANA zone ``zone`` when it gives no offset (a time the
    clocks skip or repeat there is read as before the change); anything else is an
    :class:`InvalidInputError` naming ``field``, as is a moment whose UTC time falls outside
    the calendar (years 1 to 9999: ``9999-12-31T23:00-12:00``), which could not be compared
    with the store's UTC times (``details["calendar"]``: ``start`` or ``end``)."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInputError(
            f"{field} {value!r:.60} is not an ISO date or time (2027-03-28, 2027-03-28T06:30).",
            field=field,
        ) from None
    if moment.tzinfo is None:
        from zoneinfo import ZoneInfo

        moment = moment.replace(tzinfo=ZoneInfo(zone))
    try:
        moment.astimezone(timezone.utc)
    except OverflowError:
        raise InvalidInputError(
            f"{field} {value!r:.60} is outside the calendar in UTC (years 1 to 9999): give a "
            "moment from 0001-01-02 to 9999-12-30.",
            field=field,
            calendar="start" if moment.year == MINYEAR else "end",
        ) from None
    return moment


def older_than(moment: datetime, days: int, now: datetime) -> bool:
    """Whether ``moment`` is more than ``days`` days before ``now``. Never overflows, however
    long the age (``999999y`` is ≈ 365 million days; ``now - timedelta(days=...)`` would
    leave the calendar and raise)."""
    return now - moment > timedelta(days=days)


def human_duration(seconds: int) -> str:
    """Days, hours and minutes: ``1d 2h 24m`` (seconds only under a minute)."""
    if seconds < 60:
        return f"{seconds}s"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return " ".join(parts)


def doubling_wait(first: float, attempt: int, longest: float) -> float:
    """The wait before retry ``attempt`` (1: the first retry) when each failure doubles it:
    ``first`` * 2^(attempt - 1), at most ``longest``. Never overflows, however many attempts
    (a scheduler failing a tick a second for a day of database outage is past 2^1024)."""
    if attempt <= 1:
        return min(first, longest)
    # a float product past the largest float is inf, which min() caps; 2.0 ** 1100 would raise
    return min(first * 2.0 ** min(attempt - 1, 1000), longest)
