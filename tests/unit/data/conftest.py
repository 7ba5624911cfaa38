"""A project on each store (SQLite file, throw-away PostgreSQL) with data files in it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from nbtools.data.detect import scan
from nbtools.data.tables import DatasetRecord
from nbtools.project import Project
from tests.conftest import make_notebook


@pytest.fixture
def catalog_project(tmp_path: Path, store_url: str) -> Iterator[Project]:
    """A project rooted at ``tmp_path/root`` whose store is each supported engine."""
    root = tmp_path / "root"
    (root / "data").mkdir(parents=True)
    opened = Project(root, db_url=store_url)
    yield opened
    opened.close()


def share_a_location(project: Project, names: list[str], location: str) -> None:
    """Move the datasets ``names`` to one ``location`` as a store from before the catalog held
    one dataset per location could hold them (the revision before ``location_0001``), then
    upgrade the store, as the next version opening it does."""
    store_as_written(project, dict.fromkeys(names, location), "search_0001")


def marked(project: Project) -> dict[str, bool]:
    """Each dataset's name and whether it is marked as sharing its location."""
    with project.store.session() as session:
        rows = session.execute(select(DatasetRecord.name, DatasetRecord.shares_location))
        return {name: bool(marked) for name, marked in rows}


def store_as_written(project: Project, locations: dict[str, str], revision: str) -> None:
    """Give each dataset named in ``locations`` its location written as it is there, in the
    store taken back to ``revision`` (an older version's store), then upgrade the store, as
    the next version opening it does."""
    from alembic import command
    from sqlalchemy import text

    from nbtools.store import migrations

    engine = project.store.engine
    command.downgrade(migrations._config(engine), revision)
    with engine.begin() as connection:
        for name, location in locations.items():
            connection.execute(
                text("UPDATE datasets SET location = :location WHERE name = :name"),
                {"location": location, "name": name},
            )
    migrations.upgrade(engine)


def found(*sources: str) -> tuple[list[str], list[str], list[str]]:
    """The declared names, the literal paths and the unresolved calls of a notebook whose
    code cells are ``sources``."""
    result = scan(make_notebook([("code", source, []) for source in sources]))
    return (
        [f.value for f in result.declared],
        [f.value for f in result.undeclared],
        [call.call for call in result.unresolved],
    )
