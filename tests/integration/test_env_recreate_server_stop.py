"""A Jupyter server stopped (SIGTERM) while ``POST env/recreate`` has pip at work: it stops
pip and ends at once, leaving no process and no half-made venv. It waited until pip was
done (minutes for a large environment), so a supervisor's SIGKILL after its timeout left
the venv half made."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import psutil
import pytest

from tests.conftest import opened_for_writing
from tests.integration.jobs.conftest import wait_until
from tests.integration.jobs.test_server_scheduler import ended, jupyter_server
from tests.unit.envsnap.test_recreate_stopped import BACKEND, PYPROJECT

pytestmark = pytest.mark.slow


def post(port: int, path: str, body: dict[str, Any], timeout: float = 10) -> Any:
    """``POST /nbtools/api/env/PATH`` with ``body``: the JSON reply."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/nbtools/api/env/{path}",
        data=json.dumps(body).encode(),
        headers={"Authorization": "token secret", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=timeout) as reply:
        return json.loads(reply.read())


def serving(port: int) -> bool:
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status", timeout=2).close()
    except urllib.error.HTTPError:  # 403 without the token: it serves
        return True
    except OSError:
        return False
    return True


def answered(port: int, body: dict[str, Any]) -> None:
    """``POST recreate``: its 400 (pip stopped), or the connection cut off as the server
    ends, either way."""
    with contextlib.suppress(OSError):
        post(port, "recreate", body, timeout=120)


def test_a_server_stopped_during_a_recreate_stops_pip_and_removes_the_venv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "root"
    project = root / "slowpkg"
    project.mkdir(parents=True)
    (project / "pyproject.toml").write_text(PYPROJECT)
    (project / "backend.py").write_text(BACKEND)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    monkeypatch.setenv("NBTOOLS_TEST_FIFO", str(fifo))  # the server's, so pip's build's
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    server = jupyter_server(root, port, tmp_path, "--JobsSettings.workers=0")
    writer = None
    try:
        wait_until(lambda: serving(port) or server.poll() is not None, "the server to serve")
        content = f"slowpkg @ {project.as_uri()}  # slowpkg==0.1\n"
        imported = post(port, "import", {"name": "r.txt", "content": content})
        body = {"snapshot": imported["id"], "path": "venv"}
        recreating = threading.Thread(target=answered, args=(port, body), daemon=True)
        recreating.start()
        writer = opened_for_writing(fifo, server)  # pip waits on the build it started
        started = psutil.Process(server.pid).children(recursive=True)
        assert any("pip" in process.cmdline() for process in started)
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)  # it waited for pip, held at the pipe, forever
    finally:
        _, log = ended(server)
        if writer is not None:
            os.close(writer)
    assert "received signal 15" in log
    _, alive = psutil.wait_procs(started, timeout=10)
    assert alive == []
    assert not (root / "venv").exists()
