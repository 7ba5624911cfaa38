"""The zone a stored job's schedule runs in: an IANA name as it is; an older version's
``localtime`` as this machine's IANA zone (read from links and files made here, and an
environment given as a mapping); other names older versions accepted as the zone they hold,
or UTC; each with a note. Input is still checked strictly."""

from __future__ import annotations

from pathlib import Path

import pytest

from nbtools.jobs.errors import InvalidScheduleError
from nbtools.jobs.zones import LOCALTIME_LINK, check_timezone, job_zone, machine_zone


def missing(tmp_path: Path) -> Path:
    return tmp_path / "missing"


@pytest.mark.parametrize(
    ("target", "zone"),
    [
        ("/usr/share/zoneinfo/Europe/Lisbon", "Europe/Lisbon"),  # systemd's absolute link
        ("../usr/share/zoneinfo/America/New_York", "America/New_York"),  # Debian's relative one
        ("/usr/share/zoneinfo/posix/Asia/Tokyo", "Asia/Tokyo"),
        ("/var/db/timezone/zoneinfo/Etc/UTC", "Etc/UTC"),  # macOS
        ("/usr/share/zoneinfo/US/Eastern", "US/Eastern"),  # a link name is a zone's name too
    ],
)
def test_the_machine_zone_is_where_etc_localtime_links(
    tmp_path: Path, target: str, zone: str
) -> None:
    link = tmp_path / "localtime"
    link.symlink_to(target)  # the target need not exist: its name is read
    named = tmp_path / "timezone"
    named.write_text("Asia/Kolkata\n")
    assert machine_zone(link, named, {"TZ": "Europe/Berlin"}) == (zone, str(link))


def test_without_a_link_the_machine_zone_is_etc_timezone_then_tz(tmp_path: Path) -> None:
    copy = tmp_path / "localtime"
    copy.write_bytes(b"TZif2")  # a copy of a zone's file names no zone
    named = tmp_path / "timezone"
    named.write_text("  America/Sao_Paulo\n")
    assert machine_zone(copy, named, {}) == ("America/Sao_Paulo", str(named))
    assert machine_zone(copy, missing(tmp_path), {"TZ": ":Europe/Berlin"}) == (
        "Europe/Berlin",
        "TZ",
    )
    assert machine_zone(copy, missing(tmp_path), {"TZ": "/usr/share/zoneinfo/Asia/Tokyo"}) == (
        "Asia/Tokyo",
        "TZ",
    )


@pytest.mark.parametrize("tz", ["", "CET-1CEST,M3.5.0,M10.5.0/3", ":", "Mars/Olympus", "Europe"])
def test_no_name_for_the_machine_zone_is_none(tmp_path: Path, tz: str) -> None:
    named = tmp_path / "timezone"
    named.write_text("not a zone\n")
    link = tmp_path / "localtime"
    link.symlink_to("/etc/alternatives/localtime")  # a link, but not into zoneinfo
    assert machine_zone(link, named, {"TZ": tz}) is None
    assert machine_zone(missing(tmp_path), missing(tmp_path), {"TZ": tz}) is None


def test_an_iana_name_is_read_as_it_is() -> None:
    for name in ("UTC", "Europe/Lisbon", "US/Eastern", "Etc/GMT+5"):
        assert (job_zone(name).name, job_zone(name).note) == (name, None)


def test_localtime_is_this_machines_zone_with_a_note() -> None:
    zone = job_zone("localtime")
    found = machine_zone()
    assert zone.name == (found[0] if found else "UTC")
    assert zone.info.key == zone.name
    assert zone.note is not None
    assert "stored as 'localtime'" in zone.note
    assert f"it runs in {zone.name}" in zone.note
    assert "give it an IANA timezone" in zone.note
    if found:
        assert f"(from {found[1]})" in zone.note
    else:
        assert str(LOCALTIME_LINK) in zone.note


@pytest.mark.parametrize(
    ("stored", "zone"),
    [
        ("posix/Europe/Lisbon", "Europe/Lisbon"),
        ("right/UTC", "UTC"),
        ("europe/lisbon", "Europe/Lisbon"),  # what a case-insensitive file system found
        ("posixrules", "UTC"),
        ("Factory", "UTC"),
        ("Mars/Olympus", "UTC"),
        ("", "UTC"),
        ("zone.tab", "UTC"),
    ],
)
def test_other_names_older_versions_accepted_run_in_the_zone_they_hold_or_utc(
    stored: str, zone: str
) -> None:
    read = job_zone(stored)
    assert read.name == zone
    assert read.note is not None
    assert f"stored as {stored!r}" in read.note
    assert f"it runs in {zone}" in read.note


@pytest.mark.parametrize("name", ["localtime", "posix/Europe/Lisbon", "europe/lisbon", "Factory"])
def test_input_is_still_an_iana_name(name: str) -> None:
    with pytest.raises(InvalidScheduleError, match=f"Unknown timezone {name!r}") as info:
        check_timezone(name)
    assert info.value.details == {"timezone": name, "field": "timezone"}


def test_refusing_localtime_names_this_machines_zone_when_it_has_a_name() -> None:
    with pytest.raises(InvalidScheduleError) as info:
        check_timezone("localtime")
    found = machine_zone()
    hint = f"this one's is {found[0]!r}" if found else "Use an IANA name"
    assert hint in info.value.message
