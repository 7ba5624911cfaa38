"""The scheduler of a real Jupyter server process: started once the server serves when the
project has a store (scheduled jobs run without anyone opening JupyterLab), never by a server
that exits while it starts, and gone from the store when the server is stopped."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import psutil
import pytest
from click.testing import CliRunner

from nbtools.cli.app import cli
from nbtools.processes import kill_tree
from nbtools.project import Project
from tests.integration.jobs.conftest import wait_until

pytestmark = pytest.mark.slow


def schedulers(root: Path) -> list[dict[str, Any]]:
    listed = CliRunner().invoke(cli, ["--root", str(root), "status", "--json"])
    assert listed.exit_code == 0, listed.output
    found: list[dict[str, Any]] = json.loads(listed.stdout)["schedulers"]
    return found


def jupyter_server(root: Path, port: int, tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    """``jupyter server`` on ``root`` (the nbtools extension enabled by the installation's
    config) listening on 127.0.0.1:``port`` only, given ``args`` too; its log on stderr."""
    runtime = tmp_path / "runtime"
    runtime.mkdir(exist_ok=True)
    command = [sys.executable, "-m", "jupyter_server", f"--ServerApp.root_dir={root}"]
    command += ["--ip=127.0.0.1", f"--port={port}", "--ServerApp.port_retries=0"]
    command += ["--no-browser", "--allow-root", "--IdentityProvider.token=secret", *args]
    return subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "JUPYTER_RUNTIME_DIR": str(runtime)},
    )


def ended(server: subprocess.Popen[str]) -> tuple[int, str]:
    """Wait for ``server`` to end (killed with what it started if it does not): its exit
    code and log."""
    try:
        _, log = server.communicate(timeout=120)
    finally:
        if server.poll() is None:
            kill_tree(server.pid)
            server.wait()
    return server.returncode, log


def test_a_server_that_exits_while_it_starts_lists_no_scheduler(
    project: Project, tmp_path: Path
) -> None:
    """Its port taken: the server loads the extension, then cannot listen and exits. Its
    scheduler was started as the extension loaded, so `nbtools status` listed it, alive, for
    half a minute after the server was gone; it starts only once the server serves now."""
    project.store  # noqa: B018 - a store: a serving server starts its scheduler at once
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        code, log = ended(jupyter_server(project.root, taken.getsockname()[1], tmp_path))
    assert code == 1, log
    assert "jupyter_nbtools | extension was successfully loaded" in log
    assert "is not available" in log  # the port
    assert schedulers(project.root) == []


def test_a_serving_server_starts_its_scheduler_unasked_and_removes_it_when_stopped(
    project: Project, tmp_path: Path
) -> None:
    """No jobs request: the project has a store, so its jobs may be due. SIGTERM stops the
    server, its scheduler with it: the store lists none, and nothing it started is left."""
    project.store  # noqa: B018
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    server = jupyter_server(project.root, port, tmp_path)
    started: list[psutil.Process] = []
    try:
        wait_until(
            lambda: (
                [seen["pid"] for seen in schedulers(project.root)] == [server.pid]
                or server.poll() is not None
            ),
            "the server to list its scheduler",
        )
        assert server.poll() is None, server.communicate()[1]
        (seen,) = schedulers(project.root)
        assert (seen["alive"], seen["executor"]) == (True, "local")
        started = psutil.Process(server.pid).children(recursive=True)
        server.send_signal(signal.SIGTERM)
    finally:
        _, log = ended(server)
    assert "Traceback" not in log
    assert schedulers(project.root) == []
    _, alive = psutil.wait_procs(started, timeout=30)
    assert alive == []


def test_a_server_given_a_bad_setting_does_not_start(project: Project, tmp_path: Path) -> None:
    """Before, it logged a 30-line traceback and served without nbtools; now it exits 1
    after one critical line naming the setting and where it was given, having served
    nothing and started no scheduler."""
    project.store  # noqa: B018 - a store: a serving server would start its scheduler at once
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    server = jupyter_server(project.root, port, tmp_path, "--JobsSettings.workers=many")
    code, log = ended(server)
    assert code == 1, log
    assert "Traceback" not in log
    (line,) = [line for line in log.splitlines() if line.startswith(("[W", "[E", "[C"))]
    assert line.startswith("[C ")
    assert line.endswith(
        "jupyter_nbtools | --JobsSettings.workers='many' on the command line: expected an "
        "integer of at least 0. The server does not start: correct the setting, or disable "
        "the extension (jupyter server extension disable jupyter_nbtools)."
    )
    assert "is running at" not in log
    assert schedulers(project.root) == []
