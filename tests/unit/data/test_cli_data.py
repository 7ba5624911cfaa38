from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from nbtools.cli.app import cli
from nbtools.data.catalog import DECLARED_FIELDS
from tests.cli_tables import table_rows


def nbtools(root: Path, *args: str) -> Result:
    return CliRunner(env={"COLUMNS": "200"}).invoke(cli, ["--root", str(root), "data", *args])


def as_json(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_add_search_show_edit_list_remove(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "tx.csv").write_text("id,customer_payment_amount\n1,2.5\n")
    added = as_json(
        nbtools(
            tmp_path, "add", "tx_2026", "data/tx.csv", "--tag", "finance",
            "--classification", "personal", "--purpose", "billing", "--purpose", "fraud",
            "--retention", "90d", "--owner", "ana", "--json",
        )
    )  # fmt: skip
    assert added["purposes"] == ["billing", "fraud"]
    assert added["schema"][1] == {"name": "customer_payment_amount", "type": "number"}
    nbtools(tmp_path, "add", "ledger", "s3://b/l.csv", "--description", "payments by customer")
    found = as_json(nbtools(tmp_path, "search", "payment", "--json"))
    assert {d["name"] for d in found} == {"tx_2026", "ledger"}
    assert all(isinstance(d["rank"], float) for d in found)
    table = nbtools(tmp_path, "search", "payment")
    assert "tx_2026" in table.output
    assert "ledger" in table.output
    shown = nbtools(tmp_path, "show", "tx_2026")
    assert "customer_payment_amount" in shown.output
    fields = {row["field"]: row["value"] for row in table_rows(shown.output.split("Schema")[0])}
    assert list(fields) == ["name", *DECLARED_FIELDS, "schema note", "created", "updated"]
    assert (fields["classification"], fields["purposes"]) == ("personal", "billing, fraud")
    # a moment as every table shows one: to the second, with its zone
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", fields["created"])  # zone in title
    edited = as_json(nbtools(tmp_path, "edit", "tx_2026", "--clear-purposes", "--json"))
    assert edited["purposes"] == []
    edited = as_json(nbtools(tmp_path, "edit", "tx_2026", "--purpose", "x", "--json"))
    assert (edited["purposes"], edited["tags"]) == (["x"], ["finance"])
    assert [d["name"] for d in as_json(nbtools(tmp_path, "list", "--json"))] == [
        "ledger",
        "tx_2026",
    ]
    assert nbtools(tmp_path, "remove", "ledger").exit_code == 0
    assert "ledger" not in nbtools(tmp_path, "list").output


#: 33 different words, one more than a search takes (letters only: digits are words of their own).
TOO_MANY_WORDS = " ".join(f"w{chr(97 + n // 26)}{chr(97 + n % 26)}" for n in range(33))


def test_bad_input_exits_2_and_names_the_problem(tmp_path: Path) -> None:
    assert nbtools(tmp_path, "add", "x", "data/x.csv").exit_code == 0
    cases = [
        (("add", "x", "data/y.csv"), "exists already"),
        (("add", "y", "../y.csv"), ".."),
        (("add", "2y", "y.csv"), "not valid"),
        (("add", "y", "y.csv", "--classification", "secret"), "secret"),
        (("add", "y", "y.csv", "--retention", "1 month"), "Retention"),
        (("edit", "missing", "--owner", "a"), "No dataset named 'missing'"),
        (("show", "missing"), "No dataset"),
        (("search", "--"), "Missing argument"),
        (("search", "__"), "no words"),
        (("search", TOO_MANY_WORDS), "33 different words: at most 32"),
        (("search", "a" * 1001), "1001 characters long: at most 1000"),
        (("sync",), "does not exist"),
    ]
    for args, message in cases:
        result = nbtools(tmp_path, *args)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output, (args, result.output)
    assert [d["name"] for d in as_json(nbtools(tmp_path, "list", "--json"))] == ["x"]


def test_sync_and_export(tmp_path: Path) -> None:
    (tmp_path / "datasets.yaml").write_text("datasets:\n  a: {location: a.csv}\n")
    assert as_json(nbtools(tmp_path, "sync", "--json"))["added"] == ["a"]
    assert "unchanged: a" in nbtools(tmp_path, "sync").output
    nbtools(tmp_path, "add", "b", "b.csv", "--tag", "t")
    assert "not in file: b" in nbtools(tmp_path, "sync").output
    assert as_json(nbtools(tmp_path, "export", "--json")) == {"path": "datasets.yaml"}
    assert "tags:\n    - t" in (tmp_path / "datasets.yaml").read_text()


def test_every_data_command_takes_json() -> None:
    import click

    from nbtools.cli.data import data

    ctx = click.Context(data)
    lacking = [
        name
        for name in data.list_commands(ctx)
        if not any(p.name == "as_json" for p in data.commands[name].params)
    ]
    assert lacking == []


def test_remove_json_prints_the_removed_entry(tmp_path: Path) -> None:
    """Before, ``data remove NAME --json`` was refused: "No such option '--json'"."""
    nbtools(tmp_path, "add", "x", "data/x.csv", "--classification", "personal")
    removed = as_json(nbtools(tmp_path, "remove", "x", "--json"))
    assert (removed["name"], removed["classification"]) == ("x", "personal")
    assert as_json(nbtools(tmp_path, "list", "--json")) == []
    missing = nbtools(tmp_path, "remove", "x", "--json")
    assert missing.exit_code == 2
    assert json.loads(missing.stdout)["error"] == "NotFoundError"


def _json_error(result: Result) -> dict[str, Any]:
    assert result.exit_code == 2, result.output
    error: dict[str, Any] = json.loads(result.stdout)
    assert error["message"] in result.stderr
    return error


def test_a_path_refused_while_reading_the_arguments_is_a_json_error_in_any_order(
    tmp_path: Path,
) -> None:
    """Before, a path refused by an option's callback typed before ``--json`` left stdout
    empty: ``--json`` had not been read yet."""
    for args in (
        ("export", "--file", "/etc/x.yaml", "--json"),
        ("export", "--json", "--file", "/etc/x.yaml"),
        ("sync", "--file", "../x.yaml", "--json"),
        ("check", "/etc/x.ipynb", "--json"),
        ("add", "x", "/etc/x.csv", "--json"),
    ):
        error = _json_error(nbtools(tmp_path, *args))
        assert error["error"] in ("InvalidInputError", "PathOutsideRootError"), args
        assert "x." in error["details"]["path"], args
    assert not (tmp_path / "x.yaml").exists()


def test_a_location_through_a_loop_of_symbolic_links_exits_2_naming_it(tmp_path: Path) -> None:
    """Before, each ended in a RuntimeError's traceback (exit 1), from the command line's
    reading of the path or from the catalog's."""
    os.symlink("pong", tmp_path / "ping")
    os.symlink("ping", tmp_path / "pong")
    (tmp_path / "datasets.yaml").write_text("datasets:\n  x: {location: pong/x.csv}\n")
    for args, details in (
        (("add", "x", "ping/x.csv"), {"field": "location"}),
        (("add", "x", f"{tmp_path}/ping/x.csv"), {"field": "location"}),
        (("add", "x", f"file://{tmp_path}/ping/x.csv"), {"field": "location"}),
        (("add", "x", "ping"), {"field": "location"}),
        (("sync",), {"field": "location", "dataset": "x"}),
        (("sync", "--file", "ping/datasets.yaml"), {"field": "path"}),
        (("check", "ping/nb.ipynb"), {"path": "ping/nb.ipynb"}),
    ):
        error = _json_error(nbtools(tmp_path, *args, "--json"))
        assert "goes through a loop of symbolic links" in error["message"], args
        assert details.items() <= error["details"].items(), args
        assert "Traceback" not in nbtools(tmp_path, *args).output
    assert as_json(nbtools(tmp_path, "list", "--json")) == []


def test_a_file_url_typed_in_a_subdirectory_is_read_by_the_catalog(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ``file:`` URL is not a path relative to where the command is typed."""
    (tmp_path / "data").mkdir()
    monkeypatch.chdir(tmp_path / "data")
    for name, location in (
        ("a", f"file://localhost{tmp_path}/data/a.csv"),
        ("b", f"file:{tmp_path}/data/b.csv"),
        ("c", "c.csv"),  # a path: from here
    ):
        added = as_json(nbtools(tmp_path, "add", name, location, "--json"))
        assert added["location"] == f"data/{name}.csv"
    chained = _json_error(nbtools(tmp_path, "add", "d", f"dir::file://{tmp_path}/d", "--json"))
    assert chained["details"]["field"] == "location"


def test_sync_refuses_a_name_declared_twice_with_both_lines(tmp_path: Path) -> None:
    (tmp_path / "datasets.yaml").write_text(
        "datasets:\n  s:\n    location: data/tx.csv\n    classification: personal\n"
        "    purposes: [billing]\n  s:\n    location: data/tx.csv\n    classification: public\n"
    )
    error = _json_error(nbtools(tmp_path, "sync", "--json"))
    assert error["details"] == {"field": "path", "key": "s", "lines": [2, 6]}
    assert as_json(nbtools(tmp_path, "list", "--json")) == []


def test_usage_refuses_a_name_no_dataset_can_have(tmp_path: Path) -> None:
    """Before, ``data usage 1bad`` answered an empty report, where REST answers 400."""
    for args in (("usage", "1bad", "--json"), ("usage", "1bad", "--purge", "--yes", "--json")):
        error = _json_error(nbtools(tmp_path, *args))
        assert error["details"]["field"] == "name", args
    assert as_json(nbtools(tmp_path, "usage", "gone", "--json"))["runs"] == []
