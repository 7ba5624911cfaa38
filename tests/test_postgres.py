"""The suite's PostgreSQL databases: each test's are dropped when it ends."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg
import pytest
from sqlalchemy import make_url


def databases(server: Any) -> set[str]:
    dsn = f"host=127.0.0.1 port={server.port} user={server.user} dbname=postgres"
    with psycopg.connect(dsn) as connection:
        return {name for (name,) in connection.execute("SELECT datname FROM pg_database")}


def test_the_databases_a_test_makes_are_dropped_when_it_ends(
    request: pytest.FixtureRequest, postgres_server: Any
) -> None:
    """Kept to the session's end, a worker's databases (a gigabyte and more) had reached the
    disk, and deleting them made its last test's teardown last a minute or two. Dropped with
    their test, even one a session still holds open (a store the test did not close)."""
    made: list[str] = []
    held: list[psycopg.Connection[Any]] = []

    def check() -> None:  # registered before the fixture is set up: runs after its teardown
        try:
            assert len(made) == 2
            assert not set(made) & databases(postgres_server)
        finally:
            for connection in held:
                connection.close()

    request.addfinalizer(check)
    create: Callable[..., str] = request.getfixturevalue("postgres_databases")
    made.append(str(make_url(create()).database))
    held.append(psycopg.connect(make_url(create()).set(drivername="postgresql").render_as_string()))
    made.append(held[0].info.dbname)
    assert set(made) <= databases(postgres_server)
