"""One dataset per location, held by the database (migration ``location_0001``): writers racing
each other — processes at once, on SQLite and PostgreSQL — catalogue one dataset at a
location and one under a name, the others getting the refusal a second writer gets; a store
that already holds datasets sharing a location upgrades, keeps them and says so."""

from __future__ import annotations

import json
import logging
import multiprocessing
from collections.abc import Iterator
from multiprocessing.pool import Pool
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import event, insert, inspect
from sqlalchemy.exc import IntegrityError

from nbtools.cli.app import cli
from nbtools.data.catalog import (
    add_dataset,
    dataset_spec,
    edit_dataset,
    list_datasets,
    remove_dataset,
)
from nbtools.data.sharing import shared_locations
from nbtools.data.tables import datasets
from nbtools.errors import ConflictError
from nbtools.project import Project
from tests.cli_tables import table_rows
from tests.unit.data.conftest import marked, share_a_location, store_as_written

WRITERS = 4


#: Where each writer waits for the others, on PostgreSQL (the event, the statement): racing on
#: a name, before its first write (the name's unique constraint holds a second writer back
#: there); racing on a location, once its row is written and it found no other dataset at
#: the location (the catalog's check, which cannot see the others' uncommitted rows) — then
#: every writer passed the check before any commits. On SQLite every writer waits before it
#: takes the write lock, which one writer holds at a time.
GATES = {
    "name": ("before_cursor_execute", ("INSERT INTO datasets", "UPDATE datasets")),
    "location": ("after_cursor_execute", ("SELECT datasets.location, datasets.name",)),
    "sqlite": ("before_cursor_execute", ("BEGIN IMMEDIATE",)),
}


def _write_at_once(
    root: str, db_url: str, barrier: Any, kind: str, name: str, location: str
) -> tuple[str, Any]:
    """In a process of its own: add (``kind`` "add" or "name") or move (``kind`` "move") a
    dataset once every writer is there (:data:`GATES`); ``("written", name)`` or
    ``("conflict", details)``."""
    project = Project(Path(root), db_url=db_url)
    engine = project.store.engine
    sqlite = engine.dialect.name == "sqlite"
    when, gates = GATES["sqlite" if sqlite else "name" if kind == "name" else "location"]
    waited = []

    def wait(conn: object, cursor: object, statement: str, *args: object) -> None:
        if not waited and statement.startswith(gates):
            waited.append(True)
            barrier.wait(timeout=120)

    event.listen(engine, when, wait)
    try:
        if kind == "move":
            edit_dataset(project, name, {"location": location})
        else:
            add_dataset(project, dataset_spec(project, name, {"location": location}))
        return "written", name
    except ConflictError as error:
        return "conflict", {"message": error.message, **error.details}
    finally:
        project.close()


@pytest.fixture(scope="module")
def writers() -> Iterator[Pool]:
    """The writing processes, started once for the module (as test_idempotency's)."""
    with multiprocessing.get_context("spawn").Pool(WRITERS) as pool:
        yield pool


@pytest.fixture(scope="module")
def barrier() -> Iterator[Any]:
    with multiprocessing.get_context("spawn").Manager() as manager:
        yield manager.Barrier(WRITERS)


def _race(
    writers: Pool, barrier: Any, project: Project, kind: str, names: list[str], location: str
) -> list[tuple[str, Any]]:
    root, url = str(project.root), project.db_url
    return writers.starmap(
        _write_at_once, [(root, url, barrier, kind, name, location) for name in names]
    )


def test_writers_adding_at_one_location_at_once_catalogue_one(
    catalog_project: Project, writers: Pool, barrier: Any
) -> None:
    """Before, on PostgreSQL every writer passed the check (none saw another's row before it
    committed), and the catalog held four datasets at one location."""
    names = [f"copy{index}" for index in range(WRITERS)]
    results = _race(writers, barrier, catalog_project, "add", names, "data/shared.csv")
    written = [name for outcome, name in results if outcome == "written"]
    assert len(written) == 1
    for outcome, details in results:
        if outcome == "conflict":
            assert (details["field"], details["dataset"]) == ("location", written[0])
            assert details["message"].startswith(f"Dataset {written[0]!r} is at 'data/shared.csv'")
    assert [d.name for d in list_datasets(catalog_project)] == written


def test_writers_adding_one_name_at_once_catalogue_it_once(
    catalog_project: Project, writers: Pool, barrier: Any
) -> None:
    """Before, on PostgreSQL the losers' insert failed on the name's unique constraint: an
    IntegrityError (a traceback in the CLI, a 500)."""
    results = _race(writers, barrier, catalog_project, "name", ["tx"] * WRITERS, "data/tx.csv")
    assert sorted(outcome for outcome, _ in results) == ["conflict"] * (WRITERS - 1) + ["written"]
    for outcome, details in results:
        if outcome == "conflict":
            assert (details["field"], details["name"]) == ("name", "tx")
    assert [d.spec.location for d in list_datasets(catalog_project)] == ["data/tx.csv"]


def test_writers_moving_datasets_to_one_location_at_once_move_one(
    catalog_project: Project, writers: Pool, barrier: Any
) -> None:
    names = [f"d{index}" for index in range(WRITERS)]
    for name in names:
        add_dataset(catalog_project, dataset_spec(catalog_project, name, {"location": name}))
    results = _race(writers, barrier, catalog_project, "move", names, "data/target.csv")
    moved = [name for outcome, name in results if outcome == "written"]
    assert len(moved) == 1
    assert all(
        details["dataset"] == moved[0] for outcome, details in results if outcome != "written"
    )
    at = {d.name: d.spec.location for d in list_datasets(catalog_project)}
    assert at == {name: "data/target.csv" if name in moved else name for name in names}


def test_the_database_refuses_a_second_dataset_at_a_location(catalog_project: Project) -> None:
    """Whoever writes the table (not only the catalog): the index covers every unmarked row,
    also a location longer than a PostgreSQL index entry may be (indexed by its MD5)."""
    long = "s3://b/" + "".join(chr(0x4E00 + i) for i in range(2000))  # 6000 bytes in UTF-8
    for location in ("data/x.csv", long):
        add_dataset(catalog_project, dataset_spec(catalog_project, "first", {"location": location}))
        row = {"name": "second", "location": location, "classification": "internal"}
        with pytest.raises(IntegrityError), catalog_project.store.connection() as connection:
            connection.execute(insert(datasets).values(row))
        remove_dataset(catalog_project, "first")
    indexes = inspect(catalog_project.store.engine).get_indexes("datasets")
    if catalog_project.store.engine.dialect.name == "sqlite":  # PostgreSQL's is an expression
        assert {"name": "dataset_location", "column_names": ["location"], "unique": 1} in [
            {key: index[key] for key in ("name", "column_names", "unique")} for index in indexes
        ]


def test_a_store_already_sharing_locations_upgrades_keeps_them_and_says_so(
    catalog_project: Project, caplog: pytest.LogCaptureFixture
) -> None:
    for name in ("a", "b", "c", "d", "e"):
        add_dataset(catalog_project, dataset_spec(catalog_project, name, {"location": name}))
    with caplog.at_level(logging.WARNING, logger="nbtools.store"):
        share_a_location(catalog_project, ["a", "b", "c"], "data/x.csv")
        share_a_location(catalog_project, ["d"], "e")
    warning = caplog.records[-1].getMessage()
    assert warning.startswith(
        "The data catalog now holds one dataset per location, and 5 datasets share 2 "
        "locations (catalogued before this was enforced): data/x.csv: a, b, c; e: d, e. They "
        "keep working and can be edited;"
    )
    assert marked(catalog_project) == dict.fromkeys("abcde", True)
    assert shared_locations(catalog_project) == {"data/x.csv": ["a", "b", "c"], "e": ["d", "e"]}

    # they keep working: edited in place, refused a newcomer, moved apart one by one
    assert edit_dataset(catalog_project, "b", {"classification": "personal"}).spec.location == (
        "data/x.csv"
    )
    with pytest.raises(ConflictError) as caught:
        add_dataset(catalog_project, dataset_spec(catalog_project, "f", {"location": "e"}))
    assert (caught.value.details["field"], caught.value.details["dataset"]) == ("location", "d")
    edit_dataset(catalog_project, "a", {"location": "data/a.csv"})
    remove_dataset(catalog_project, "e")
    assert shared_locations(catalog_project) == {"data/x.csv": ["b", "c"]}
    flags = marked(catalog_project)
    assert (flags["a"], flags["b"], flags["d"]) == (False, True, True)  # a moved: indexed
    row = {"name": "g", "location": "data/a.csv", "classification": "internal"}
    with pytest.raises(IntegrityError), catalog_project.store.connection() as connection:
        connection.execute(insert(datasets).values(row))


def test_data_list_names_the_datasets_sharing_a_location(tmp_path: Path) -> None:
    project = Project(tmp_path)
    try:
        for name in ("a", "b", "c"):
            add_dataset(project, dataset_spec(project, name, {"location": f"{name}.csv"}))
        share_a_location(project, ["a", "b"], "x.csv")
    finally:
        project.close()
    listed = CliRunner().invoke(cli, ["--root", str(tmp_path), "data", "list"])
    assert listed.exit_code == 0, listed.output
    assert listed.stderr == (
        "Note: a, b share the location x.csv (catalogued before one location held one "
        "dataset): give each its own (data edit NAME --location) or remove the extra ones.\n"
    )
    alone = CliRunner().invoke(cli, ["--root", str(tmp_path), "data", "list", "--tag", "none"])
    assert "Note:" in alone.stderr  # whatever the filter: the catalog as a whole


def test_status_names_the_datasets_sharing_a_location_and_what_to_do(tmp_path: Path) -> None:
    """Before, ``nbtools status`` (and its JSON, the REST reply) said nothing of them: only
    the upgrade's warning, seen once, and ``data list`` did."""
    root = ["--root", str(tmp_path)]
    project = Project(tmp_path)
    try:
        for name in ("a", "b", "c", "d", "e"):
            add_dataset(project, dataset_spec(project, name, {"location": f"{name}.csv"}))
    finally:
        project.close()
    alone = CliRunner(env={"COLUMNS": "200"}).invoke(cli, [*root, "status"])
    assert alone.exit_code == 0, alone.output
    assert "shared locations" not in {row["field"] for row in table_rows(alone.output)}
    assert (
        json.loads(CliRunner().invoke(cli, [*root, "status", "--json"]).output)["shared_locations"]
        == []
    )

    project = Project(tmp_path)
    try:
        share_a_location(project, ["a", "b", "c"], "x.csv")
        spellings = {  # two spellings of one URL, one location once spelled (location_0002)
            "d": "https://bot:s3cret@Example.com/e.csv",
            "e": "https://bot:s3cret@example.com:443/e.csv",
        }
        store_as_written(project, spellings, "search_0001")
    finally:
        project.close()
    shown = CliRunner(env={"COLUMNS": "200"}).invoke(cli, [*root, "status"])
    assert shown.exit_code == 0, shown.output
    fields = {row["field"]: row["value"] for row in table_rows(shown.output)}
    assert list(fields)[-1] == "shared locations"
    assert fields["shared locations"] == (
        "5 datasets share 2 locations (kept from an older version's catalog): "
        "https://example.com/e.csv: d, e x.csv: a, b, c give each its own location (nbtools "
        "data edit NAME --location LOCATION) or remove the extra ones (nbtools data remove NAME)"
    )
    assert "s3cret" not in shown.output
    report = json.loads(CliRunner().invoke(cli, [*root, "status", "--json"]).output)
    assert report["shared_locations"] == [
        {"location": "https://example.com/e.csv", "datasets": ["d", "e"]},
        {"location": "x.csv", "datasets": ["a", "b", "c"]},
    ]
