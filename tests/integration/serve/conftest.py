"""A real service: a notebook extracted into a package, served by ``nbtools serve`` (uvicorn)
on a free loopback port in a subprocess, called over real HTTP."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from nbtools.export.api import ExtractRequest, run_extract
from tests.conftest import NotebookFactory
from tests.postgres import free_port

#: A served function with every kind of fault the tests need, and a served pipeline.
SCORER = [
    ("markdown", "# Scorer\n> Scores a number.", []),
    (
        "code",
        "import os\nimport time\nfrom typing import Literal\n\nfrom nbtools import record\n\n"
        "WEIGHT = 2.0\nprint('model loaded in', os.getpid(), flush=True)",
        ["export"],
    ),
    (
        "code",
        "#| serve\n"
        "def predict(x: float, mode: Literal['plain', 'double'] = 'plain', "
        "tags: list[str] | None = None) -> dict[str, float]:\n"
        '    """Score x."""\n'
        "    if x < 0:\n"
        "        raise ValueError('negative input: SECRET-DETAIL')\n"
        "    if x >= 1000:\n"
        "        time.sleep(x / 1000)\n"
        "    score = x * WEIGHT * (2 if mode == 'double' else 1)\n"
        "    record('score', score)\n"
        "    return {'score': score}",
        [],
    ),
    ("code", "n = 3", ["parameters"]),
    ("code", "total = n * 2\nrecord('total', total)", ["main", "serve"]),
    ("code", "assert predict(1.5)['score'] == 3.0", ["test"]),
]


def extract(notebook: Path, out: Path) -> Path:
    run_extract(ExtractRequest(notebook, out, mode="write"))
    return out


@pytest.fixture
def scorer_package(notebook_factory: NotebookFactory, tmp_path: Path) -> Path:
    return extract(notebook_factory("scorer.ipynb", SCORER), tmp_path / "scorer-pkg")


@dataclass
class RunningService:
    process: subprocess.Popen[str]
    url: str
    #: Everything it printed, once it ended.
    output: str | None = None

    def client(self, **headers: str) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers=headers, timeout=60)

    def stop(self) -> str:
        """Stop the service as an operator would (SIGINT) and return its output."""
        if self.output is None:
            if self.process.poll() is None:
                self.process.send_signal(signal.SIGINT)
            self.output, _ = self.process.communicate(timeout=60)
        return self.output


def start(
    package_dir: Path,
    *flags: str,
    env: dict[str, str] | None = None,
    command: list[str] | None = None,
) -> RunningService:
    """``nbtools serve`` (or ``command``) on a free port; returns once /ready answers, or the
    process ended. A port taken by another process between its choice and the service's
    bind (tests run in parallel) is given up for another one."""
    command = command or [sys.executable, "-m", "nbtools.cli.main", "serve", str(package_dir)]
    for _ in range(3):
        service = _start_on(free_port(), [*command, *flags], env)
        if service.process.poll() is None or service.process.returncode == 0:
            return service
        if "address already in use" not in service.stop().lower():
            return service
    raise AssertionError(f"no free port for the service:\n{service.stop()}")


def _start_on(port: int, command: list[str], env: dict[str, str] | None) -> RunningService:
    process = subprocess.Popen(
        [*command, "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **(env or {})},
    )
    return ready(RunningService(process, f"http://127.0.0.1:{port}"))


def ready(service: RunningService) -> RunningService:
    """``service`` once its /ready answers 200, or its process ended, or 2 minutes passed."""
    deadline = time.monotonic() + 120
    while service.process.poll() is None and time.monotonic() < deadline:
        try:
            if httpx.get(f"{service.url}/ready", timeout=5).status_code == 200:
                return service
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    return service


@pytest.fixture
def serve() -> Iterator[Callable[..., RunningService]]:
    """Start services; each is stopped (and waited for) at the end of the test."""
    started: list[RunningService] = []

    def serve_(
        package_dir: Path,
        *flags: str,
        env: dict[str, str] | None = None,
        command: list[str] | None = None,
    ) -> RunningService:
        service = start(package_dir, *flags, env=env, command=command)
        started.append(service)
        return service

    yield serve_
    for service in started:
        if service.process.poll() is None:
            service.stop()
