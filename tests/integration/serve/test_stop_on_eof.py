"""`--stop-on-eof`: a service whose parent is killed outright (SIGKILL: no chance to stop it)
stops by itself, workers included, as the Jupyter server's previews rely on."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import psutil
import pytest

from tests.integration.jobs.conftest import wait_until
from tests.postgres import free_port

pytestmark = pytest.mark.slow

#: A parent that starts the service with a pipe as its standard input, says who it started,
#: and then holds the pipe (never writing to it) until it is killed.
PARENT = """
import subprocess, sys, time
service = subprocess.Popen(
    [sys.executable, "-m", "nbtools.cli.main", "serve", *sys.argv[2:], "--stop-on-eof"],
    stdin=subprocess.PIPE,
    stdout=open(sys.argv[1] + ".log", "w"),
    stderr=subprocess.STDOUT,
    start_new_session=True,
)
open(sys.argv[1], "w").write(str(service.pid))
time.sleep(3600)
"""


def ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/ready", timeout=5).status_code == 200
    except httpx.TransportError:
        return False


@pytest.mark.parametrize("workers", [1, 2])
def test_a_killed_parent_takes_its_service_and_workers_with_it(
    scorer_package: Path, tmp_path: Path, workers: int
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    pid_file = tmp_path / "service.pid"
    serve_args = [str(scorer_package), "--port", str(port), "--workers", str(workers)]
    parent = subprocess.Popen([sys.executable, "-c", PARENT, str(pid_file), *serve_args])
    group: list[psutil.Process] = []
    try:
        wait_until(lambda: pid_file.exists() and ready(url), "the service to be ready")
        service = int(pid_file.read_text())
        group = [psutil.Process(service), *psutil.Process(service).children(recursive=True)]
        assert len(group) >= workers  # the workers run (uvicorn's supervisor besides them)
        parent.send_signal(signal.SIGKILL)
        parent.wait(60)
        _, alive = psutil.wait_procs(group, timeout=60)
        assert alive == []
        assert not ready(url)
        log = Path(f"{pid_file}.log").read_text()
        assert "standard input closed: stopping" in log
        assert "Traceback" not in log
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        for process in group:
            if process.is_running():
                process.kill()


@pytest.mark.parametrize("workers", ["1", "2"])
def test_the_end_of_its_input_is_a_graceful_stop_with_exit_0(
    scorer_package: Path, workers: str
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "nbtools.cli.main", "serve", str(scorer_package)]
    service = subprocess.Popen(
        [*command, "--port", str(port), "--workers", workers, "--stop-on-eof"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    group: list[psutil.Process] = []
    try:
        wait_until(lambda: ready(url) or service.poll() is not None, "the service to be ready")
        group = [psutil.Process(service.pid), *psutil.Process(service.pid).children(recursive=True)]
        output, _ = service.communicate(timeout=60)  # closes its input first
        assert service.returncode == 0, output
        assert "standard input closed: stopping" in output
        # it sent itself SIGTERM, but no one else did: the log says why it stopped
        said = "stopped as its standard input closed, the requests in flight were answered"
        assert f"{said}: exit code 0" in output
        assert "stopped by SIGTERM" not in output
        assert "Traceback" not in output
        _, alive = psutil.wait_procs(group, timeout=60)
        assert alive == []
    finally:
        if service.poll() is None:
            service.kill()
            service.wait()


def test_without_the_flag_an_open_input_changes_nothing(
    scorer_package: Path, tmp_path: Path
) -> None:
    """The flag is what stops it: a service without it ignores its input's end."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "nbtools.cli.main", "serve", str(scorer_package)]
    service = subprocess.Popen(
        [*command, "--port", str(port)],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(lambda: ready(url), "the service to be ready")
        assert service.stdin is not None
        service.stdin.close()
        reply = httpx.post(f"{url}/predict", json={"x": 1}, timeout=30)
        assert json.loads(reply.text) == {"score": 2.0}
        assert service.poll() is None
    finally:
        service.send_signal(signal.SIGINT)
        assert service.wait(60) == 0
