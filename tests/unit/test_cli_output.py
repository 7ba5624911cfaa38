"""How tables show moments: one rule for every command (``nbtools.cli.output.when``)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest

from nbtools.cli.output import print_table, when

UTC = timezone.utc


@pytest.fixture
def tokyo(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The machine's local time is Tokyo's for the test."""
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("tokyo")
def test_a_moment_is_local_time_to_the_second_with_its_zone() -> None:
    moment = datetime(2026, 12, 4, 15, 14, 22, 685711, tzinfo=UTC)
    assert when(moment) == "2026-12-05 00:14:22 JST"
    assert when(moment.isoformat()) == "2026-12-05 00:14:22 JST"  # as JSON models write it
    assert when(moment.replace(tzinfo=None)) == "2026-12-05 00:14:22 JST"  # naive: UTC
    assert when(moment.astimezone(timezone(timedelta(hours=-5)))) == "2026-12-05 00:14:22 JST"


def test_in_a_schedule_s_zone_both_daylight_saving_changes_are_told_apart() -> None:
    lisbon = "Europe/Lisbon"
    # Spring: 01:00 UTC on 28 March 2027 becomes 02:00 WEST; the hour before is WET.
    assert when(datetime(2027, 3, 28, 0, 30, tzinfo=UTC), lisbon) == "2027-03-28 00:30:00 WET"
    assert when(datetime(2027, 3, 28, 1, 30, tzinfo=UTC), lisbon) == "2027-03-28 02:30:00 WEST"
    # Autumn: 01:30 happens twice on 31 October 2027; the zone says which one.
    first = when(datetime(2027, 10, 31, 0, 30, tzinfo=UTC), lisbon)
    second = when(datetime(2027, 10, 31, 1, 30, tzinfo=UTC), lisbon)
    assert (first, second) == ("2027-10-31 01:30:00 WEST", "2027-10-31 01:30:00 WET")


@pytest.mark.usefixtures("tokyo")
def test_tables_write_moments_so_and_leave_empty_cells_empty(
    capsys: pytest.CaptureFixture[str],
) -> None:
    moment = datetime(2026, 12, 4, 15, 14, 22, 685711, tzinfo=UTC)
    print_table("Runs", ("run", "started", "finished"), [(1, moment, None)])
    out = capsys.readouterr().out
    assert "2026-12-05 00:14:22 JST" in out
    assert "685711" not in out
    assert "None" not in out
