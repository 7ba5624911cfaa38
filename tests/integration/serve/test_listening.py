"""The "listening on" line is true when it is logged: the socket listens from then on, so a
client connecting while the package still loads (its module-level code: a model, seconds)
waits and is answered once the start-up is done. The socket was only bound until uvicorn
started: for seconds after the line every connection was refused."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import NotebookFactory
from tests.integration.serve.conftest import extract
from tests.postgres import free_port

#: Module-level code that takes seconds, as loading a model does.
SLOW_START = [
    ("code", "import time\ntime.sleep(3)", ["export"]),
    ("code", "def f(x: int) -> int:\n    return x", ["export", "serve"]),
]


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_request_made_once_the_service_says_it_listens_is_answered(
    notebook_factory: NotebookFactory, tmp_path: Path, workers: str
) -> None:
    package = extract(notebook_factory("slow.ipynb", SLOW_START), tmp_path / "slow-pkg")
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
        said = time.monotonic()
        url = f"http://127.0.0.1:{port}"
        ready = httpx.get(f"{url}/ready", timeout=120)  # refused: httpx.ConnectError
        assert (ready.status_code, ready.json()) == (200, {"ready": True})
        assert time.monotonic() - said > 1  # it was answered once the start-up was done
        assert httpx.post(f"{url}/f", json={"x": 2}, timeout=60).json() == 2
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=60)
    assert process.returncode == 0, output
