"""Removing rows with SQLite's foreign keys unenforced, checked once before the commit
(``Store.connection(removing=…)``, :mod:`nbtools.store.foreignkeys`)."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select

from nbtools import versioning
from nbtools.errors import StoreError
from nbtools.project import Project
from nbtools.versioning.tables import version_refs, versions
from tests.unit.versioning.conftest import rich_notebook


def test_a_removal_leaving_a_row_that_refers_to_nothing_is_refused(project: Project) -> None:
    version = versioning.commit(project, "nb.ipynb", rich_notebook())
    versioning.pin(project, version.id, "run", "7")
    with (
        pytest.raises(StoreError, match="1 rows of version_refs referring to rows") as info,
        project.store.connection(write=True, removing=[versions.name]) as connection,
    ):
        connection.execute(delete(versions))
    assert info.value.details == {"tables": ["version_refs"], "rows": 1}
    assert [v.id for v in versioning.history(project, "nb.ipynb")] == [version.id]
    with project.store.connection() as connection:  # the pooled connection enforces keys again
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.scalar(select(version_refs.c.version_id)) == version.id


def test_a_removal_leaving_no_such_row_is_committed(project: Project) -> None:
    version = versioning.commit(project, "nb.ipynb", rich_notebook())
    versioning.pin(project, version.id, "run", "7")
    with project.store.connection(removing=[versions.name]) as connection:
        connection.execute(delete(version_refs))
        connection.execute(delete(versions))
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 0
    assert versioning.history(project, "nb.ipynb") == []
    with project.store.connection() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
