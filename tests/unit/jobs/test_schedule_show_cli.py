"""``nbtools schedule show JOB`` and the jobs table of ``schedule list``: every option of a job,
its next run times in its schedule's own zone, and its newest runs."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner, Result

from nbtools.cli.app import cli
from tests.cli_tables import table_rows
from tests.conftest import NotebookFactory


def nbtools(root: Path, *args: str, columns: int = 200) -> Result:
    return CliRunner(env={"COLUMNS": str(columns)}).invoke(cli, ["--root", str(root), *args])


@pytest.fixture
def root(
    tmp_path: Path, notebook_factory: NotebookFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    monkeypatch.setenv("TZ", "UTC")  # the machine's zone, in which other moments are shown
    notebook_factory("forecast.ipynb", [("code", "days = 1\ncity = 'x'", ["parameters"])])
    return tmp_path


def add(root: Path, *options: str) -> dict[str, object]:
    added = nbtools(root, "schedule", "add", "forecast.ipynb", *options, "--json")
    assert added.exit_code == 0, added.output
    return json.loads(added.stdout)  # type: ignore[no-any-return]


def test_a_job_shows_its_options_next_runs_in_its_zone_and_newest_runs(root: Path) -> None:
    job = add(root, "--name", "paris", "--cron", "0 6 * * 1-5", "--tz", "Europe/Paris")
    for days in ("3", "4"):
        assert nbtools(root, "schedule", "run", "paris", "-p", f"days={days}").exit_code == 0

    shown = nbtools(root, "schedule", "show", "paris", "-n", "3")
    assert shown.exit_code == 0, shown.output
    fields = {row["field"]: row["value"] for row in table_rows(shown.output.split("Next runs")[0])}
    assert fields["schedule"] == "At 06:00 AM, Monday through Friday (0 6 * * 1-5), Europe/Paris"
    assert fields["next run"].startswith(fields["next run"][:11] + "06:00:00 CE")  # Paris time
    assert (fields["after downtime"], fields["retries"], fields["HTML report"]) == (
        "run once",
        "none",
        "no",
    )
    assert "timeout" not in fields  # none set: not listed
    lines = shown.output.splitlines()
    start = lines.index("Next runs (At 06:00 AM, Monday through Friday, Europe/Paris):")
    upcoming = lines[start + 1 : start + 4]
    assert len(upcoming) == 3
    for line in upcoming:  # 06:00 in Paris, CET or CEST: never the machine's UTC
        moment = datetime.strptime(line.strip()[:19], "%Y-%m-%d %H:%M:%S")
        assert moment.hour == 6
        assert moment.weekday() < 5
        zone = moment.replace(tzinfo=ZoneInfo("Europe/Paris")).tzname()
        assert line.strip().endswith(f" {zone}")
    runs = table_rows(shown.output.split(f"Newest runs of job {job['id']}")[1])
    assert [(row["run"], row["status"]) for row in runs] == [("2", "queued"), ("1", "queued")]
    assert set(runs[0]) == {"run", "status", "started", "took", "detail"}  # no job, no notebook
    assert shown.stderr.startswith(
        "Note: no scheduler serves this store, so job 1 does not run on its schedule until one"
    )

    as_json = json.loads(
        nbtools(root, "schedule", "show", str(job["id"]), "-n", "1", "--json").stdout
    )
    assert as_json["job"] == job
    assert len(as_json["next_runs"]) == 1
    assert as_json["next_runs"][0] == datetime.fromisoformat(as_json["next_runs"][0]).isoformat()
    assert [run["id"] for run in as_json["recent_runs"]] == [2]


def test_every_option_of_a_job_is_listed_in_words(root: Path) -> None:
    assert nbtools(root, "version", "save", "forecast.ipynb").exit_code == 0
    job = add(
        root,
        *("--name", "full", "--cron", "daily", "-p", "days=3", "--retries", "2"),
        *("--retry-backoff", "90", "--timeout", "5400", "--cell-timeout", "45"),
        *("--max-concurrent", "2", "--missed", "catch_up", "--catch-up-limit", "4"),
        *("--kernel", "python3", "--purpose", "churn-model", "--keep-runs", "30d"),
        *("--pin-version", "1", "--html"),
    )
    shown = nbtools(root, "schedule", "show", "full", "-n", "0")
    fields = {row["field"]: row["value"] for row in table_rows(shown.output)}
    assert fields == {
        "job": str(job["id"]),
        "name": "full",
        "notebook": "forecast.ipynb",
        "pinned to": f"version id {job['pinned_version_id']} (not the file on disk)",
        "schedule": "At 12:00 AM (0 0 * * *), UTC",
        "next run": fields["next run"],
        "parameters": '{"days": 3}',
        "timeout": "1h 30m",
        "cell timeout": "45s",
        "retries": "2, the first after 90s, then doubling",
        "runs at once": "2",
        "after downtime": "catch up, at most 4 missed times",
        "kernel": "python3",
        "purpose": "churn-model",
        "keep runs": "30d",
        "HTML report": "yes",
        "created": fields["created"],
        "updated": fields["updated"],
    }
    assert fields["next run"].endswith(" 00:00:00 UTC")
    assert fields["created"].endswith(" UTC by " + str(job["created_by"]))


def test_paused_on_demand_and_empty_jobs_say_so(root: Path) -> None:
    add(root, "--name", "held", "--cron", "daily", "--paused")
    add(root, "--name", "adhoc")

    held = nbtools(root, "schedule", "show", "held")
    assert held.stderr == ""  # a paused job waits for no scheduler
    assert "Paused: no run is created until `nbtools schedule resume 1`." in held.output
    assert "Next runs" not in held.output
    assert "No runs yet: `nbtools schedule run 1` queues one now." in held.output

    adhoc = nbtools(root, "schedule", "show", "adhoc", "--json")
    assert json.loads(adhoc.stdout)["next_runs"] == []
    assert "Next runs" not in nbtools(root, "schedule", "show", "adhoc").output

    bare = json.loads(nbtools(root, "schedule", "show", "adhoc", "-n", "0", "--json").stdout)
    assert (bare["next_runs"], bare["recent_runs"]) == ([], [])
    assert "Newest runs" not in nbtools(root, "schedule", "show", "held", "-n", "0").output


def test_a_schedule_with_no_time_left_says_so_where_its_next_run_would_be(root: Path) -> None:
    """As a scheduler leaves a job past its schedule's last time before the year 10000 (before:
    an empty next run, and next runs from now listed as if it had some)."""
    from sqlalchemy import update

    from nbtools.jobs.tables import Job
    from nbtools.project import Project

    job = add(root, "--name", "last", "--cron", "daily")
    project = Project(root)
    with project.store.session(write=True) as session:
        session.execute(update(Job).where(Job.id == job["id"]).values(next_run_at=None))
    project.close()
    shown = nbtools(root, "schedule", "show", "last")
    assert shown.exit_code == 0, shown.output
    assert "none: no time left before the year 10000" in shown.stdout
    assert "Next runs" not in shown.stdout
    assert (
        "calendar ends"
        in json.loads(nbtools(root, "schedule", "show", "last", "--json").stdout)["job"][
            "next_run_note"
        ]
    )
    (row,) = table_rows(nbtools(root, "schedule", "list").output)
    assert row["next run"] == "none: no time left before the year 10000"


def test_from_a_date_the_next_runs_cross_both_daylight_saving_changes(root: Path) -> None:
    """``--from`` (in the schedule's zone, at or after it) shows what a job does on the nights
    the clocks change: Lisbon's 01:30 falls in the spring gap (run once, when the clocks jump)
    and twice in autumn (run once, the first)."""
    add(root, "--name", "lisbon", "--cron", "30 1 * * *", "--tz", "Europe/Lisbon")
    spring = nbtools(root, "schedule", "show", "lisbon", "-n", "3", "--from", "2027-03-27")
    assert spring.exit_code == 0, spring.output
    lines = spring.output.splitlines()
    start = lines.index("Next runs (At 01:30 AM, Europe/Lisbon):")
    assert [line.strip() for line in lines[start + 1 : start + 4]] == [
        "2027-03-27 01:30:00 WET",
        "2027-03-28 02:00:00 WEST",
        "2027-03-29 01:30:00 WEST",
    ]
    autumn = nbtools(
        root, "schedule", "preview", "30 1 * * *", "--tz", "Europe/Lisbon", "-n", "3",
        "--from", "2027-10-30T01:30", "--json",
    )  # fmt: skip
    assert autumn.exit_code == 0, autumn.output
    assert json.loads(autumn.stdout)["next_local"] == [
        "2027-10-30T01:30:00+01:00",  # at --from itself: listed
        "2027-10-31T01:30:00+01:00",  # the first of the two 01:30s only
        "2027-11-01T01:30:00+00:00",
    ]
    offset = nbtools(
        root, "schedule", "preview", "0 6 * * *", "--from", "2027-01-01T08:00+01:00", "-n", "1"
    )
    assert (
        offset.output.splitlines()[1].strip() == "2027-01-02 06:00:00 UTC"
    )  # 07:00 UTC: that day's 06:00 passed


@pytest.mark.parametrize(
    ("args", "listed"),
    [
        (("daily", "--from", "9998-06-01", "-n", "1"), ["9998-06-01 00:00:00 UTC"]),  # 06-02
        (("daily", "--from", "4000-01-01", "-n", "1"), ["4000-01-01 00:00:00 UTC"]),
        (("daily", "--from", "0001-01-02", "-n", "1"), ["1-01-02 00:00:00 UTC"]),  # was 01-03
        (("daily", "--from", "9998-06-01T00:00:01", "-n", "1"), ["9998-06-02 00:00:00 UTC"]),
        # the calendar's last: fewer than asked, where they were refused
        (("daily", "--from", "9999-12-31", "-n", "3"), ["9999-12-31 00:00:00 UTC"]),
        (("hourly", "--from", "9999-12-31T22:00", "-n", "3"),
         ["9999-12-31 22:00:00 UTC", "9999-12-31 23:00:00 UTC"]),
    ],
)  # fmt: skip
def test_from_lists_the_times_at_or_after_it_in_any_year(
    root: Path, args: tuple[str, ...], listed: list[str]
) -> None:
    """jobs.md: --from lists the run times at or after it, up to the calendar's end."""
    shown = nbtools(root, "schedule", "preview", *args)
    assert shown.exit_code == 0, shown.output
    assert [line.strip() for line in shown.output.splitlines()[1:]] == listed


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("preview", "daily", "--from", "yesterday"), "--from 'yesterday' is not an ISO date"),
        (("preview", "daily", "-n", "0"), "0 is not in the range 1<=x<=50"),
        (("preview", "daily", "--tz", "Mars/Base", "--from", "2027-01-01"), "Unknown timezone"),
        (("preview", "daily", "--tz", "Europe", "--from", "2027-01-01"), "Unknown timezone"),
        (("preview", "daily", "--tz", "x" * 300, "--from", "2027-01-01"), "Unknown timezone"),
        (("show", "1", "--from", "2027-13-01"), "--from '2027-13-01' is not an ISO date"),
        # the calendar's limits (years 1 to 9999): no traceback, exit 2 naming --from
        (("preview", "daily", "--from", "0001-01-01"), "--from '0001-01-01' is the calendar's"),
        (
            ("preview", "daily", "--from", "0001-01-01", "--tz", "Asia/Tokyo"),
            "outside the calendar in UTC",
        ),
        (("preview", "daily", "--from", "9999-12-31T23:00-12:00"), "outside the calendar in UTC"),
        (
            ("preview", "daily", "--from", "0001-01-01T05:00", "--tz", "Asia/Tokyo"),
            "in UTC (years 1",
        ),
        (
            ("preview", "daily", "--from", "0001-01-01T00:30Z", "--tz", "America/New_York"),
            "first day",
        ),
        (("preview", "daily", "--from", "9999-12-31T00:01"), "no run time left before the"),
        (("preview", "hourly", "--from", "9999-12-31T23:01"), "no run time left before the"),
        (("preview", "0 0 29 2 *", "--from", "9996-03-01"), "ends, with the year 9999"),
        (("show", "1", "--from", "9999-12-31T00:00:01"), "with the year 9999. See --from."),
        (("show", "1", "--from", "9999-12-31T12:00", "--json"), "with the year 9999. See --from."),
    ],
)
def test_a_bad_from_or_count_exits_2_naming_it(
    root: Path, args: tuple[str, ...], message: str
) -> None:
    add(root, "--name", "daily", "--cron", "daily")
    said = nbtools(root, "schedule", *args)
    assert said.exit_code == 2
    assert message in " ".join(said.output.split())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("9",), "Job 9 does not exist. List jobs with `nbtools schedule list`."),
        (("nightly",), "No job is named 'nightly'. List jobs with `nbtools schedule list`."),
        (("1", "-n", "51"), "Invalid value for '-n': 51 is not in the range 0<=x<=50."),
    ],
)
def test_an_unknown_job_or_a_bad_count_exits_2(
    root: Path, args: tuple[str, ...], message: str
) -> None:
    add(root, "--name", "daily", "--cron", "daily")
    shown = nbtools(root, "schedule", "show", *args)
    assert shown.exit_code == 2
    assert message in shown.output


def test_at_60_columns_paths_and_long_zone_names_fold_before_a_next_run_breaks(
    root: Path, notebook_factory: NotebookFactory
) -> None:
    """docs/cli.md: long words (paths, zone names) are broken first, dates and times last.
    With no parameters in any job, the table has no parameters column (as runs list has no
    job column without jobs), which leaves the next runs their room."""
    path = "reports/quarterly_forecast.ipynb"
    notebook_factory(path, [("code", "days = 1", ["parameters"])])
    add(root, "--name", "berlin", "--cron", "0 6 * * 1-5", "--tz", "Europe/Berlin")
    long_zone = "America/Argentina/Buenos_Aires"
    added = nbtools(
        root, "schedule", "add", path, "--name", "nightly", "--cron", "daily", "--tz", long_zone
    )
    assert added.exit_code == 0, added.output
    listed = nbtools(root, "schedule", "list", columns=60)
    assert listed.exit_code == 0, listed.output
    assert max(map(len, listed.output.splitlines())) <= 60
    berlin, nightly = table_rows(listed.output)
    assert "parameters" not in berlin
    for row in (berlin, nightly):  # date, time and zone each whole (wrapped lines joined)
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \S+", row["next run"]), row
    assert berlin["schedule"] == "0 6 * * 1-5 Europe/Berlin"
    assert nightly["schedule"].replace(" ", "") == f"00***{long_zone}"  # folded where it must
    assert nightly["notebook"].replace(" ", "") == path
    assert nightly["notebook"] != path


def test_the_jobs_table_keeps_a_row_per_job_at_80_columns(root: Path) -> None:
    """The schedule is its cron over its zone; the next run is in that zone; a job without
    parameters leaves the cell empty rather than showing ``{}``."""
    add(root, "--name", "paris", "--cron", "0 6 * * 1-5", "--tz", "Europe/Paris", "-p", "days=14")
    add(root, "--name", "adhoc")
    add(root, "--name", "held", "--cron", "daily", "--paused")
    listed = nbtools(root, "schedule", "list", columns=80)
    assert listed.exit_code == 0, listed.output
    assert max(map(len, listed.output.splitlines())) <= 80
    paris, adhoc, held = table_rows(listed.output)
    assert paris["notebook"] == "forecast.ipynb"
    # the next run keeps its date and time on one line; a long word folds instead, the zone
    # of one job rather than the notebook of three
    assert re.search(r"│ \d{4}-\d\d-\d\d 06:00:00 │", listed.output)
    assert paris["schedule"].replace(" ", "") == "06**1-5Europe/Paris"
    # the only moment: its zone (Paris's, whatever the machine's) is said in the title
    assert listed.output.startswith(("Jobs (times in CET)", "Jobs (times in CEST)"))
    assert paris["next run"].endswith(" 06:00:00")
    add(root, "--name", "tokyo", "--cron", "0 6 * * *", "--tz", "Asia/Tokyo")
    mixed = nbtools(root, "schedule", "list", columns=80)
    assert "times in" not in mixed.output.splitlines()[0]
    by_name = {row["name"]: row for row in table_rows(mixed.output)}
    assert by_name["tokyo"]["next run"].endswith(" 06:00:00 JST")  # each in its own zone
    assert by_name["paris"]["next run"].endswith((" 06:00:00 CET", " 06:00:00 CEST"))
    assert nbtools(root, "schedule", "remove", "tokyo", "--yes").exit_code == 0
    assert paris["parameters"] == '{"days": 14}'
    assert (adhoc["schedule"], adhoc["next run"], adhoc["parameters"]) == ("on demand", "", "")
    assert (held["schedule"], held["next run"]) == ("0 0 * * * UTC", "paused")
    assert nbtools(root, "schedule", "remove", "adhoc", "--yes").exit_code == 0
    assert [row["job"] for row in table_rows(nbtools(root, "schedule", "list").output)] == [
        "1",
        "3",
    ]
    archived = table_rows(nbtools(root, "schedule", "list", "--archived").output)[1]
    assert archived["next run"].startswith("archived 20")  # archived, not merely paused
    shown = nbtools(root, "schedule", "show", "adhoc").output
    assert "Archived: it never runs again" in shown
