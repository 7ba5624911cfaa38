"""The server never blocks its event loop on our work: while a list request waits on the
database, Jupyter's own ``GET /api/status`` is answered. Proven by ordering, not by time."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.server.conftest import server_config


@pytest.fixture
def jp_server_config(postgres_url: str) -> dict[str, Any]:
    return server_config(NbtoolsSettings={"db_url": postgres_url})


def dsn(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


async def waiting_on_a_lock(url: str, table: str = "runs") -> bool:
    """Some query reading ``table`` waits on a lock."""
    async with await psycopg.AsyncConnection.connect(dsn(url), autocommit=True) as watcher:
        cursor = await watcher.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE wait_event_type = 'Lock' AND query ILIKE %s",
            (f"%FROM {table}%",),
        )
        row = await cursor.fetchone()
        return bool(row and row[0])


async def answered_while_it_waits(
    jp_fetch: Any, postgres_url: str, table: str, request: Awaitable[Any]
) -> Any:
    """With ``table`` locked, ``request`` (started here) waits on the lock, and Jupyter's own
    ``GET /api/status`` is answered meanwhile; the lock released, ``request``'s reply."""
    async with await psycopg.AsyncConnection.connect(dsn(postgres_url)) as holder:
        # Should the loop block, the lock ends with this timeout and the test fails, not hangs.
        await holder.execute("SET idle_in_transaction_session_timeout = '60s'")
        await holder.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")  # in a transaction
        waiting = asyncio.ensure_future(request)
        while not await waiting_on_a_lock(postgres_url, table):  # it now waits on the lock
            assert not waiting.done(), waiting.result()
            await asyncio.sleep(0.05)
        status = await asyncio.wait_for(jp_fetch("api", "status"), timeout=120)
        assert status.code == 200
        assert not waiting.done()  # Jupyter answered while our request was still waiting
        await holder.rollback()
    return await waiting


async def test_a_list_waiting_on_the_database_does_not_block_jupyter(
    jp_fetch: Any, postgres_url: str
) -> None:
    assert json.loads((await jp_fetch("nbtools", "api", "runs")).body) == []  # schema ready
    listing = jp_fetch("nbtools", "api", "runs", params={"limit": "5"})
    reply = await answered_while_it_waits(jp_fetch, postgres_url, "runs", listing)
    assert json.loads(reply.body) == []


async def test_a_rename_waiting_on_the_database_does_not_block_jupyter(
    jp_fetch: Any, postgres_url: str, notebooks: Path
) -> None:
    """A notebook renamed in JupyterLab moves its history and its packages (the project's
    search for them walks folders): that work runs off the loop too, though Jupyter's contents
    manager, not a handler of ours, calls it."""
    assert json.loads((await jp_fetch("nbtools", "api", "runs")).body) == []  # schema ready
    body = json.dumps({"path": "renamed.ipynb"})
    renaming = jp_fetch("api", "contents", "forecast.ipynb", method="PATCH", body=body)
    reply = await answered_while_it_waits(jp_fetch, postgres_url, "notebooks", renaming)
    assert reply.code == 200
    assert (notebooks / "renamed.ipynb").is_file()


HTTP_METHODS = ("get", "post", "put", "patch", "delete")


def test_every_handler_method_leaves_the_event_loop_for_its_work() -> None:
    """A handler method is a coroutine: its body runs on the worker pool (``@off_loop``) or
    awaits its database and file work there (``self.call``); a plain method would run it on
    the event loop. (What an async method does inside is the next test's, by example.)"""
    import inspect

    from jupyter_nbtools.handlers.off_loop import off_loop
    from jupyter_nbtools.routes import all_routes

    def leaves_the_loop(method: Any) -> bool:
        """The method as written is ``async``, or ``@off_loop`` runs it on the pool (the
        decorators above it are coroutines whatever the method is)."""
        layers = [method]
        while hasattr(layers[-1], "__wrapped__"):
            layers.append(layers[-1].__wrapped__)
        written = layers[-1]
        above = layers[-2] if len(layers) > 1 else None
        on_pool = getattr(above, "__code__", None) is off_loop(written).__code__
        return inspect.iscoroutinefunction(written) or on_pool

    plain = [
        f"{handler.__name__}.{method}"
        for _, handler in all_routes()
        for method in HTTP_METHODS
        if method in vars(handler) and not leaves_the_loop(vars(handler)[method])
    ]
    assert plain == []
    assert len(all_routes()) > 40
