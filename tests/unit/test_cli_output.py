"""How tables show moments: one rule for every command (``nbtools.cli.output.when``)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from nbtools.cli.output import print_fields, print_table, visible, when
from tests.cli_tables import listings, table_rows

UTC = timezone.utc


def local_time(monkeypatch: pytest.MonkeyPatch, zone: str) -> Iterator[None]:
    """The machine's local time is ``zone``'s while the test runs."""
    monkeypatch.setenv("TZ", zone)
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def tokyo(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    yield from local_time(monkeypatch, "Asia/Tokyo")


@pytest.fixture
def lisbon(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    yield from local_time(monkeypatch, "Europe/Lisbon")


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
    assert out.startswith("Runs (times in JST)")  # said once, not in every cell
    print_table("Audit (1)", ("at",), [(moment,)])
    assert capsys.readouterr().out.startswith("Audit (1; times in JST)")
    assert "│ 2026-12-05 00:14:22 │" in out
    assert "685711" not in out
    assert "None" not in out


@pytest.mark.usefixtures("lisbon")
def test_moments_of_different_zones_keep_theirs_and_text_is_left_as_given(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Across a DST change the local abbreviations differ: each moment keeps its own."""
    winter = datetime(2027, 3, 28, 0, 30, tzinfo=UTC)
    summer = datetime(2027, 3, 28, 1, 30, tzinfo=UTC)
    print_table("Runs", ("run", "started"), [(1, winter), (2, summer)])
    out = capsys.readouterr().out
    assert out.startswith("Runs ")
    assert "times in" not in out
    assert "2027-03-28 00:30:00 WET" in out
    assert "2027-03-28 02:30:00 WEST" in out
    print_table("Jobs", ("job", "next run"), [(1, "2027-03-28 02:30:00 WEST")])
    assert "times in" not in capsys.readouterr().out  # text, not moments: as given


def test_parameters_and_other_structures_are_shown_as_json(
    capsys: pytest.CaptureFixture[str],
) -> None:
    print_table("Run", ("field", "value"), [("parameters", {"label": "ci", "on": True})])
    out = capsys.readouterr().out
    assert '{"label": "ci", "on": true}' in out  # as -p and --json take them, not a repr


RUNS = ("run", "job", "notebook", "status", "started", "took", "detail")
STARTED = datetime(2026, 12, 4, 8, 20, 57, tzinfo=UTC)  # 2026-12-04 17:20:57 in Tokyo
ROW = (1, "nightly", "reports/quarterly/example.ipynb", "succeeded", STARTED)


def table_lines(
    capsys: pytest.CaptureFixture[str], width: int, rows: list[tuple[Any, ...]]
) -> list[str]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COLUMNS", str(width))
        print_table("Runs", RUNS, rows)
    return capsys.readouterr().out.splitlines()


@pytest.mark.usefixtures("tokyo")
def test_a_table_that_fits_keeps_each_row_on_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    lines = table_lines(capsys, 200, [(*ROW, "0.3s", "7/7 cells")])
    assert len(lines) == 6  # title, three rules, header, one row
    assert "│ 2026-12-04 17:20:57 │" in lines[4]


@pytest.mark.usefixtures("tokyo")
def test_a_narrow_terminal_breaks_lines_between_words_and_loses_no_column(
    capsys: pytest.CaptureFixture[str],
) -> None:
    error = "ZeroDivisionError: division by zero (cell 3)"
    lines = table_lines(capsys, 80, [(*ROW, "0.3s", "7/7 cells"), (*ROW, "2.5s", error)])
    assert max(map(len, lines)) <= 80
    text = "\n".join(lines)
    for word in ("notebook", "status", "started", "detail", "succeeded", "nightly", "division"):
        assert word in text  # whole: headers, states and words of up to 10 characters
    assert sum("│ 2026-12-04 17:20:57 │" in line for line in lines) == 2  # a moment, one line
    assert "reports/quarterly" not in text  # longer words fold where they must
    assert lines[-1].count("┴") == len(RUNS) - 1


def test_prose_wraps_before_a_path_is_broken(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COLUMNS", "80")
        print_table(
            "Datasets",
            ("name", "classification", "purposes", "location", "description"),
            [
                (
                    "customers",
                    "personal",
                    "churn-model",
                    "data/customers.csv",
                    "Customer emails and churn flags",
                )
            ],
        )
    out = capsys.readouterr().out
    assert "│ data/customers.csv │" in out
    assert max(map(len, out.splitlines())) <= 80


@pytest.mark.usefixtures("tokyo")
def test_a_moment_keeps_its_date_and_time_on_one_line_while_prose_can_wrap_instead(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``version log`` at 80 columns: the saved time stays whole, the header and the
    used-by text wrap; only when words would otherwise fold does a moment's time go below
    its date (never broken inside either)."""
    saved = datetime(2026, 12, 4, 15, 14, 22, tzinfo=UTC)
    row = (1, saved, "root", "2.6 KiB", 7, "package packages/example · run 1")
    columns = ("version", "saved", "user", "size", "cells changed", "used by")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COLUMNS", "80")
        print_table("Versions", columns, [row])
    lines = capsys.readouterr().out.splitlines()
    assert max(map(len, lines)) <= 80
    assert any("│ 2026-12-05 00:14:22 │" in line for line in lines)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COLUMNS", "66")
        print_table("Versions", columns, [row])
    lines = capsys.readouterr().out.splitlines()
    assert max(map(len, lines)) <= 66
    cells = [line.split("│") for line in lines if line.startswith("│")]
    assert [cell[2].strip() for cell in cells[:2]] == ["2026-12-05", "00:14:22"]  # time below


def test_a_listing_keeps_its_field_names_whole_and_folds_a_long_value(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COLUMNS", "80")
        print_fields(
            "Run 9",
            {"duration (s)": 1.398, "notebook sha256": "9ac1d3fa" * 8, "run": 9},
        )
    lines = capsys.readouterr().out.splitlines()
    assert max(map(len, lines)) <= 80
    assert any(line.startswith("│ duration (s)    │ 1.398 ") for line in lines)
    assert any(line.startswith("│ notebook sha256 │ 9ac1d3fa") for line in lines)
    assert not any(line.startswith("│ (s)") or line.startswith("│ sha256") for line in lines)


@pytest.mark.usefixtures("tokyo")
@pytest.mark.parametrize("width", [40, 60])
def test_a_terminal_too_narrow_for_the_table_shows_each_row_as_a_listing(
    capsys: pytest.CaptureFixture[str], width: int
) -> None:
    """Seven columns cannot keep their states and moments whole in 60 columns or fewer: each
    run is a listing of its own, a rule after each, and nothing in it breaks."""
    rows = [(*ROW, "0.3s", "7/7 cells"), (2, None, "a.ipynb", "failed", STARTED, "2.5s", "x")]
    lines = table_lines(capsys, width, rows)
    assert max(map(len, lines)) <= width
    assert lines[0].startswith("Runs (times in JST)")
    first, second = listings("\n".join(lines))
    path = first.pop("notebook")  # 31 characters: whole at 60, folded in a 25-wide value at 40
    assert path.replace(" ", "") == ROW[2]
    assert (path == ROW[2]) == (width == 60)
    assert first == {
        "run": "1",
        "job": "nightly",
        "status": "succeeded",
        "started": "2026-12-04 17:20:57",
        "took": "0.3s",
        "detail": "7/7 cells",
    }
    assert list(second) == list(RUNS)  # every field, in order, an empty one too
    assert second["job"] == ""
    assert any("│ 2026-12-04 17:20:57 " in line for line in lines)
    assert sum(line.startswith("├") for line in lines) == 1  # a rule between the two runs


@pytest.mark.usefixtures("tokyo")
@pytest.mark.parametrize("width", [15, 20, 24])
def test_a_terminal_narrower_than_a_listing_folds_the_listing_at_its_edge(
    capsys: pytest.CaptureFixture[str], width: int
) -> None:
    """Below the 25 columns the runs' listing needs, the table's seven columns came back,
    each 0 or 1 character wide: only "0.3s" showed at 20 columns, nothing at 15."""
    rows = [(*ROW, "0.3s", "7/7 cells"), (2, None, "a.ipynb", "failed", STARTED, "2.5s", "x")]
    lines = table_lines(capsys, width, rows)
    assert max(map(len, lines)) <= width
    cells = [line.split("│")[1:-1] for line in lines if line.startswith("│")]
    assert all(len(row) == 2 for row in cells)  # field │ value, never seven columns
    names, values = ("".join(row[at].replace(" ", "") for row in cells) for at in (0, 1))
    assert names == "".join(RUNS) * 2  # every field of each run, in order
    for value in ("1", "nightly", ROW[2], "succeeded", "2026-12-0417:20:57", "7/7cells"):
        assert value in values  # whole, folded over lines at most
    assert sum(line.startswith("├") for line in lines) == 1  # a rule between the two runs


def test_an_empty_table_is_one_line_saying_so(capsys: pytest.CaptureFixture[str]) -> None:
    print_table("Runs", ("run",), [], empty="No runs yet.")
    assert capsys.readouterr().out == "No runs yet.\n"
    print_table("Runs", ("run",), iter([(1,)]), empty="No runs yet.")  # rows may be an iterator
    assert "No runs yet." not in capsys.readouterr().out


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("\x1b]0;PWNED\x07\x1b[2J", "\\x1b]0;PWNED\\x07\\x1b[2J"),  # window title, clear
        ("evil \x1b[31mred\x1b[0m", "evil \\x1b[31mred\\x1b[0m"),
        ("over\rwritten\x08\x7f", "over\\x0dwritten\\x08\\x7f"),
        ("\x9b2J C1", "\\x9b2J C1"),  # the 8-bit control sequence introducer
        ("\x00\x0b\x0c\x1f", "\\x00\\x0b\\x0c\\x1f"),
        ("abc\u202edcba \u2066x\u2069", "abc\\u202edcba \\u2066x\\u2069"),  # bidi overrides
        ("x\ud83d = 1", "x\\ud83d = 1"),  # a lone surrogate: no encoding writes it
        ("tab\tand\nlines", "tab\tand\nlines"),  # kept: a table shows them as such
        (
            "é 日本語 😀 👨\u200d👩\u200d👧 [/bold] :smile:",
            "é 日本語 😀 👨\u200d👩\u200d👧 [/bold] :smile:",
        ),
    ],
)
def test_text_is_made_visible_not_obeyed(text: str, shown: str) -> None:
    assert visible(text) == shown


def test_a_table_shows_what_its_cells_and_title_hold_and_obeys_none_of_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Control sequences are escaped (they would colour, clear or retitle the terminal and
    misalign the table), and brackets and colons are text, not rich's markup or emoji codes
    (``[/bold]`` alone used to raise rich's MarkupError)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COLUMNS", "200")
        print_table(
            "Versions of \x1b[2Jnb.ipynb",
            ("version", "message"),
            [(2, "evil \x1b[31mred\x1b[0m"), (1, "[/bold] [red]x[/red] :smile:")],
        )
        print_fields("x\ud83d", {"message": "\x1b]0;PWNED\x07"})
        print_table("Runs", ("run",), [], empty="No runs of \x1b[2Jnb.ipynb yet.")
    out = capsys.readouterr().out
    assert "\x1b" not in out
    assert "\x07" not in out
    assert "Versions of \\x1b[2Jnb.ipynb" in out
    assert [row["message"] for row in table_rows(out.split("x\\ud83d")[0])] == [
        "evil \\x1b[31mred\\x1b[0m",
        "[/bold] [red]x[/red] :smile:",
    ]
    assert "│ message │ \\x1b]0;PWNED\\x07 │" in out
    assert out.endswith("No runs of \\x1b[2Jnb.ipynb yet.\n")


def test_every_list_says_what_is_empty_and_what_to_do(tmp_path: Path) -> None:
    """An empty state is a sentence, filtered or not, never a table of headers."""
    from click.testing import CliRunner

    from nbtools.cli.app import cli

    expected = {
        ("runs", "list"): "No runs yet: `nbtools run NOTEBOOK` runs one",
        ("runs", "list", "--status", "failed"): "No runs match these filters.",
        ("schedule", "list"): "No jobs yet: `nbtools schedule add NOTEBOOK --cron daily`",
        ("alerts", "list"): "No open alerts.",
        ("alerts", "rule", "list"): "No alert rules: `nbtools alerts rule add JOB 'RULE'`",
        ("alerts", "notify", "list"): "No notification targets: `nbtools alerts notify add JOB",
        ("alerts", "deliveries"): "No notification deliveries.",
        ("audit", "list"): "The audit trail is empty.",
        ("audit", "list", "--actor", "ann"): "No audit entries match.",
        ("data", "list"): "The catalog is empty: `nbtools data add NAME LOCATION`",
        ("data", "search", "payments"): "No dataset matches 'payments'.",
        ("env", "list"): "No snapshots yet: `nbtools env snapshot`",
        ("runs", "prune", "--dry-run"): "Nothing to prune.",
        ("data", "usage", "payments"): "No run read or wrote payments.",
    }
    (tmp_path / "requirements.txt").write_text("")
    empty_file = str(tmp_path / "requirements.txt")
    shown = CliRunner().invoke(cli, ["--root", str(tmp_path), "env", "show", empty_file])
    assert shown.output.endswith("No distributions: the snapshot (or file) pins none.\n")
    for args, sentence in expected.items():
        result = CliRunner().invoke(cli, ["--root", str(tmp_path), *args])
        assert result.exit_code == 0, (args, result.output)
        assert result.output.startswith(sentence), (args, result.output)
        assert "┃" not in result.output, args


def test_cells_are_numbered_from_1_as_jupyterlab_shows_them() -> None:
    """The models' ``cell`` fields are indexes; what people read counts from 1 (jobs.md)."""
    from nbtools.cli.runs import describe_error, describe_progress

    failed = {"error": {"name": "ZeroDivisionError", "message": "division by zero", "cell": 1}}
    assert describe_error(failed) == "ZeroDivisionError: division by zero (cell 2)"
    running = {
        "status": "running",
        "progress": {"cells_done": 1, "cells_total": 3, "current_cell": 1},
    }
    assert describe_progress(running) == "1/3 cells, executing cell 2"


def test_with_json_an_error_is_the_answer_unless_the_command_gave_one(tmp_path: Path) -> None:
    """A script reading stdout gets one JSON document: the error of a command that answered
    nothing, or the answer (a refused check's report) of one that did."""
    import json

    from click.testing import CliRunner

    from nbtools.cli.app import cli

    def nbtools(*args: str) -> Any:
        return CliRunner().invoke(cli, ["--root", str(tmp_path), *args])

    (tmp_path / "nb.ipynb").write_text(
        json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": []})
    )
    refused = nbtools("schedule", "add", "nb.ipynb", "--timeout", "0", "--json")
    assert refused.exit_code == 2
    error = json.loads(refused.stdout)
    assert (error["error"], error["details"]["field"]) == ("InvalidInputError", "timeout_seconds")
    assert error["message"].startswith("--timeout must be")
    assert refused.stderr.startswith("Error: --timeout must be")
    plain = nbtools("schedule", "add", "nb.ipynb", "--timeout", "0")
    assert (plain.exit_code, plain.stdout) == (2, "")  # no JSON without --json
    missing = nbtools("runs", "show", "99", "--json")
    assert json.loads(missing.stdout)["error"] == "NotFoundError"
    # a refused data check answers with its report (which says why), and only with it
    (tmp_path / "people.csv").write_text("id,email\n1,a@x.org\n")
    added = nbtools("data", "add", "people", "people.csv", "--classification", "personal")
    assert added.exit_code == 0, added.output
    cell = {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None}
    uses = {"source": "import pandas as pd\npd.read_csv('people.csv')", **cell}
    notebook = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [uses]}
    (tmp_path / "uses.ipynb").write_text(json.dumps(notebook))
    checked = nbtools("data", "check", "uses.ipynb", "--json")
    assert checked.exit_code == 2
    [use] = json.loads(checked.stdout)["uses"]  # one document: no error JSON after it
    assert "is personal data: using it needs a purpose" in use["refused"]
