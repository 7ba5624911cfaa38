"""Who acts is recorded as named: an option naming a longer actor than the store keeps is
refused, and a longer name from an identity provider (whom refusing would lock out) is kept
in one documented, distinct form instead of being cut silently."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from click.testing import CliRunner
from sqlalchemy import text
from sqlalchemy.orm import Session

from nbtools import audit, metrics
from nbtools.cli.app import cli
from nbtools.config import MAX_ACTOR
from nbtools.jobs.definitions import create_job
from nbtools.jobs.tables import Job
from nbtools.metrics.tables import Alert
from nbtools.project import Project
from nbtools.store import migrations
from nbtools.store.database import create_store_engine
from tests.conftest import NotebookFactory
from tests.unit.metrics.conftest import add_run

LONG = "é" * 300  # the reported name: cut at 255 characters, silently
SIBLING = "é" * 299 + "x"  # the same first 255 characters
ALERT = {"kind": "failed", "rule_text": "failed", "message": "m"}


def long_form(name: str) -> str:
    """The stored form docs/governance.md gives: 238 characters, ``~``, 16 hex digits."""
    return name[:238] + "~" + hashlib.sha256(name.encode()).hexdigest()[:16]


def nbtools(root: Path, *args: str, env: dict[str, str] | None = None) -> Any:
    return CliRunner(env=env).invoke(cli, ["--root", str(root), *args])


def test_a_name_the_store_keeps_is_kept_as_it_is_and_a_longer_one_in_its_long_form() -> None:
    for name in ("ana", "é" * MAX_ACTOR, "a" * MAX_ACTOR):
        assert audit.stored_actor(name) == name
    for name in (LONG, SIBLING, "a" * (MAX_ACTOR + 1)):
        stored = audit.stored_actor(name)
        assert stored == long_form(name)
        assert len(stored) == MAX_ACTOR
    assert audit.stored_actor(LONG) != audit.stored_actor(SIBLING)
    assert audit.current_actor(LONG) == long_form(LONG)


@pytest.mark.parametrize("how", ["flag", "variable"])
def test_the_cli_refuses_an_actor_longer_than_the_store_keeps(tmp_path: Path, how: str) -> None:
    flag = ["--actor", LONG] if how == "flag" else []
    env = {"NBTOOLS_ACTOR": LONG} if how == "variable" else None
    refused = nbtools(tmp_path, *flag, "data", "add", "customers", "c.csv", env=env)
    assert refused.exit_code == 2, refused.output
    said = " ".join(refused.output.split())
    if how == "flag":
        assert "Invalid value for '--actor': expected text of at most 255 characters." in said
    else:
        assert "$NBTOOLS_ACTOR=" in said
        assert "is not a valid NbtoolsSettings.actor: expected text of at most 255" in said
    assert "Traceback" not in refused.output
    listed = nbtools(tmp_path, "audit", "list", "--json")
    assert json.loads(listed.stdout) == []  # nothing was done


def test_the_cli_records_an_actor_of_the_longest_length_as_it_is(tmp_path: Path) -> None:
    name = "é" * MAX_ACTOR
    assert nbtools(tmp_path, "--actor", name, "data", "add", "customers", "c.csv").exit_code == 0
    (entry,) = json.loads(nbtools(tmp_path, "audit", "list", "--json").stdout)
    assert entry["actor"] == name


def test_a_long_name_is_recorded_in_its_long_form_everywhere(
    any_project: Project, notebook_factory: NotebookFactory
) -> None:
    """On PostgreSQL, whose columns hold 255 characters, as on SQLite, which holds any."""
    notebook_factory("nb.ipynb", [("code", "1", [])])
    job = create_job(any_project, {"notebook_path": "nb.ipynb"}, actor=LONG)
    create_job(any_project, {"notebook_path": "nb.ipynb", "name": "other"}, actor=SIBLING)
    assert job.created_by == long_form(LONG)
    by_actor = audit.list_entries(any_project, actor=LONG)  # the name as the user knows it
    assert [(e.actor, e.target) for e in by_actor] == [(long_form(LONG), f"job {job.id}")]
    assert audit.list_entries(any_project, actor=long_form(LONG)) == by_actor  # as shown
    add_run(any_project, job.id, 10)
    with any_project.store.session(write=True) as session:
        session.add(Alert(id=1, job_id=job.id, run_id=10, dedupe_key="a", **ALERT))
        session.add(Alert(id=2, job_id=job.id, run_id=10, dedupe_key="b", **ALERT))
    (first,) = metrics.acknowledge_alerts(any_project, [1], LONG)
    (second,) = metrics.acknowledge_alerts(any_project, [2], "é" * MAX_ACTOR)
    assert (first.acknowledged_by, second.acknowledged_by) == (long_form(LONG), "é" * 255)


def test_a_store_made_before_keeps_who_acknowledged_and_takes_longer_names(
    db_url: str, tmp_path: Path
) -> None:
    engine = create_store_engine(db_url)
    migrations.upgrade(engine)
    command.downgrade(migrations._config(engine), "metrics_0002")  # acknowledged_by of 200
    assert "metrics_0002" in migrations.current_revisions(engine)
    with Session(engine) as session, session.begin():
        session.add(Job(id=1, name="j", notebook_path="nb.ipynb"))
        session.flush()
        session.add(Alert(id=1, job_id=1, dedupe_key="k", acknowledged_by="é" * 200, **ALERT))
    engine.dispose()

    project = Project(tmp_path, db_url=db_url)  # opening the store migrates it
    try:
        assert set(migrations.current_revisions(project.store.engine)) == migrations.known_heads()
        with project.store.session(write=True) as session:
            alert = session.get(Alert, 1)
            assert alert is not None
            assert alert.acknowledged_by == "é" * 200
            alert.acknowledged_by = "é" * MAX_ACTOR  # PostgreSQL refused it at 200
        with project.store.session() as session:
            assert session.get(Alert, 1).acknowledged_by == "é" * MAX_ACTOR  # type: ignore[union-attr]
    finally:
        project.close()
    engine = create_store_engine(db_url)
    command.downgrade(migrations._config(engine), "metrics_0002")  # back: cut to 200
    with engine.connect() as connection:
        kept = connection.execute(text("SELECT acknowledged_by FROM alerts")).scalar_one()
    assert kept == "é" * 200
    engine.dispose()
