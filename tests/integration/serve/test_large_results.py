"""A large result is written while the service answers other requests (the app in this
process, its lifespan run by FastAPI's test client, as in test_error_replies.py)."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from nbtools.serve import create_app
from nbtools.serve.config import ServeSettings
from tests.conftest import NotebookFactory
from tests.integration.serve.conftest import extract

#: A served function returning 100,000 rows and, last, an object JSON writes by its
#: ``tolist()``, which says it is being written and waits until the test lets it go.
ROWS = [
    (
        "code",
        "import threading\n\n"
        "WRITING = threading.Event()  # the result's last item is being written\n"
        "ANSWERED = threading.Event()  # the test's /health was answered meanwhile\n"
        "RELEASED: list[bool] = []  # whether the last item was let go by ANSWERED\n\n\n"
        "class Last:\n"
        "    def tolist(self) -> str:\n"
        "        WRITING.set()\n"
        "        RELEASED.append(ANSWERED.wait(20))\n"
        "        return 'last'\n\n\n"
        "TABLE = [{'id': i, 'name': f'row {i}'} for i in range(100_000)]\n"
        "WRITTEN: list[str] = []  # the objects after a large text that were written\n\n\n"
        "class After:\n"
        "    def tolist(self) -> str:\n"
        "        WRITTEN.append('after')\n"
        "        return 'after'",
        ["export"],
    ),
    (
        "code",
        "#| serve\ndef rows():\n    return [*TABLE, Last()]\n\n\n"
        "def keyed():\n"
        "    return {**{f'k{i}': i for i in range(20)}, 'rows': [*TABLE, Last()]}\n\n\n"
        "def sized(n: int) -> str:\n"
        "    return 'x' * n\n\n\n"
        "def objects():\n"
        "    import numpy\n\n"
        "    return numpy.array(['x' * 200_000, Last()], dtype=object)\n\n\n"
        "def texts():\n"
        "    import numpy\n\n"
        "    return numpy.array(['x' * 200_000, After()], dtype=object)",
        [],
    ),
]


@pytest.fixture
def rows_app(
    notebook_factory: NotebookFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Callable[[ServeSettings], FastAPI]:
    package = extract(notebook_factory("rows.ipynb", ROWS), tmp_path / "rows-pkg")
    monkeypatch.syspath_prepend(str(package / "src"))
    for module in [name for name in sys.modules if name.partition(".")[0] == "rows"]:
        monkeypatch.delitem(sys.modules, module)  # each test its own events
    endpoints = {
        name: f"rows.core:{name}" for name in ("rows", "keyed", "sized", "objects", "texts")
    }
    return lambda settings: create_app("rows", endpoints, settings)


@pytest.mark.parametrize("name", ["rows", "keyed"])
def test_health_is_answered_while_a_large_result_is_written(
    rows_app: Callable[[ServeSettings], FastAPI], name: str
) -> None:
    """A 44 MB result held /health and every other request for the half second its JSON
    took: the encoder ran on the event loop (and, being C that holds the GIL, would have held
    it from a thread too). Here the result's last item waits, as it is written, until a
    /health asked meanwhile is answered: on the event loop it waited in vain. ``keyed``: the
    rows after 20 small keys of a dict, where the size's estimate (its first 8 items) did not
    look, so it was written on the event loop."""
    written = answered_while_writing(rows_app, f"/{name}").json()
    table = written if name == "rows" else written["rows"]
    assert (len(table), table[0], table[-2:]) == (
        100_001,
        {"id": 0, "name": "row 0"},
        [{"id": 99_999, "name": "row 99999"}, "last"],
    )
    if name == "keyed":
        assert list(written)[:2] == ["k0", "k1"]


def test_a_result_over_the_limit_is_a_500_naming_it_and_the_service_goes_on(
    rows_app: Callable[[ServeSettings], FastAPI],
) -> None:
    """A result of any size was written whole: a function returning gigabytes took as much
    memory again for its JSON, and the worker with it. Over the limit (written at once, or in
    pieces in a thread), the reply is an error naming the limit and the setting."""
    limit = 100_000
    with TestClient(rows_app(ServeSettings(max_result_bytes=limit))) as client:
        at_limit = client.post("/sized", json={"n": limit - 2})  # its quotes make the limit
        small_over = client.post("/sized", json={"n": limit - 1})
        large_over = client.post("/rows", json={})
        batch_over = client.post("/sized/batch", json=[{"n": 60_000}, {"n": 60_000}])
        health = client.get("/health")
        metrics = client.get("/metrics").text
    assert (at_limit.status_code, len(at_limit.content)) == (200, limit)
    for reply in (small_over, large_over, batch_over):
        assert reply.status_code == 500
        body = reply.json()
        assert body["error"] == "result-too-large"
        assert body["message"].startswith(
            f"The function's result is over the limit of {limit} bytes of JSON "
            "(ServeSettings.max_result_bytes, nbtools serve --max-result-bytes)"
        )
        assert body["details"] == {
            "error_id": body["details"]["error_id"],
            "limit": limit,
            "setting": "max_result_bytes",
        }
    assert health.json() == {"status": "ok"}
    assert 'nbtools_serve_errors_total{endpoint="/sized",type="result-too-large"} 1.0' in metrics
    assert 'nbtools_serve_errors_total{endpoint="/rows",type="result-too-large"} 1.0' in metrics
    assert (
        'nbtools_serve_errors_total{endpoint="/sized/batch",type="result-too-large"} 1.0' in metrics
    )


def test_health_is_answered_while_an_array_of_objects_is_written(
    rows_app: Callable[[ServeSettings], FastAPI],
) -> None:
    """An array of objects was measured by its count of items (20 bytes each): a text of
    200 KB in it went unseen and the array was written on the event loop, /health waiting."""
    assert answered_while_writing(rows_app, "/objects").json() == ["x" * 200_000, "last"]


def test_an_array_of_objects_over_the_limit_is_refused_before_the_rest_is_written(
    rows_app: Callable[[ServeSettings], FastAPI],
) -> None:
    """Measured small, such an array was written whole (the objects after the limit too)
    before its length was checked."""
    with TestClient(rows_app(ServeSettings(max_result_bytes=100_000))) as client:
        reply = client.post("/texts", json={})
    assert reply.status_code == 500
    assert reply.json()["error"] == "result-too-large"
    assert reply.json()["details"]["limit"] == 100_000
    assert sys.modules["rows.core"].WRITTEN == []


def answered_while_writing(
    rows_app: Callable[[ServeSettings], FastAPI], path: str
) -> httpx.Response:
    """POST ``path`` of the rows app; while its result's last item is being written (it waits
    for a /health answer), ask /health: the POST's answer, once /health was answered meanwhile."""
    answers: list[httpx.Response] = []
    with TestClient(rows_app(ServeSettings())) as client:
        core = sys.modules["rows.core"]
        posting = threading.Thread(target=lambda: answers.append(client.post(path, json={})))
        posting.start()
        assert core.WRITING.wait(60)
        health = client.get("/health")
        core.ANSWERED.set()
        posting.join()
    assert health.json() == {"status": "ok"}
    assert core.RELEASED == [True]  # /health answered while the result was being written
    return answers[0]
