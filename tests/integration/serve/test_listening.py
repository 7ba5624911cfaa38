"""The "listening on" line is true when it is logged: the socket listens from then on, so a
client connecting while the package still loads (its module-level code: a model, seconds)
waits and is answered once the start-up is done. The socket was only bound until uvicorn
started: for seconds after the line every connection was refused."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.conftest import NotebookFactory
from tests.integration.serve.conftest import extract
from tests.postgres import free_port


def slow_start(gate: Path) -> list[tuple[str, str, list[str]]]:
    """Module-level code that goes on until ``gate`` exists, as loading a model takes
    seconds: the test decides when the start-up is done."""
    wait = f"import pathlib, time\nwhile not pathlib.Path({str(gate)!r}).exists():\n    time.sleep(0.05)"
    return [
        ("code", wait, ["export"]),
        ("code", "def f(x: int) -> int:\n    return x", ["export", "serve"]),
    ]


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_request_made_once_the_service_says_it_listens_is_answered(
    notebook_factory: NotebookFactory, tmp_path: Path, workers: str
) -> None:
    gate = tmp_path / "loaded"
    package = extract(notebook_factory("slow.ipynb", slow_start(gate)), tmp_path / "slow-pkg")
    port = free_port()
    command = [sys.executable, "-m", "nbtools.cli.main", "serve", str(package)]
    process = subprocess.Popen(
        [*command, "--port", str(port), "--workers", workers],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = []
        for line in process.stdout:
            lines.append(line)
            if "listening on" in line:
                break
        assert re.search(rf"listening on http://127\.0\.0\.1:{port} ", lines[-1]), lines
        # connected and asked while the package still loads (it was refused: ConnectionError)
        with socket.create_connection(("127.0.0.1", port), timeout=120) as client:
            client.sendall(b"GET /ready HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            gate.touch()  # the start-up may end now
            answer = b"".join(iter(lambda: client.recv(65536), b""))
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200 "), answer
        assert json.loads(body) == {"ready": True}  # answered, once the start-up was done
        url = f"http://127.0.0.1:{port}"
        assert httpx.post(f"{url}/f", json={"x": 2}, timeout=60).json() == 2
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=60)
    assert process.returncode == 0, output
