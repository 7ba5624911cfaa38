"""The scheduler's connection to a real Dask scheduler process: lost and found again when the
Dask scheduler restarts; an address where something else listens (a web server, a Dask
worker) refused within the connect timeout, naming what is there; a stop while connecting
ends the scheduler at once."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from nbtools.jobs.submit import queue_run
from nbtools.processes import kill_tree
from nbtools.project import Project
from tests.conftest import NotebookFactory, logged
from tests.integration.jobs.conftest import Running, dask_scheduler, wait_for, wait_until
from tests.postgres import free_port

pytestmark = pytest.mark.slow

#: The ``dask`` command of this environment.
DASK = str(Path(sys.executable).parent / "dask")
#: The connect timeout of the tests that wait it out (``JobsSettings.dask_connect_timeout_seconds``,
#: 10 s by default): long enough for a local Dask scheduler to answer on a loaded machine.
CONNECT_TIMEOUT = 2


def listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


class DaskProcesses:
    """``dask scheduler`` and one ``dask worker`` (one thread, no nanny) on a fixed port, so
    that they can be stopped and started again at the same address; started once the
    scheduler listens (the worker joins it meanwhile)."""

    def __init__(self) -> None:
        self.port, self.worker_port = free_port(), free_port()
        self.scheduler_address = f"tcp://127.0.0.1:{self.port}"
        self.worker_address = f"tcp://127.0.0.1:{self.worker_port}"
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self) -> None:
        scheduler = [DASK, "scheduler", "--host", "127.0.0.1", "--port", str(self.port)]
        worker = [DASK, "worker", self.scheduler_address, "--nthreads", "1", "--no-nanny"]
        worker += ["--host", "127.0.0.1", "--worker-port", str(self.worker_port)]
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        self.processes = [
            subprocess.Popen([*scheduler, "--no-dashboard"], **quiet),  # type: ignore[call-overload]
            subprocess.Popen([*worker, "--no-dashboard"], **quiet),  # type: ignore[call-overload]
        ]
        wait_until(lambda: listening(self.port), "the Dask scheduler to listen")

    def kill(self) -> None:
        for process in self.processes:
            kill_tree(process.pid)
            process.wait()


@pytest.fixture
def dask_processes() -> Iterator[DaskProcesses]:
    processes = DaskProcesses()
    processes.start()
    yield processes
    processes.kill()


@pytest.mark.parametrize("workers", [0, 1])
def test_the_scheduler_reconnects_when_the_dask_scheduler_restarts(
    dask_project: Project,
    notebook_factory: NotebookFactory,
    dask_processes: DaskProcesses,
    workers: int,
) -> None:
    """Once Dask gave up reconnecting its client (the Dask scheduler away for longer than the
    connect timeout, here :data:`CONNECT_TIMEOUT`), every tick failed with "'NoneType' object
    has no attribute 'ncores'" (with --workers: a ClosedClientError traceback at each claim),
    for ever: queued runs never ran. The scheduler now connects again, saying so in one line
    each."""
    notebook_factory("mark.ipynb", [("code", "print('ran')", [])])
    nbtools_log, dask_log = logging.getLogger("nbtools"), logging.getLogger("distributed.client")
    with logged(nbtools_log) as said, logged(dask_log) as dask_said:
        settings = {"workers": workers, "dask_connect_timeout_seconds": CONNECT_TIMEOUT}
        running = Running(dask_scheduler(dask_project, dask_processes, **settings))
        try:
            first = queue_run(dask_project, "mark.ipynb", {})
            assert wait_for(dask_project, first.id, lambda r: r.finished_at is not None).status == (
                "succeeded"
            )
            dask_processes.kill()
            wait_until(
                lambda: any("Failed to reconnect" in line for line in dask_said.lines),
                "Dask to give up reconnecting its client",
            )
            dask_processes.start()
            second = queue_run(dask_project, "mark.ipynb", {})
            done = wait_for(dask_project, second.id, lambda r: r.finished_at is not None)
            assert done.status == "succeeded", done.error_message
        finally:
            running.stop()
    lines = said.lines
    assert not [line for line in lines if "Traceback" in line]
    lost = f"nbtools: lost the Dask scheduler at {dask_processes.scheduler_address}"
    assert sum(line.startswith(lost) for line in lines) == 1
    back = f"nbtools: connected to the Dask scheduler at {dask_processes.scheduler_address} again"
    assert lines.count(back) == 1


#: Servers that are no Dask scheduler, run as ``python -c CODE PORT``, and what is said of
#: them: a web application (as behind Dask's dashboard or Jupyter), which waits for an HTTP
#: request that never comes (until the connect timeout, which it names); a peer answering ``400 Bad Request`` and closing (as nginx or an
#: ingress does), whose answer Dask read as a frame of exabytes (a numpy MemoryError
#: traceback, exit 1).
PEERS = {
    "web application": (
        "import asyncio, sys, tornado.web\n"
        "async def main():\n"
        "    tornado.web.Application([]).listen(int(sys.argv[1]), '127.0.0.1')\n"
        "    await asyncio.Event().wait()\n"
        "asyncio.run(main())",
        f"it accepted the connection but gave no Dask answer within {CONNECT_TIMEOUT} s "
        "(JobsSettings.dask_connect_timeout_seconds).",
    ),
    "bad request": (
        "import socket, sys\n"
        "server = socket.create_server(('127.0.0.1', int(sys.argv[1])))\n"
        "while True:\n"
        "    peer = server.accept()[0]\n"
        "    peer.recv(65536)\n"
        "    peer.sendall(b'HTTP/1.1 400 Bad Request\\r\\nConnection: close\\r\\n\\r\\n')\n"
        "    peer.close()",
        "its answer is not Dask's (MemoryError: Unable to allocate ",
    ),
}


@pytest.fixture(params=sorted(PEERS))
def peer(request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    """The address of a server that is no Dask scheduler, listening, and what is said of it."""
    port = free_port()
    code, said = PEERS[request.param]
    server = subprocess.Popen([sys.executable, "-c", code, str(port)])
    wait_until(lambda: listening(port), f"the {request.param} to listen")
    yield f"tcp://127.0.0.1:{port}", said
    kill_tree(server.pid)
    server.wait()


def scheduler_on(
    project: Project, address: str, environ: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    """``nbtools scheduler`` with the dask executor at ``address``, ``environ`` added to its
    environment."""
    command = [sys.executable, "-m", "nbtools.cli.main", "--root", str(project.root)]
    command += ["scheduler", "--executor", "dask", "--dask-address", address]
    env = {**os.environ, **(environ or {})}
    return subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=env)


def refused(project: Project, address: str, environ: dict[str, str] | None = None) -> str:
    """The error ``nbtools scheduler`` at ``address`` ends with, once it exited 2 (within a
    minute: it hung until the peer closed the connection), after no "stopped." (it read as a
    graceful stop)."""
    process = scheduler_on(project, address, environ)
    try:
        _, said = process.communicate(timeout=60)
    finally:
        kill_tree(process.pid)
        process.wait()
    assert process.returncode == 2, said
    assert "Traceback" not in said
    assert "nbtools scheduler: stopped" not in said  # an error, not a stop
    return said.splitlines()[-1]


def test_a_server_that_is_no_dask_scheduler_is_named_so(
    project: Project, peer: tuple[str, str]
) -> None:
    address, what = peer
    timeout = {"NBTOOLS_JOBS_DASK_CONNECT_TIMEOUT_SECONDS": str(CONNECT_TIMEOUT)}
    said = refused(project, address, timeout)
    assert said.startswith(f"Error: {address} is not a Dask scheduler: {what}"), said
    assert "Check the address and its port (JobsSettings.dask_address): a Dask scheduler " in said
    assert said.endswith(
        "its dashboard, a web page, on another port (8787 by default). See --dask-address."
    )


def test_a_dask_worker_s_address_names_its_scheduler(
    project: Project, dask_processes: DaskProcesses
) -> None:
    said = refused(project, dask_processes.worker_address)
    assert said.startswith(
        f"Error: {dask_processes.worker_address} is a Dask worker, not the Dask scheduler: give "
        f"the address of the scheduler it works for, {dask_processes.scheduler_address} "
        "(JobsSettings.dask_address). See --dask-address."
    ), said


#: A server that accepts connections and never answers, writing ``listening`` then one
#: ``connected`` line per connection into the file it is given.
SILENT = (
    "import socket, sys\n"
    "server = socket.create_server(('127.0.0.1', int(sys.argv[1])))\n"
    "note, held = open(sys.argv[2], 'a', buffering=1), []\n"
    "note.write('listening\\n')\n"
    "while True:\n"
    "    held.append(server.accept()[0])\n"
    "    note.write('connected\\n')"
)


@pytest.fixture
def silent_peer(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """The address of a server that never answers, and its notes (see :data:`SILENT`)."""
    port, notes = free_port(), tmp_path / "peer-notes"
    server = subprocess.Popen([sys.executable, "-c", SILENT, str(port), str(notes)])
    wait_until(lambda: notes.exists() and "listening" in notes.read_text(), "the peer")
    yield f"tcp://127.0.0.1:{port}", notes
    kill_tree(server.pid)
    server.wait()


def connected(notes: Path) -> bool:
    return "connected" in notes.read_text()


def test_a_stop_while_connecting_ends_the_daemon_at_once(
    project: Project, silent_peer: tuple[str, Path]
) -> None:
    """SIGTERM while the daemon connects to Dask: it waited for the connection to fail (for
    ever at a server that never answers), then said "stopped." and an error, exit 2. It is
    the graceful stop of a daemon still starting now: exit 0, nothing else said."""
    address, notes = silent_peer
    process = scheduler_on(project, address)
    try:
        wait_until(lambda: connected(notes), "the daemon to connect")
        process.send_signal(signal.SIGTERM)
        _, said = process.communicate(timeout=60)
    finally:
        kill_tree(process.pid)
        process.wait()
    assert (process.returncode, said) == (0, "nbtools scheduler: stopped.\n")


def test_a_scheduler_stopped_while_connecting_stops_without_a_word(
    project: Project, silent_peer: tuple[str, Path]
) -> None:
    """A scheduler in a process of its own (the Jupyter server's), stopped while it connects:
    the connection went on until its timeout, which the server's shutdown waited for, and
    failed with a warning. The stop ends it now."""
    address, notes = silent_peer
    with logged(logging.getLogger("nbtools")) as said:
        running = Running(dask_scheduler(project, SimpleNamespace(scheduler_address=address)))
        try:
            wait_until(lambda: connected(notes), "the scheduler to connect")
        finally:
            running.stop()
    assert said.lines == []
