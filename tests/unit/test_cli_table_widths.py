"""How a table fits the terminal (``nbtools/cli/table_widths.py``; docs/cli.md, "Tables and
narrow terminals"): text gives way first, a moment's line last, and a table too wide even
then shows each row as a listing. Real tables: the audit trail of a real store, and
``print_table``'s own."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from click.testing import CliRunner
from rich.cells import cell_len

from nbtools import audit
from nbtools.cli.app import cli
from nbtools.cli.output import print_fields, print_table
from nbtools.project import Project
from tests.cli_tables import listings, table_rows

ACTOR = "continuous-integration-bot"  # 26 characters: a word longer than 16
MOMENT = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d"
AT = datetime(2026, 12, 4, 15, 14, 22, tzinfo=timezone.utc)


@pytest.fixture
def trail(project: Project, monkeypatch: pytest.MonkeyPatch) -> Project:
    monkeypatch.setenv("TZ", "UTC")
    summary = {"name": "nightly", "cron": "0 2 * * *"}
    audit.record_now(project.store, ACTOR, "job.edit", "job 3", summary)
    audit.record_now(project.store, "ann", "run.submit", "run 12", {"job": 3})
    return project


def audit_list(project: Project, columns: int) -> str:
    result = CliRunner(env={"COLUMNS": str(columns)}).invoke(
        cli, ["--root", str(project.root), "audit", "list"]
    )
    assert result.exit_code == 0, result.output
    assert max(map(cell_len, result.output.splitlines())) <= columns
    return result.output


def test_at_80_columns_a_moment_keeps_its_line_and_a_long_actor_folds(trail: Project) -> None:
    """The bug: the 26-character actor folded and each entry's time went below its date as
    well, though folding the actor alone was enough."""
    out = audit_list(trail, 80)
    assert out.startswith("Audit (2; times in UTC)")
    assert len(re.findall(rf"^│ {MOMENT} │", out, re.MULTILINE)) == 2
    ann, bot = table_rows(out)
    assert bot["actor"] != ACTOR  # folded, every character kept
    assert bot["actor"].replace(" ", "") == ACTOR
    assert (bot["action"], bot["target"], bot["summary"]) == (
        "job.edit",
        "job 3",
        "name=nightly, cron=0 2 * * *",
    )
    assert (ann["actor"], ann["action"], ann["target"]) == ("ann", "run.submit", "run 12")


def test_at_60_columns_a_moment_s_time_goes_below_its_date_once_long_words_fold(
    trail: Project,
) -> None:
    """The last step before listings: the date and the time each stay whole, a line each;
    words of up to 10 characters (the actions) still do not break."""
    out = audit_list(trail, 60)
    body = [line.split("│")[1].strip() for line in out.splitlines() if line.startswith("│")]
    dates = [i for i, text in enumerate(body) if re.fullmatch(r"\d{4}-\d\d-\d\d", text)]
    assert len(dates) == 2
    assert all(re.fullmatch(r"\d\d:\d\d:\d\d", body[i + 1]) for i in dates)
    assert "│ job.edit " in out
    assert "│ run.submit " in out
    actor = "".join(line.split("│")[2].strip() for line in out.splitlines() if line[:1] == "│")
    assert actor == f"ann{ACTOR}"  # folded, every character kept


def test_at_40_columns_each_entry_is_a_listing_with_nothing_broken(trail: Project) -> None:
    out = audit_list(trail, 40)
    ann, bot = listings(out)
    assert list(bot) == ["at", "actor", "action", "target", "summary"]
    assert re.fullmatch(MOMENT, bot["at"])
    assert f"│ {ACTOR} │" in out  # 26 characters: whole in a 40-column listing
    assert re.search(rf"│ at      │ {MOMENT} ", out)
    assert (ann["actor"], ann["target"], ann["summary"]) == ("ann", "run 12", "job=3")


def test_a_wide_terminal_shows_an_entry_a_line(trail: Project) -> None:
    out = audit_list(trail, 250)
    lines = out.splitlines()
    assert len(lines) == 7  # title, three rules, header, two entries
    assert re.search(rf"│ {MOMENT} │ {ACTOR} │ job.edit   │ job 3  │ name=nightly, cron=", out)


def printed(
    capsys: pytest.CaptureFixture[str],
    columns: int,
    headers: tuple[str, ...],
    rows: list[tuple[object, ...]],
) -> str:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COLUMNS", str(columns))
        patch.setenv("TZ", "UTC")
        print_table("Entries", headers, rows)
    out = capsys.readouterr().out
    assert max(map(cell_len, out.splitlines())) <= columns
    return out


def test_wide_characters_count_two_columns(capsys: pytest.CaptureFixture[str]) -> None:
    """``データサイエンス・チーム`` is 12 characters and 24 columns: counted as 12, the table
    seemed to fit and the terminal's edge broke the moments."""
    team = "データサイエンス・チーム"
    row = (AT, team, "dataset.edit", "dataset 顧客", "changed=purposes, classification")
    out = printed(capsys, 80, ("at", "actor", "action", "target", "summary"), [row])
    assert "│ 2026-12-04 15:14:22 │" in out
    (shown,) = table_rows(out)
    assert shown["actor"].replace(" ", "") == team
    assert shown["action"] == "dataset.edit"
    wide = printed(capsys, 250, ("at", "actor"), [(AT, team)])
    assert f"│ 2026-12-04 15:14:22 │ {team} │" in wide  # fits: one line, nothing folded


def test_a_number_never_breaks_and_a_path_folds_first(capsys: pytest.CaptureFixture[str]) -> None:
    path = "artifacts/2026/12/model-weights-final.pkl"
    row = ("model", 123456789012345, "9ac1d3fa9ac1", path)
    out = printed(capsys, 60, ("name", "size (bytes)", "sha256", "stored at"), [row])
    (shown,) = table_rows(out)
    assert "│ 123456789012345 │" in out
    assert (shown["sha256"], shown["stored at"].replace(" ", "")) == ("9ac1d3fa9ac1", path)


def test_a_table_with_no_rows_keeps_its_headers_within_the_terminal(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Nothing to list as listings: the headers alone, folded at the terminal's edge."""
    headers = ("run", "job", "notebook", "status", "started", "took", "detail")
    out = printed(capsys, 60, headers, [])
    assert out.splitlines()[-1].count("┴") == len(headers) - 1
    assert "┃ run ┃ job ┃ notebook ┃ status ┃ started ┃ took ┃ detail ┃" in out
    assert "│" not in out  # no row, and no listing of nothing
    out = printed(capsys, 30, headers, [])  # not even room for the headers' words
    assert out.splitlines()[-1].count("┴") == len(headers) - 1


def test_a_single_column_wider_than_the_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    word = "x" * 120
    out = printed(capsys, 40, ("reason",), [(word,)])
    assert "".join(row["reason"] for row in table_rows(out)).replace(" ", "") == word
    moments = printed(capsys, 15, ("at",), [(AT,)])  # 11 columns inside: the date, the time
    assert [line for line in moments.splitlines() if line.startswith("│")] == [
        "│ 2026-12-04 │",
        "│ 15:14:22   │",
    ]
    narrow = printed(capsys, 12, ("at",), [(AT,)])  # no room for a date: folded at the edge
    assert "".join(row["at"] for row in table_rows(narrow)).replace(" ", "") == (
        "2026-12-0415:14:22"
    )


def test_a_listing_wider_than_the_terminal_stays_within_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A listing's field names are never narrowed while its values can give way; past that,
    the terminal's edge folds it, still a listing."""
    fields = {"notebook sha256": "9ac1d3fa" * 8, "started": AT}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COLUMNS", "36")
        patch.setenv("TZ", "UTC")
        print_fields("Run 9", fields)
    lines = capsys.readouterr().out.splitlines()
    assert max(map(len, lines)) <= 36
    assert any(line.startswith("│ notebook sha256 │ 9ac1d3fa9ac1") for line in lines)
    assert "│ started         │ 2026-12-04 " in lines[-3]  # the date, then the time below
    assert "│                 │ 15:14:22 " in lines[-2]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COLUMNS", "30")
        print_fields("Run 9", {"a field name wider than the terminal itself": 1})
    lines = capsys.readouterr().out.splitlines()
    assert max(map(len, lines)) <= 30
    names = " ".join(line.split("│")[1].strip() for line in lines if line.startswith("│"))
    assert names == "a field name wider than the terminal itself"  # wrapped, not lost
