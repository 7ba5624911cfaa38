"""The server never blocks its event loop on our work: while a list request waits on the
database, Jupyter's own ``GET /api/status`` is answered. Proven by ordering, not by time."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import psycopg
import pytest


@pytest.fixture
def jp_server_config(postgres_url: str) -> dict[str, Any]:
    return {
        "ServerApp": {"jpserver_extensions": {"jupyter_nbtools": True}},
        "NbtoolsSettings": {"db_url": postgres_url},
        "JobsSettings": {"run_scheduler": False},
    }


def dsn(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


async def waiting_on_a_lock(url: str) -> bool:
    async with await psycopg.AsyncConnection.connect(dsn(url), autocommit=True) as watcher:
        cursor = await watcher.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE wait_event_type = 'Lock' AND query ILIKE '%FROM runs%'"
        )
        row = await cursor.fetchone()
        return bool(row and row[0])


async def test_a_list_waiting_on_the_database_does_not_block_jupyter(
    jp_fetch: Any, postgres_url: str
) -> None:
    assert json.loads((await jp_fetch("nbtools", "api", "runs")).body) == []  # schema ready
    async with await psycopg.AsyncConnection.connect(dsn(postgres_url)) as holder:
        # Should the loop block, the lock ends with this timeout and the test fails, not hangs.
        await holder.execute("SET idle_in_transaction_session_timeout = '60s'")
        await holder.execute("LOCK TABLE runs IN ACCESS EXCLUSIVE MODE")  # in a transaction
        listing = asyncio.ensure_future(jp_fetch("nbtools", "api", "runs", params={"limit": "5"}))
        while not await waiting_on_a_lock(postgres_url):  # the list now waits on the lock
            assert not listing.done(), listing.result()
            await asyncio.sleep(0.05)
        status = await asyncio.wait_for(jp_fetch("api", "status"), timeout=120)
        assert status.code == 200
        assert not listing.done()  # Jupyter answered while our request was still waiting
        await holder.rollback()
    assert json.loads((await listing).body) == []
