"""SIGHUP to ``nbtools serve`` (a real process, a real signal) while a call is in flight:
with ``--workers N`` uvicorn restarts the workers one by one; with one worker the signal is
ignored, said in the log. Either way the call in flight is answered and the service goes on."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.conftest import NotebookFactory
from tests.integration.serve.conftest import RunningService, extract

Serve = Callable[..., RunningService]

#: A served function that returns what it reads from ``path``: given a named pipe, its call
#: is in flight from the moment the test opens the pipe's other end until it closes it.
WAITER = [
    (
        "code",
        "#| serve\n"
        "def wait(path: str) -> str:\n"
        '    """Read path."""\n'
        "    with open(path) as pipe:\n"
        "        return pipe.read()",
        [],
    ),
]


def _read_until(service: RunningService, line: str) -> list[str]:
    """The service's output lines up to the first one holding ``line`` (all of them, if it
    ended first)."""
    assert service.process.stdout is not None
    seen: list[str] = []
    for read in service.process.stdout:
        seen.append(read)
        if line in read:
            break
    return seen


@pytest.mark.parametrize(
    ("workers", "said"),
    [
        pytest.param("1", "INFO: nbtools.serve: SIGHUP ignored: ", id="one-worker"),
        pytest.param("2", "Received SIGHUP, restarting processes.", id="workers"),
    ],
)
def test_sighup_keeps_the_service_and_answers_the_call_in_flight(
    notebook_factory: NotebookFactory, tmp_path: Path, serve: Serve, workers: str, said: str
) -> None:
    """With one worker SIGHUP killed the service (exit 129), the call in flight unanswered."""
    package = extract(notebook_factory("waiter.ipynb", WAITER), tmp_path / "waiter-pkg")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    service = serve(package, "--workers", workers)
    answers: list[httpx.Response | httpx.TransportError] = []

    def call() -> None:
        try:
            answers.append(client.post("/wait", json={"path": str(fifo)}))
        except httpx.TransportError as error:  # the service died
            answers.append(error)

    with service.client() as client:
        calling = threading.Thread(target=call)
        calling.start()
        with open(fifo, "w") as pipe:  # opens once the call has opened its end: in flight
            service.process.send_signal(signal.SIGHUP)
            told = _read_until(service, said)
            pipe.write("answered")
        calling.join()
        assert said in told[-1], "".join(told)
        assert service.process.poll() is None
        assert client.get("/health").json() == {"status": "ok"}
    assert isinstance(answers[0], httpx.Response), answers
    assert answers[0].json() == "answered"
    output = service.stop()
    assert service.process.returncode == 0, output
    assert "stopped by SIGINT, the requests in flight were answered: exit code 0" in output
