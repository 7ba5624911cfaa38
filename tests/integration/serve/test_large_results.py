"""A large result is written while the service answers other requests (the app in this
process, its lifespan run by FastAPI's test client, as in test_error_replies.py)."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import httpx
import pytest
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
        "TABLE = [{'id': i, 'name': f'row {i}'} for i in range(100_000)]",
        ["export"],
    ),
    ("code", "#| serve\ndef rows():\n    return [*TABLE, Last()]", []),
]


def test_health_is_answered_while_a_large_result_is_written(
    notebook_factory: NotebookFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 44 MB result held /health and every other request for the half second its JSON
    took: the encoder ran on the event loop (and, being C that holds the GIL, would have held
    it from a thread too). Here the result's last item waits, as it is written, until a
    /health asked meanwhile is answered: on the event loop it waited in vain."""
    package = extract(notebook_factory("rows.ipynb", ROWS), tmp_path / "rows-pkg")
    monkeypatch.syspath_prepend(str(package / "src"))
    monkeypatch.delitem(sys.modules, "rows", raising=False)
    app = create_app("rows", {"rows": "rows.core:rows"}, ServeSettings())
    answers: list[httpx.Response] = []
    with TestClient(app) as client:
        core = sys.modules["rows.core"]
        posting = threading.Thread(target=lambda: answers.append(client.post("/rows", json={})))
        posting.start()
        assert core.WRITING.wait(60)
        health = client.get("/health")
        core.ANSWERED.set()
        posting.join()
    assert health.json() == {"status": "ok"}
    assert core.RELEASED == [True]  # /health answered while the result was being written
    written = answers[0].json()
    assert (len(written), written[0], written[-2:]) == (
        100_001,
        {"id": 0, "name": "row 0"},
        [{"id": 99_999, "name": "row 99999"}, "last"],
    )
