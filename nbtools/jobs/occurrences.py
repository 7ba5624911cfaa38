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

Cron itself is evaluated on naive local times with croniter; the mapping to instants is ours,
and so is the rule for a schedule restricting both the day of the month and the day of the
week: it fires on the days either names, as cron does (:func:`day_parts`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import MAXYEAR, datetime, timedelta, timezone
from functools import lru_cache, partial
from threading import get_ident
from typing import Any
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


@lru_cache(maxsize=256)
def day_parts(cron: str) -> tuple[str, ...]:
    """The schedules whose times together are ``cron``'s: ``cron`` itself or, when it
    restricts both the day of the month and the day of the week (neither is ``*`` or ``?``
    nor lists ``*``; ``*/2`` restricts), one with each, the other ``*``: it fires on the days
    either names, as cron does (docs/jobs.md, "A day of the month and a day of the week").

    croniter ORs them itself only when neither holds ``L``, ``W`` or ``#``; otherwise it
    intersects them on one side, so ``0 0 1 * mon#3`` never fired and ``0 0 L * mon#1,fri#5``
    left the last day out. It is never given both."""
    minute, hour, days, months, weekdays = cron.split()
    if _unrestricted(days) or _unrestricted(weekdays):
        return (cron,)
    return (f"{minute} {hour} {days} {months} *", f"{minute} {hour} * {months} {weekdays}")


def _unrestricted(field: str) -> bool:
    return any(item in ("*", "?") for item in field.split(","))


def _each_part(cron: str, find: Callable[[str], datetime]) -> list[datetime]:
    """The time ``find`` finds for each of ``cron``'s :func:`day_parts`, less the parts it
    finds none for (one that never fires, such as 30 February, or has no time left before
    the calendar ends) while another has one; when none has, what ``find`` raised."""
    from croniter.croniter import CroniterBadCronError

    found: list[datetime] = []
    failure: Exception | None = None
    for part in day_parts(cron):
        try:
            found.append(find(part))
        except CroniterBadCronError:
            raise
        except (OverflowError, ValueError) as error:  # croniter's and datetime's words
            failure = error
    if failure is not None and not found:
        raise failure
    return found


@lru_cache(maxsize=256)
def _parsed(cron: str, thread: int) -> Any:
    """A croniter of ``cron`` for the thread ``thread`` (:func:`threading.get_ident`), made
    once: parsing the expression was most of what each search cost. A croniter keeps the time
    it reckons from, so no two threads share one, and each search gives it its own start
    (``get_next``'s ``start_time``, ``set_current``: croniter then forgets the last one)."""
    from croniter import croniter

    return croniter(cron)


def naive_next(cron: str, local: datetime) -> datetime:
    """The first naive wall time matching ``cron`` strictly after ``local`` (naive).

    Cron's times are whole minutes, so none lies between ``local``'s minute and ``local``:
    croniter is given that minute. It reckons with float timestamps, which far from 1970
    (before the year 1000 or so, and from about 3700 on) lose a moment's microseconds: a
    moment just before midnight (what "at or after midnight" is searched from) became that
    midnight, and its own run time was skipped. croniter's errors are raised as they are
    (``CroniterBadDateError``: the schedule never fires)."""
    start, thread = local.replace(second=0, microsecond=0), get_ident()
    return min(_each_part(cron, lambda part: _parsed(part, thread).get_next(datetime, start)))


def _naive_back(cron: str, local: datetime, count: int) -> datetime:
    """The ``count``th naive wall time matching ``cron`` before ``local`` (naive)."""
    earlier, found = _parsed(cron, get_ident()), local
    earlier.set_current(local)
    for _ in range(count):
        found = earlier.get_prev(datetime)
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
        wall = naive_next(cron, wall)
        instant = _instant(zone, wall)
        if instant > after:  # an earlier instant means its first occurrence already passed
            return instant


def _next_frequent(cron: str, zone: ZoneInfo, after: datetime) -> datetime:
    start = after
    while True:
        offset = _offset(zone, start)
        wall = naive_next(cron, (start + offset).replace(tzinfo=None) - _TICK)
        candidate = (wall - offset).replace(tzinfo=UTC)
        if candidate <= after:  # ``start`` itself matched but is not after ``after``
            wall = naive_next(cron, wall)
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
    before = before.astimezone(UTC)
    latest = _local(zone, before) + timedelta(hours=3)  # past any offset change near ``before``
    # from the latest of the parts' count-th times, the schedule has count times at least
    wall = max(_each_part(cron, partial(_naive_back, local=latest, count=count)))
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
