"""Calls that hang fill the thread pool the served functions run on (documented: put a bound
on the function itself): the service's own endpoints and the ``--record-to`` flush still
answer, on threads of their own. Through the real app, in this process (FastAPI's test
client), with real calls hanging in their threads until the test lets them go."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path
from typing import Any

import anyio.to_thread
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from nbtools.jobs.tables import Run
from nbtools.project import Project
from nbtools.serve import create_app
from nbtools.serve.config import ServeSettings
from tests.conftest import NotebookFactory
from tests.integration.serve.conftest import extract

HUNG = [
    (
        "code",
        "import threading\n\nRELEASE = threading.Event()\nHANGING: list[int] = []",
        ["export"],
    ),
    (
        "code",
        "#| serve\n"
        "def hang() -> int:\n"
        '    """Wait until the test lets it go."""\n'
        "    HANGING.append(1)\n"
        "    RELEASE.wait(120)\n"
        "    return 1\n\n\n"
        "def quick() -> int:\n"
        "    return 1",
        [],
    ),
]


async def _pool_size() -> int:
    return int(anyio.to_thread.current_default_thread_limiter().total_tokens)


def test_health_info_metrics_and_the_flush_answer_while_hung_calls_fill_the_pool(
    notebook_factory: NotebookFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    project: Project,
) -> None:
    """/info and /metrics waited for a thread of the calls' pool, and so did the flush of the
    recorded minutes: as long as the calls hung (for ever, for one that never returns)."""
    package = extract(notebook_factory("hung.ipynb", HUNG), tmp_path / "pkg")
    monkeypatch.syspath_prepend(str(package / "src"))
    monkeypatch.delitem(sys.modules, "hung", raising=False)
    endpoints = {"hang": "hung.core:hang", "quick": "hung.core:quick"}
    settings = ServeSettings(record_to=project.db_url, timeout_seconds=120)
    with TestClient(create_app("hung", endpoints, settings)) as client:
        core: Any = sys.modules["hung.core"]
        service = client.app.state.service  # type: ignore[attr-defined]
        assert client.post("/quick", json={}).status_code == 200  # a minute to flush
        pool = client.portal.call(_pool_size)
        calls = [
            threading.Thread(target=client.post, args=("/hang",), kwargs={"json": {}})
            for _ in range(pool)
        ]
        answers: dict[str, object] = {}

        def ask() -> None:
            for path in ("/health", "/info", "/metrics"):
                answers[path] = client.get(path).status_code
            client.portal.call(service.flush)
            answers["flush"] = "done"

        asking = threading.Thread(target=ask)
        try:
            for call in calls:
                call.start()
            deadline = time.monotonic() + 60
            while len(core.HANGING) < pool and time.monotonic() < deadline:
                time.sleep(0.05)
            assert len(core.HANGING) == pool  # every thread of the pool holds a hung call
            asking.start()
            asking.join(10)
            assert answers == {"/health": 200, "/info": 200, "/metrics": 200, "flush": "done"}
            with project.store.session() as session:
                assert len(session.scalars(select(Run).where(Run.trigger == "service")).all()) == 1
        finally:
            core.RELEASE.set()
            for thread in (*calls, asking):
                if thread.ident is not None:  # started
                    thread.join(60)
