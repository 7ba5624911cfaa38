"""``nbtools runs list`` for people: a run a row on an 80-column terminal, how long each took
in its unit, and retries told apart in the detail."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner

from nbtools.cli.app import cli
from nbtools.cli.runs import took
from nbtools.jobs.tables import Job, Run
from nbtools.project import Project
from tests.cli_tables import listings, table_rows

START = datetime(2026, 12, 4, 22, 43, 16, tzinfo=timezone.utc)


def add_run(project: Project, seconds: float, **columns: object) -> None:
    values: dict[str, object] = {
        "notebook_path": "train_churn.ipynb",
        "trigger": "manual",
        "parameters": {},
        "status": "succeeded",
        "started_at": START,
        "finished_at": START + timedelta(seconds=seconds),
        "cells_total": 8,
        "cells_done": 8,
    }
    with project.store.session(write=True) as session:
        session.add(Run(**{**values, **columns}))


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (None, ""),
        (0.0, "0.0s"),
        (0.315, "0.3s"),
        (9.94, "9.9s"),
        (9.96, "10s"),
        (10.4, "10s"),
        (59.4, "59s"),
        (59.6, "1m"),
        (125, "2m"),
        (3 * 3600 + 5 * 60 + 7, "3h 5m"),
        (2 * 86400 + 60, "2d 1m"),
    ],
)
def test_how_long_a_run_took_is_shown_in_its_unit(seconds: float | None, shown: str) -> None:
    assert took(seconds) == shown


def test_at_80_columns_each_run_keeps_its_notebook_whole_and_retries_say_so(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "UTC")
    add_run(project, 0.315)
    add_run(project, 125, attempt=2)
    # running for over two days (so far: the widest it takes, whatever the clock says now)
    running_since = datetime.now(timezone.utc) - timedelta(days=2, hours=7, minutes=33)
    add_run(
        project,
        0,
        attempt=3,
        status="running",
        started_at=running_since,
        finished_at=None,
        cells_done=3,
        current_cell=3,
    )
    result = CliRunner(env={"COLUMNS": "80"}).invoke(
        cli, ["--root", str(project.root), "runs", "list"]
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert max(map(len, lines)) <= 80
    running, retried, first = table_rows(result.output)
    assert "job" not in running  # no run has a job: no column to leave empty
    assert lines[0].startswith("Runs (times in UTC)")  # the zone once, not in every row
    assert [(row["notebook"], row["detail"]) for row in (running, retried, first)] == [
        ("train_churn.ipynb", "attempt 3: 3/8 cells, executing cell 4"),
        ("train_churn.ipynb", "attempt 2: 8/8 cells"),
        ("train_churn.ipynb", "8/8 cells"),
    ]
    assert (retried["took"], first["took"]) == ("2m", "0.3s")
    assert running["took"].startswith("2d 7h")  # a running one: so far
    assert "train_churn.ipynb" in lines[4]  # whole, on the row's first line
    # the starts keep their lines too: what gave way is text, wrapping between its words
    assert sum("│ 2026-12-04 22:43:16 │" in line for line in lines) == 2


def test_a_moment_stays_on_its_line_while_a_short_detail_wraps(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """docs/cli.md: a moment keeps its date and time on one line while other text can wrap.
    A 20-character notebook's runs at 80 columns put each start's time below its date, to
    keep "1/1 cells" whole; the detail wraps between its words now, the start is one line."""
    monkeypatch.setenv("TZ", "UTC")
    for _ in range(2):
        add_run(project, 0.8, notebook_path="zbcdefghijklmn.ipynb", cells_total=1, cells_done=1)
    result = CliRunner(env={"COLUMNS": "80"}).invoke(
        cli, ["--root", str(project.root), "runs", "list", "--notebook", "zbcdefghijklmn.ipynb"]
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert max(map(len, lines)) <= 80
    first_lines = [line for line in lines if line.startswith("│ ") and line[2].isdigit()]
    assert len(first_lines) == 2
    for line in first_lines:  # the notebook, the status and the start whole on the row's line
        assert "│ zbcdefghijklmn.ipynb │ succeeded │ 2026-12-04 22:43:16 │ 0.8s │ 1/1" in line
    assert [row["detail"] for row in table_rows(result.output)] == ["1/1 cells"] * 2


def test_a_path_too_long_to_fit_folds_only_once_the_prose_beside_it_wraps(
    project: Project,
) -> None:
    """At 80 columns a 25-character path cannot stay whole beside an error: the error wraps
    between its words first, down to its longest word, and the path gets the room freed."""
    path = "reports/train_churn.ipynb"
    add_run(project, 3, notebook_path=path, attempt=3)
    add_run(
        project,
        2,
        notebook_path=path,
        status="failed",
        attempt=2,
        error_name="ZeroDivisionError",
        error_message="division by zero",
        error_cell=2,
    )
    result = CliRunner(env={"COLUMNS": "80"}).invoke(
        cli, ["--root", str(project.root), "runs", "list"]
    )
    lines = result.output.splitlines()
    assert max(map(len, lines)) <= 80
    header = next(line for line in lines if line.startswith("┃"))
    widths = {cell.strip(): len(cell) - 2 for cell in header.split("┃")[1:-1]}
    assert widths["detail"] == len("ZeroDivisionError:")
    failed = table_rows(result.output)[0]  # newest first
    assert failed["detail"] == "attempt 2: ZeroDivisionError: division by zero (cell 3)"
    assert failed["notebook"].replace(" ", "") == path  # folded where it had to be


def add_two_notebooks_runs(project: Project) -> None:
    add_run(project, 0.3)
    add_run(
        project,
        2,
        notebook_path="reports/train_churn.ipynb",
        status="failed",
        attempt=2,
        error_name="ZeroDivisionError",
        error_message="division by zero",
        error_cell=2,
    )


def test_at_80_columns_a_start_keeps_its_line_and_a_path_folds_instead(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """docs/cli.md: long words fold before a moment's time goes below its date. Folding one
    path or the exception name beside it, the table keeps the most cells whole: the shorter
    notebook of the other run, rather than the exception name of this one."""
    monkeypatch.setenv("TZ", "UTC")
    add_two_notebooks_runs(project)
    result = CliRunner(env={"COLUMNS": "80"}).invoke(
        cli, ["--root", str(project.root), "runs", "list"]
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert max(map(len, lines)) <= 80
    assert sum("│ 2026-12-04 22:43:16 │" in line for line in lines) == 2  # each on one line
    failed, _ = table_rows(result.output)
    assert "│ train_churn.ipynb │ succeeded │" in result.output  # whole, one line
    assert failed["notebook"].replace(" ", "") == "reports/train_churn.ipynb"
    assert failed["notebook"] != "reports/train_churn.ipynb"  # folded where it had to be
    assert failed["detail"].replace(" ", "") == "attempt2:ZeroDivisionError:divisionbyzero(cell3)"


@pytest.mark.parametrize("columns", [40, 60])
def test_too_narrow_for_the_runs_table_each_run_is_a_listing(
    project: Project, monkeypatch: pytest.MonkeyPatch, columns: int
) -> None:
    """At 60 columns and fewer the six columns cannot keep states, starts and short words
    whole: each run is shown as a listing, newest first, nothing in it broken."""
    monkeypatch.setenv("TZ", "UTC")
    add_two_notebooks_runs(project)
    result = CliRunner(env={"COLUMNS": str(columns)}).invoke(
        cli, ["--root", str(project.root), "runs", "list"]
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert max(map(len, lines)) <= columns
    assert lines[0].startswith("Runs (times in UTC)")
    failed, succeeded = listings(result.output)
    assert failed == {
        "run": "2",
        "notebook": "reports/train_churn.ipynb",
        "status": "failed",
        "started": "2026-12-04 22:43:16",
        "took": "2.0s",
        "detail": "attempt 2: ZeroDivisionError: division by zero (cell 3)",
    }
    assert (succeeded["run"], succeeded["notebook"]) == ("1", "train_churn.ipynb")
    assert sum("│ 2026-12-04 22:43:16 " in line for line in lines) == 2


def test_a_job_s_runs_name_it_archived_or_not_and_a_job_less_run_leaves_it_empty(
    project: Project,
) -> None:
    with project.store.session(write=True) as session:
        nightly = Job(name="nightly", notebook_path="train_churn.ipynb", parameters={})
        gone = Job(
            name="old-report", notebook_path="report.ipynb", parameters={}, archived_at=START
        )
        session.add_all([nightly, gone])
        session.flush()
        ids = (nightly.id, gone.id)
    add_run(project, 1, job_id=ids[0])
    add_run(project, 1, job_id=ids[1])
    add_run(project, 1)
    result = CliRunner(env={"COLUMNS": "80"}).invoke(
        cli, ["--root", str(project.root), "runs", "list"]
    )
    assert result.exit_code == 0, result.output
    assert [row["job"] for row in table_rows(result.output)] == ["", "old-report", "nightly"]
    as_json = CliRunner().invoke(cli, ["--root", str(project.root), "runs", "list", "--json"])
    assert [run["job_id"] for run in json.loads(as_json.stdout)] == [None, ids[1], ids[0]]
