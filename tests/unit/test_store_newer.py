"""A store kept open (a server, a scheduler) while a newer jupyter-nbtools migrates it: from
then on every write is refused, nothing written, and so is the status report (SQLite and
PostgreSQL). On PostgreSQL the check costs a write transaction no round trip of its own."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select

import nbtools
from nbtools.errors import StoreTooNewError
from nbtools.project import Project
from nbtools.store.tables import notebooks

#: The migration a newer jupyter-nbtools has beyond this one's.
NEWER = '''"""A newer jupyter-nbtools' migration.

Revision ID: zz_0001
Revises: versions_0002
"""

from alembic import op
import sqlalchemy as sa

revision = "zz_0001"
down_revision = "versions_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("newer_things", sa.Column("id", sa.Integer, primary_key=True))


def downgrade() -> None:
    op.drop_table("newer_things")
'''


MAIN = "from nbtools.cli.main import main; main()"


def migrate_with_newer_nbtools(root: Path, directory: Path, db_url: str | None = None) -> None:
    """Run ``nbtools status`` in ``root`` (on ``db_url`` if given) as a newer jupyter-nbtools
    (this one's package copied into ``directory`` with one more migration), which migrates
    the store."""
    shutil.copytree(
        Path(nbtools.__file__).parent,
        directory / "nbtools",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    (directory / "nbtools/store/migrations/versions/zz_0001_newer.py").write_text(NEWER)
    path = os.pathsep.join([str(directory), os.environ.get("PYTHONPATH", "")])
    done = subprocess.run(
        [sys.executable, "-c", MAIN, "--root", str(root), "status", "--json"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": path, **({"NBTOOLS_DB_URL": db_url} if db_url else {})},
        cwd=root,  # not the directory of this nbtools
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "zz_0001" in done.stdout


def test_writes_to_a_store_a_newer_nbtools_migrated_meanwhile_are_refused(
    tmp_path: Path, store_url: str
) -> None:
    """Before, the open store went on being written (and its status listed zz_0001)."""
    (tmp_path / "p").mkdir()
    project = Project(tmp_path / "p", db_url=store_url)
    with project.store.connection(write=True) as connection:
        connection.execute(insert(notebooks).values(path="before.ipynb"))
    migrate_with_newer_nbtools(project.root, tmp_path / "newer", store_url)
    with (
        pytest.raises(StoreTooNewError, match=r"newer version .*zz_0001.*upgrade"),
        project.store.connection(write=True) as connection,
    ):
        connection.execute(insert(notebooks).values(path="after.ipynb"))
    with pytest.raises(StoreTooNewError), project.store.session(write=True) as session:
        session.execute(insert(notebooks).values(path="after.ipynb"))
    with pytest.raises(StoreTooNewError):
        project.store.revision()
    with project.store.connection() as connection:  # reads go on
        assert connection.scalars(select(notebooks.c.path)).all() == ["before.ipynb"]
    project.close()


def test_a_postgresql_write_reads_the_revisions_in_the_query_that_checks_its_connection(
    tmp_path: Path, postgres_server: Any, migrated_postgres_template: str, postgres_databases: Any
) -> None:
    """A write transaction's statements, as the server logs them: the revisions read as the
    connection is taken from the pool, in place of its liveness check (was: ``SELECT 1``,
    then the revisions again in the transaction: one round trip more)."""
    url = postgres_databases(migrated_postgres_template)
    postgres_server._execute(
        f"ALTER DATABASE \"{url.rsplit('/', 1)[1]}\" SET log_statement = 'all'"
    )
    project = Project(tmp_path, db_url=url)
    log = postgres_server.workdir / "postgres.log"
    with project.store.connection() as connection:  # a connection in the pool
        connection.execute(select(notebooks.c.path))
    start = log.stat().st_size
    with project.store.connection(write=True) as connection:
        connection.execute(insert(notebooks).values(path="counted.ipynb"))
    project.close()
    with log.open("rb") as written:
        written.seek(start)
        lines = written.read().decode().splitlines()
    statements = [
        line.split(": ", 2)[-1] for line in lines if re.search(r"LOG:  (statement|execute)", line)
    ]
    assert statements[0] == "SELECT version_num FROM alembic_version", statements
    assert [statement.split()[0] for statement in statements[1:]] == ["BEGIN", "INSERT", "COMMIT"]
