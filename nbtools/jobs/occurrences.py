"""When a cron schedule fires in its IANA timezone, across daylight-saving changes, in UTC.

Two rules, chosen by the schedule's hour field (see docs/jobs.md, "Daylight saving"):

- **Wall-clock schedules** (a fixed hour: daily, weekly, ``0 */2 * * *``) fire at local wall
  times. A wall time that occurs twice (fall back) fires once, at its first occurrence; a
  wall time that does not exist (spring forward) fires once, at the next valid instant (the
  moment the clocks jump), however many of its times fall into the gap.
- **Frequent schedules** (an hour field naming every hour, ``*`` or ``*/1``: hourly and
  shorter) fire at every real instant
  whose local time matches, so they keep their UTC spacing: the repeated hour of a fall back
  runs again and the skipped hour of a spring forward is simply not there.

Cron itself is evaluated on naive local times with croniter; only the mapping to instants
is ours.
"""

from __future__ import annotations

from datetime import MAXYEAR, datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from nbtools.jobs.errors import OutsideCalendarError

UTC = timezone.utc
_ONE_DAY = timedelta(days=1)
_TICK = timedelta(microseconds=1)


@lru_cache(maxsize=256)
def is_frequent(cron: str) -> bool:
    """Whether the schedule fires every hour: its hour field names all 24 (``*``, ``*/1``,
    ``0-23``, ``0-11,12-23``, which croniter expands to ``*``), so it keeps UTC spacing."""
    from croniter import croniter

    hours: list[object] = croniter.expand(cron)[0][1]
    return hours == ["*"] or set(hours) == set(range(24))


def _naive_next(cron: str, local: datetime) -> datetime:
    """The first naive wall time matching ``cron`` strictly after ``local`` (naive).

    Cron's times are whole minutes, so none lies between ``local``'s minute and ``local``:
    croniter is given that minute. It reckons with float timestamps, which far from 1970
    (before the year 1000 or so, and from about 3700 on) lose a moment's microseconds: a
    moment just before midnight (what "at or after midnight" is searched from) became that
    midnight, and its own run time was skipped."""
    from croniter import croniter

    found: datetime = croniter(cron, local.replace(second=0, microsecond=0)).get_next(datetime)
    return found


def _offset(zone: ZoneInfo, instant: datetime) -> timedelta:
    offset = instant.astimezone(zone).utcoffset()
    assert offset is not None
    return offset


def _first_change(zone: ZoneInfo, start: datetime, end: datetime) -> datetime | None:
    """The first instant in ``(start, end]`` whose UTC offset differs from ``start``'s."""
    before = _offset(zone, start)
    low = start
    while low < end:  # find the day holding the change (zones change at most once a day)
        high = end if end - low <= _ONE_DAY else low + _ONE_DAY  # none past the calendar
        if _offset(zone, high) != before:
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                if _offset(zone, middle) == before:
                    low = middle
                else:
                    high = middle
            return high.replace(microsecond=0)
        low = high
    return None


def _local(zone: ZoneInfo, instant: datetime) -> datetime:
    return instant.astimezone(zone).replace(tzinfo=None, fold=0)


def _instant(zone: ZoneInfo, wall: datetime) -> datetime:
    """The instant of a naive wall time: its first occurrence, or the end of its gap."""
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if _local(zone, first) == wall:
        return first
    # In a gap: fold=1 maps with the offset after the change, which lands before the jump.
    low = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    jump = _first_change(zone, min(low, first), max(low, first))
    assert jump is not None
    return jump


def _next_wall(cron: str, zone: ZoneInfo, after: datetime) -> datetime:
    wall = _local(zone, after)
    while True:
        wall = _naive_next(cron, wall)
        instant = _instant(zone, wall)
        if instant > after:  # an earlier instant means its first occurrence already passed
            return instant


def _next_frequent(cron: str, zone: ZoneInfo, after: datetime) -> datetime:
    start = after
    while True:
        offset = _offset(zone, start)
        wall = _naive_next(cron, (start + offset).replace(tzinfo=None) - _TICK)
        candidate = (wall - offset).replace(tzinfo=UTC)
        if candidate <= after:  # ``start`` itself matched but is not after ``after``
            wall = _naive_next(cron, wall)
            candidate = (wall - offset).replace(tzinfo=UTC)
        change = _first_change(zone, start, candidate)
        if change is None:
            return candidate
        start = change  # the offset changed first: look again from the change on


def next_time(cron: str, zone: ZoneInfo, after: datetime) -> datetime:
    """The first due time of ``cron`` (5 normalized fields) strictly after ``after``, in UTC;
    :class:`OutsideCalendarError` if it (or a wall time on the way) is outside years 1 to
    9999."""
    try:
        instant = after.astimezone(UTC)
        if is_frequent(cron):
            return _next_frequent(cron, zone, instant)
        return _next_wall(cron, zone, instant)
    except (OverflowError, ValueError):  # datetime's and croniter's words for such a time
        raise _outside_calendar(cron, after) from None


def _outside_calendar(cron: str, after: datetime) -> OutsideCalendarError:
    """No time after ``after``: the calendar (years 1 to 9999) ends first, or ``after`` is at
    its very start, where Python cannot compute with wall times."""
    if after.year < MAXYEAR // 2:
        return OutsideCalendarError(
            f"Run times of {cron!r} cannot be looked for from the calendar's first day "
            "(0001-01-01): give a later moment.",
            field="start",
            calendar="start",
        )
    return OutsideCalendarError(
        f"{cron!r} has no run time left before the calendar ends, with the year {MAXYEAR}.",
        field="start",
        calendar="end",
    )


def next_or_none(cron: str, zone: ZoneInfo, after: datetime) -> datetime | None:
    """:func:`next_time`, or None when the calendar ends before it (year 9999)."""
    try:
        return next_time(cron, zone, after)
    except OutsideCalendarError as error:
        if error.details["calendar"] != "end":
            raise
        return None


def previous_times(cron: str, zone: ZoneInfo, before: datetime, count: int) -> list[datetime]:
    """The ``count`` latest due times at or before ``before``, newest first, in UTC."""
    from croniter import croniter

    before = before.astimezone(UTC)
    wall = _local(zone, before) + timedelta(hours=3)  # past any offset change near ``before``
    earlier = croniter(cron, wall)
    for _ in range(count):
        wall = earlier.get_prev(datetime)
    margin = timedelta(hours=3)
    while True:
        start = (wall - _offset(zone, before) - margin).replace(tzinfo=UTC)
        times: list[datetime] = []
        current: datetime | None = next_time(cron, zone, start - _TICK)
        while current is not None and current <= before:
            times.append(current)
            current = next_or_none(cron, zone, current)
        if len(times) >= count:
            return times[::-1][:count]
        margin *= 4  # a gap swallowed some times: look further back
