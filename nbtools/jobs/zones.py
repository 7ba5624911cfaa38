"""A job's timezone: an IANA name where a job is created or edited, and the zone a stored
job's schedule runs in, an older version's value included.

Jobs are created and edited with IANA names only (:func:`check_timezone`). Older versions
also accepted ``localtime`` (the machine's own zone) and the names of other files of a
system's zoneinfo directory (``posix/Europe/Lisbon``). A job stored so keeps running
(docs/jobs.md, "Timezones"): :func:`job_zone` reads ``localtime`` as this machine's IANA zone (where
``/etc/localtime`` links, which older versions read, else ``/etc/timezone``, else ``TZ``),
``posix/NAME`` and ``right/NAME`` as ``NAME``, and any other name as UTC, each with a note
that the job's listing and the scheduler's log show. The stored value is left as it is (an
older version still reads it) until the job is edited with an IANA name.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from nbtools.jobs.errors import InvalidScheduleError

#: The machine's own zone, as older versions stored it.
LOCALTIME = "localtime"
#: The files that name this machine's zone: a link into a zoneinfo directory, and Debian's
#: file holding the zone's name.
LOCALTIME_LINK = Path("/etc/localtime")
TIMEZONE_FILE = Path("/etc/timezone")

_EDIT = "Edit the job to give it an IANA timezone (such as 'Europe/Lisbon')."


def check_timezone(name: str) -> ZoneInfo:
    """The zone for an IANA name such as ``Europe/Lisbon``, or a precise error (``field``
    ``timezone``): one of the IANA zones tzdata lists; any other name (a folder such as
    ``Europe``, a file that is no zone, a path, one too long for the file system) is unknown."""
    if not name:
        raise InvalidScheduleError(
            "The timezone is empty. Use an IANA name such as 'UTC', 'Europe/Lisbon' or "
            "'America/New_York' (UTC when none is given).",
            timezone=name,
            field="timezone",
        )
    try:
        # not a zone: 'localtime', 'posixrules', 'right/UTC' (files), 'Europe' (a folder), a path
        if name not in iana_zones():
            raise ValueError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidScheduleError(
            f"Unknown timezone {name!r:.80}. Use an IANA name such as 'UTC', 'Europe/Lisbon' or "
            f"'America/New_York'.{_machine_hint(name)}",
            timezone=name,
            field="timezone",
        ) from None


def _machine_hint(name: str) -> str:
    """For ``localtime``: this machine's zone by its IANA name, when it has one."""
    found = machine_zone() if name == LOCALTIME else None
    if found is None:
        return ""
    return f" 'localtime' means another zone on each machine; this one's is {found[0]!r}."


@functools.cache
def iana_zones() -> frozenset[str]:
    """The IANA zone names, the same on every machine: those of the ``tzdata`` package (a
    system's zoneinfo directory also holds ``localtime``, the machine's own zone, and other
    files that are no zone's name), less ``Factory``, the zone of no place."""
    from importlib.resources import files

    return frozenset(files("tzdata").joinpath("zones").read_text(encoding="utf-8").split()) - {
        "Factory"
    }


@functools.cache
def _folded_zones() -> dict[str, str]:
    return {name.casefold(): name for name in iana_zones()}


def _iana_name(text: str) -> str | None:
    """The IANA zone a file of a zoneinfo directory holds: ``Europe/Lisbon`` itself, its
    ``posix/`` and ``right/`` copies, a path into such a directory
    (``/usr/share/zoneinfo/Europe/Lisbon``), a name in another case (``europe/lisbon``, which
    a case-insensitive file system found); None for any other text."""
    text = text.strip().rsplit("zoneinfo/", 1)[-1]
    for prefix in ("posix/", "right/"):
        text = text.removeprefix(prefix)
    return _folded_zones().get(text.casefold())


def machine_zone(
    link: Path = LOCALTIME_LINK,
    named: Path = TIMEZONE_FILE,
    environ: Mapping[str, str] = os.environ,
) -> tuple[str, str] | None:
    """This machine's zone as an IANA name, with where it was read: the zone ``link``
    (``/etc/localtime``) links to, else the name ``named`` (``/etc/timezone``) holds, else
    ``TZ`` (``Europe/Lisbon``, ``:Europe/Lisbon`` or a path into a zoneinfo directory); None
    when none of them names one (``/etc/localtime`` a copy of a zone's file, say)."""
    for target in _link_targets(link):
        if found := _iana_name(target):
            return found, str(link)
    try:
        text = named.read_text(encoding="utf-8", errors="replace")
    except OSError:
        text = ""
    if found := _iana_name(text):
        return found, str(named)
    if found := _iana_name(environ.get("TZ", "").removeprefix(":")):
        return found, "TZ"
    return None


def _link_targets(link: Path) -> list[str]:
    """Where ``link`` points: its own target, then the file it finally resolves to."""
    try:
        return [os.readlink(link), os.path.realpath(link)]
    except OSError:  # missing, or no link
        return []


@dataclass(frozen=True)
class JobZone:
    """The zone a stored job's schedule runs in: ``name``, an IANA name, and, when the job
    stores a value that is none (an older version's), ``note``, how it was read."""

    name: str
    note: str | None = None

    @property
    def info(self) -> ZoneInfo:
        return ZoneInfo(self.name)


def job_zone(stored: str) -> JobZone:
    """The zone of a job whose timezone is stored as ``stored`` (see the module's docstring);
    never an error, so that no stored job stops a scheduler, a listing or a page."""
    if stored in iana_zones():
        return JobZone(stored)
    if stored == LOCALTIME:
        return _machine_job_zone()
    found = _iana_name(stored)
    if found is not None:
        return JobZone(
            found,
            f"The job's timezone is stored as {stored!r}, a name older versions accepted: it "
            f"runs in {found}, the zone that name holds. {_EDIT}",
        )
    return JobZone(
        "UTC",
        f"The job's timezone is stored as {stored!r:.80}, which names no IANA zone (older "
        f"versions accepted some such names): it runs in UTC. {_EDIT}",
    )


def _machine_job_zone() -> JobZone:
    told = (
        "The job's timezone is stored as 'localtime' (the machine's own zone, which older "
        "versions accepted)"
    )
    found = machine_zone()
    if found is None:
        return JobZone(
            "UTC",
            f"{told}, and this machine's zone has no IANA name ({LOCALTIME_LINK} links to "
            f"none, {TIMEZONE_FILE} and TZ name none): it runs in UTC. {_EDIT}",
        )
    name, source = found
    return JobZone(
        name,
        f"{told}: it runs in {name}, this machine's zone (from {source}). {_EDIT} Its "
        "times then stay the same whatever machine schedules it.",
    )
