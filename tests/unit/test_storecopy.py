"""``nbtools store copy``: a project's store copied into another database, every table and id
as it was, or nothing written at all (nbtools/storecopy.py, nbtools/store/copying.py)."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import create_engine, inspect, select, text

from nbtools import audit, data, jobs, metrics, versioning
from nbtools.cli.app import cli
from nbtools.jobs.presence import Presence
from nbtools.project import Project
from nbtools.store import utcnow
from nbtools.store.copying import copy_rows
from nbtools.store.database import Store
from nbtools.store.migrations import known_heads, upgrade
from nbtools.storecopy import copied_tables, copy_store, store_tables
from tests.conftest import make_notebook, run_python


def nbtools(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--root", str(root), *args])


def populate(project: Project) -> None:
    """Notebook versions (deltas among them), a job with an alert rule, a queued run, a
    dataset, and their audit entries."""
    notebook = make_notebook([("code", "days = 7", ["parameters"]), ("code", "x = 1", [])])
    (project.root / "nb.ipynb").write_text(json.dumps(notebook))
    for step in range(4):
        notebook["cells"][1]["source"] = "".join(f"x{n} = {step}\n" for n in range(60))
        versioning.commit(project, "nb.ipynb", notebook, message=f"step {step}")
    job = jobs.create_job(
        project, {"name": "daily", "notebook_path": "nb.ipynb", "cron": "0 6 * * *"}, actor="ana"
    )
    metrics.add_rule(project, job.id, "failed", actor="ana")
    jobs.run_notebook(project, "nb.ipynb", {"days": 3}, actor="ana", kernel_check=False)
    (project.root / "c.csv").write_text("id,name\n1,a\n")
    spec = data.dataset_spec(project, "customers", {"location": "c.csv", "tags": ["crm"]})
    data.add_dataset(project, spec, actor="ana")


def contents(url: str) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, in key order, moments as UTC (SQLite keeps no zone)."""

    def plain(value: Any) -> Any:
        if isinstance(value, datetime):
            zoned = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
            return zoned.astimezone(timezone.utc)
        return value

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return {
                table.name: [
                    {name: plain(value) for name, value in row._mapping.items()}
                    for row in connection.execute(
                        select(table).order_by(*table.primary_key.columns)
                    )
                ]
                for table in store_tables()
            }
    finally:
        engine.dispose()


def away_from_utc(url: str) -> None:
    """Sessions of the database at ``url`` read and write moments in New York's time zone:
    a moment written without its zone would be taken for New York's."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            name = engine.url.database
            connection.execute(
                text(f"ALTER DATABASE \"{name}\" SET timezone TO 'America/New_York'")
            )
    finally:
        engine.dispose()


def test_every_row_is_copied_with_its_id_and_new_rows_get_new_ids(
    project: Project, postgres_url: str
) -> None:
    """Into a new PostgreSQL database (migrated by the copy): the same rows, table by table;
    the trail's last entry says who copied what; ids made afterwards follow the copied ones."""
    populate(project)
    away_from_utc(postgres_url)
    before = contents(project.db_url)
    copied = copy_store(project, postgres_url, actor="ops")
    after = contents(postgres_url)
    entry = after["audit"].pop()
    assert after == before  # version objects' delta bases, moments and JSON too
    assert (entry["actor"], entry["action"]) == ("ops", "store.copy")
    assert entry["id"] == max(row["id"] for row in before["audit"]) + 1
    assert entry["summary"] == {
        "from": copied.source,
        "tables": len(copied_tables()),
        "rows": copied.rows,
    }
    assert copied.tables == {table.name: len(before[table.name]) for table in copied_tables()}
    assert copied.rows == sum(copied.tables.values())
    assert any(row["base"] for row in before["version_objects"])  # deltas were copied
    assert copied.store_dir == str(project.store_dir)

    moved = Project(project.root, db_url=postgres_url)
    try:
        job = jobs.create_job(
            moved, {"name": "weekly", "notebook_path": "nb.ipynb", "cron": "0 6 * * 1"}
        )
        run = jobs.run_notebook(moved, "nb.ipynb", {}, kernel_check=False)
        version = versioning.commit(moved, "nb.ipynb", make_notebook([("code", "y = 2", [])]))
        rule = metrics.add_rule(moved, job.id, "failed")
        newest = audit.list_entries(moved, limit=1)[0]
    finally:
        moved.close()
    assert job.id == max(row["id"] for row in before["jobs"]) + 1
    assert run.id == max(row["id"] for row in before["runs"]) + 1
    assert (version.id, version.number) == (max(row["id"] for row in before["versions"]) + 1, 5)
    assert rule.id == max(row["id"] for row in before["alert_rules"]) + 1
    assert newest.id == entry["id"] + 3  # job.create, run.submit, rule.add after store.copy


def test_copies_into_a_sqlite_file_too(project: Project, tmp_path: Path) -> None:
    populate(project)
    target = f"sqlite:///{tmp_path / 'copy.db'}"
    result = nbtools(project.root, "store", "copy", "--to", target, "--json")
    assert result.exit_code == 0, result.output
    after = contents(target)
    after["audit"].pop()
    assert after == contents(project.db_url)
    moved = Project(project.root, db_url=target)
    try:
        job = jobs.create_job(moved, {"name": "w", "notebook_path": "nb.ipynb", "cron": "@daily"})
    finally:
        moved.close()
    assert job.id == 2


def test_the_answer_names_what_was_copied_and_the_setting_to_use(
    project: Project, postgres_databases: Callable[..., str], migrated_postgres_template: str
) -> None:
    populate(project)
    target = postgres_databases(migrated_postgres_template)
    secret = target.replace(
        "postgresql+psycopg://postgres@", "postgresql+psycopg://postgres:s3cr%40t@"
    )
    shown = target.replace("postgresql+psycopg://postgres@", "postgresql+psycopg://")
    result = nbtools(project.root, "store", "copy", "--to", secret)
    assert result.exit_code == 0, result.output  # trust authentication: any password does
    out = " ".join(result.stdout.split())
    assert "s3cr" not in result.stdout
    assert f"in one transaction from {project.db_url} to {shown}." in out
    assert "│ runs " in result.stdout
    assert "│ versions " in result.stdout
    assert f"The files of the store directory ({project.store_dir}:" in out
    masked = target.replace("postgres@", "postgres:***@")
    assert f"export NBTOOLS_DB_URL='{masked}'" in result.stdout
    assert f"c.NbtoolsSettings.db_url = '{masked}'" in result.stdout
    assert "*** stands for the password you gave" in out

    again = nbtools(project.root, "store", "copy", "--to", postgres_databases(), "--json")
    answer = json.loads(again.stdout)
    assert set(answer) == {"source", "target", "db_url", "store_dir", "tables", "rows"}
    assert answer["tables"]["runs"] == 1
    assert answer["rows"] == sum(answer["tables"].values())


def test_a_target_holding_data_is_refused_and_left_as_it_was(
    project: Project, store_url: str
) -> None:
    """Exit 2, the tables holding rows named, what to do said; not one row added."""
    populate(project)
    theirs = Store.open(store_url)
    audit.record_now(theirs, "them", "runs.prune", "0 runs", {})
    theirs.close()
    held = contents(store_url)
    result = nbtools(project.root, "store", "copy", "--to", store_url, "--json")
    assert result.exit_code == 2, result.output
    error = json.loads(result.stdout)
    assert error["error"] == "ConflictError"
    assert error["details"]["field"] == "target_url"
    assert error["details"]["rows"]["audit"] == 1
    assert "already holds nbtools data (audit (1)" in error["message"]
    assert "Copy into a new, empty database" in error["message"]
    assert "See --to." in result.stderr.replace("\n", " ")
    assert contents(store_url) == held


@pytest.mark.parametrize("revision", ["older", "newer"])
def test_a_target_at_another_schema_revision_is_refused_unchanged(
    project: Project, postgres_url: str, revision: str
) -> None:
    engine = create_engine(postgres_url)
    try:
        if revision == "older":
            upgrade(engine, "0002")
        else:
            upgrade(engine)
            with engine.begin() as connection:
                connection.execute(text("INSERT INTO alembic_version VALUES ('zz_0001')"))
        with engine.connect() as connection:
            before = set(connection.execute(text("SELECT version_num FROM alembic_version")))
        tables = set(inspect(engine).get_table_names())
        result = nbtools(project.root, "store", "copy", "--to", postgres_url, "--json")
        assert result.exit_code == 2, result.output
        error = json.loads(result.stdout)
        assert error["error"] == "ConflictError"
        assert error["details"]["field"] == "target_url"
        assert error["details"]["expected"] == sorted(known_heads())
        if revision == "older":
            assert "of an older jupyter-nbtools" in error["message"]
            assert "open it once with this version to migrate it" in error["message"]
        else:
            assert "written by a newer jupyter-nbtools (revision zz_0001)" in error["message"]
        with engine.connect() as connection:
            assert (
                set(connection.execute(text("SELECT version_num FROM alembic_version"))) == before
            )
        assert set(inspect(engine).get_table_names()) == tables
    finally:
        engine.dispose()


def test_a_database_of_something_else_is_refused(project: Project, postgres_url: str) -> None:
    engine = create_engine(postgres_url)
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE invoices (id integer)"))
        result = nbtools(project.root, "store", "copy", "--to", postgres_url)
        assert result.exit_code == 2
        assert "holds tables of something else (invoices)" in result.stderr
        assert inspect(engine).get_table_names() == ["invoices"]
    finally:
        engine.dispose()


def test_refused_while_a_scheduler_serves_the_store(project: Project, tmp_path: Path) -> None:
    """Its presence row is what says so (nbtools/jobs/presence.py); once it stopped, the copy
    goes ahead."""
    target = f"sqlite:///{tmp_path / 'copy.db'}"
    presence = Presence(project.store, "local", 1.0)
    presence.start(utcnow())
    refused = nbtools(project.root, "store", "copy", "--to", target, "--json")
    assert refused.exit_code == 2, refused.output
    error = json.loads(refused.stdout)
    assert error["error"] == "ConflictError"
    assert "A scheduler serves this store" in error["message"]
    assert "stop every scheduler that uses it" in error["message"]
    assert [seen["pid"] for seen in error["details"]["schedulers"]] == [os.getpid()]
    assert not (tmp_path / "copy.db").exists()
    presence.stop()
    copied = nbtools(project.root, "store", "copy", "--to", target, "--json")
    assert copied.exit_code == 0, copied.output


def test_the_old_store_s_schedulers_are_left_out(project: Project, postgres_url: str) -> None:
    """A scheduler killed an hour ago left its presence row: copied, the new store's status
    said its last scheduler was seen then, of one that never served it."""
    killed = Presence(project.store, "local", 1.0)
    killed.start(utcnow() - timedelta(hours=1))
    copied = nbtools(project.root, "store", "copy", "--to", postgres_url, "--json")
    assert copied.exit_code == 0, copied.output
    assert "schedulers" not in json.loads(copied.stdout)["tables"]
    assert contents(postgres_url)["schedulers"] == []
    status = nbtools(project.root, "--db-url", postgres_url, "status", "--json")
    assert json.loads(status.stdout)["schedulers"] == []
    assert len(json.loads(nbtools(project.root, "status", "--json").stdout)["schedulers"]) == 1


def test_bad_targets_are_refused_naming_the_option(project: Project) -> None:
    same = nbtools(project.root, "store", "copy", "--to", project.db_url)
    assert same.exit_code == 2
    assert "is this project's store itself" in same.stderr
    for url in ("notaurl", "postgresql+psycopg://me:p@ss@db/x"):
        result = nbtools(project.root, "store", "copy", "--to", url, "--json")
        assert result.exit_code == 2, result.output
        assert json.loads(result.stdout)["details"]["field"] == "target_url"
        assert "p@ss" not in result.output
        assert "Traceback" not in result.output
    missing = nbtools(project.root, "store", "copy")
    assert missing.exit_code == 2
    assert "Missing option '--to'" in missing.output


def test_a_database_that_does_not_exist_is_named_in_a_sentence_of_its_own(
    project: Project, postgres_server: Any
) -> None:
    """The database's error has no full stop of its own: the flag's name was glued to it
    ('…does not exist See --to.')."""
    missing = postgres_server.url(f"missing_{uuid.uuid4().hex[:12]}")
    result = nbtools(project.root, "store", "copy", "--to", missing)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("Error: ")
    assert result.stderr.endswith(" does not exist. See --to.\n"), result.stderr


def test_the_copy_covers_every_table_the_migrations_create(postgres_url: str) -> None:
    """In a fresh interpreter, where no other test imported a feature's tables."""
    Store.open(postgres_url).close()
    engine = create_engine(postgres_url)
    try:
        migrated = set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()
    listed = run_python(
        "from nbtools.storecopy import store_tables; print(' '.join(t.name for t in store_tables()))"
    ).stdout.split()
    assert set(listed) == migrated
    assert listed.index("jobs") < listed.index("runs") < listed.index("metric_values")


def test_rows_referring_to_later_rows_of_their_table_are_copied_one_by_one(
    project: Project, postgres_databases: Callable[..., str], migrated_postgres_template: str
) -> None:
    """A version object stored as a delta against an object whose key sorts after its own: a
    row at a time, each insert checked alone, the reference is written once both are there."""
    notebook = make_notebook([("code", "x = 1", [])])
    later = []
    for step in range(40):
        notebook["cells"][0]["source"] = "".join(f"x{n} = {step}\n" for n in range(60))
        versioning.commit(project, "nb.ipynb", notebook)
        later = [
            row for row in contents(project.db_url)["version_objects"]
            if row["base"] is not None and row["base"] > row["sha"]
        ]  # fmt: skip
        if later:
            break
    assert later, "no delta refers to an object stored after it"
    target = Store.open(postgres_databases(migrated_postgres_template))
    told: list[tuple[int, int]] = []
    try:
        with project.store.connection(snapshot=True) as reading, target.connection() as writing:
            copied = copy_rows(
                reading, writing, store_tables(), lambda *step: told.append(step), batch_rows=1
            )
    finally:
        target.close()
    assert contents(str(target.engine.url.render_as_string(hide_password=False))) == contents(
        project.db_url
    )
    total = sum(copied.values())
    assert told == [(done, total) for done in range(total + 1)]
