"""A metric's value reads back from the store as it was recorded, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.orm import Session

from nbtools.jobs.tables import Run
from nbtools.metrics.run_values import run_metric_values
from nbtools.metrics.series import run_metrics
from nbtools.project import Project
from nbtools.store import migrations
from nbtools.store.database import create_store_engine
from tests.unit.metrics.conftest import store_metrics

RECORDED: dict[str, Any] = {
    "i63": 2**63,
    "one": 1.0,
    "tenth": 0.30000000000000004,
    "neg": -7,
    "text": "1.0",
    "flag": True,
    "nothing": None,
    "list": [1.0, 2],
}


def exactly(values: dict[str, Any]) -> str:
    """The values as JSON text: 1.0 and 1 differ, as do 2**63 and its float."""
    return json.dumps(values, sort_keys=True)


def test_values_read_back_as_recorded(any_project: Project) -> None:
    """SQLite's JSON column (NUMERIC affinity) stored 2**63 as 9.223372036854776e+18 and 1.0 as 1."""
    store_metrics(any_project, 1, 10, **RECORDED)
    with any_project.store.connection() as connection:
        assert exactly(run_metric_values(connection, 10)) == exactly(RECORDED)
    with any_project.store.session() as session:
        shown = {m["name"]: m["value"] for m in run_metrics(session, 10)["metrics"]}
    assert exactly(shown) == exactly(RECORDED)


def test_the_migration_keeps_every_digit_sqlite_stored(tmp_path: Path) -> None:
    """Values stored as numbers by the JSON column become their JSON text, every digit kept."""
    db_url = f"sqlite:///{tmp_path / 'store.db'}"
    engine = create_store_engine(db_url)
    migrations.upgrade(engine)
    command.downgrade(migrations._config(engine), "metrics_0003")  # the JSON column
    with Session(engine) as session, session.begin():
        session.add(Run(id=10, trigger="manual", notebook_path="a.ipynb", status="succeeded"))
        session.flush()
        session.execute(
            text(
                "INSERT INTO metric_values (run_id, name, kind, value, source, recorded_at) "
                "VALUES (10, 'tenth', 'number', 0.30000000000000004, 'nbtools', '2026-12-06'),"
                " (10, 'text', 'string', '\"1.0\"', 'nbtools', '2026-12-06'),"
                " (10, 'nothing', 'null', NULL, 'nbtools', '2026-12-06')"
            )
        )
    engine.dispose()

    project = Project(tmp_path, db_url=db_url)  # opening the store migrates it
    try:
        with project.store.connection() as connection:
            values = run_metric_values(connection, 10)
    finally:
        project.close()
    assert exactly(values) == exactly(
        {"tenth": 0.30000000000000004, "text": "1.0", "nothing": None}
    )


@pytest.mark.parametrize("value", [2**63, 1.0])
def test_sqlite_stores_the_value_as_json_text(tmp_path: Path, value: Any) -> None:
    project = Project(tmp_path)
    try:
        store_metrics(project, None, 10, v=value)
        with project.store.connection() as connection:
            stored = connection.execute(text("SELECT typeof(value), value FROM metric_values"))
            assert stored.one() == ("text", json.dumps(value))
    finally:
        project.close()
