"""``nbtools audit list --csv``: the trail for a spreadsheet, with the filters of the table
and ``--json``; every value read back whole by Python's csv reader, and no cell a formula."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from nbtools import audit
from nbtools.cli.app import cli
from nbtools.project import Project

#: (actor, target, summary) of entries whose text a CSV writer or a spreadsheet could get
#: wrong: commas, quotes, line breaks, unicode, and the starts of a formula.
AWKWARD = [
    ('ana, the "DPO"', 'dataset a,b "c"\nd', {"note": "line one\r\nline two", "ü": "ä"}),
    ("=cmd|' /C calc'!A0", '=HYPERLINK("http://evil")', {"n": -1}),
    ("+ana", "-2+3", {"x": "@SUM(A1)"}),
    ("@bob", "'quoted", {}),
    ("zoë", "\tstarts with a tab", {"emoji": "🙂"}),
]

#: What a cell may start with that a spreadsheet runs as a formula.
FORMULA = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    opened = Project(tmp_path)
    yield opened
    opened.close()


def nbtools(project: Project, *args: str) -> tuple[int, str]:
    """The exit code and what the command printed, as it wrote it (its line ends kept)."""
    result = CliRunner().invoke(cli, ["--root", str(project.root), *args])
    return result.exit_code, (result.stdout_bytes + result.stderr_bytes).decode()


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def value(cell: str) -> str:
    """A cell's value, as docs/governance.md tells a reader: one leading ``'`` taken off."""
    return cell[1:] if cell.startswith("'") else cell


def test_every_value_reads_back_whole_and_no_cell_is_a_formula(project: Project) -> None:
    for actor, target, summary in AWKWARD:
        audit.record_now(project.store, actor, "dataset.edit", target, summary)
    code, output = nbtools(project, "audit", "list", "--csv")
    assert code == 0, output

    header, *body = rows(output)
    assert header == ["id", "at", "actor", "action", "target", "summary"]
    entries = audit.list_entries(project)
    assert [int(row[0]) for row in body] == [entry.id for entry in entries]  # newest first
    read = [(value(row[2]), value(row[4]), json.loads(value(row[5]))) for row in body]
    assert read == [(a, t, s) for a, t, s in reversed(AWKWARD)]
    assert [value(row[1]) for row in body] == [entry.at.isoformat() for entry in entries]
    assert not [cell for row in body for cell in row if cell.startswith(FORMULA)]
    assert "🙂" in output  # unicode as it is, not a JSON escape


def test_the_filters_apply_and_an_empty_trail_is_the_header_alone(project: Project) -> None:
    code, output = nbtools(project, "audit", "list", "--csv")
    assert (code, output) == (0, "id,at,actor,action,target,summary\r\n")

    audit.record_now(project.store, "ana", "dataset.add", "dataset d", {})
    audit.record_now(project.store, "bob", "job.create", "job 1", {})
    _, output = nbtools(project, "audit", "list", "--csv", "--action", "job.*")
    assert [(row[2], row[3]) for row in rows(output)[1:]] == [("bob", "job.create")]
    _, output = nbtools(project, "audit", "list", "--csv", "--actor", "ana", "--limit", "1")
    assert [(row[2], row[4]) for row in rows(output)[1:]] == [("ana", "dataset d")]
    _, output = nbtools(project, "audit", "list", "--csv", "--since", "2999-01-01")
    assert len(rows(output)) == 1


def test_csv_and_json_at_once_are_refused(project: Project) -> None:
    code, output = nbtools(project, "audit", "list", "--csv", "--json")
    assert code == 2
    assert "--csv or --json" in output
