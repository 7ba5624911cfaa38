"""README.md's short tour, run as written in a fresh copy of the repository: each of its
``nbtools`` lines, in order, from the copy's top, must work.

A scheduler stands in for ``make run``'s JupyterLab, which serves ``examples/`` while the tour's
commands run beside it (``schedule run 1 --wait`` needs one). Left out: ``nbtools serve``, a
service that runs until stopped (tests/unit/test_cli_serve.py). ``env export``'s look-ups go to
an index on this machine that holds nothing (``$NBTOOLS_ENV_INDEX_URL``), not to PyPI.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPOSITORY = Path(__file__).parents[2]
NBTOOLS = str(Path(sys.executable).parent / "nbtools")


def tour() -> list[str]:
    """The tour's ``nbtools`` command lines, in order, without their comments."""
    readme = (REPOSITORY / "README.md").read_text(encoding="utf-8")
    block = readme.split("## A short tour", 1)[1].split("```console", 1)[1].split("```", 1)[0]
    return [
        re.sub(r"\s+#\s.*$", "", line.removeprefix("$ "))
        for line in block.splitlines()
        if line.startswith("$ .venv/bin/nbtools")
    ]


@pytest.fixture
def empty_index(tmp_path: Path) -> Iterator[str]:
    """The URL of a package index that holds nothing (every look-up: not found)."""
    (tmp_path / "index").mkdir()
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(tmp_path / "index"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/simple"
    server.shutdown()
    server.server_close()
    thread.join()


def serving(clone: Path, env: dict[str, str]) -> None:
    """Wait until a scheduler serves the examples' store, as JupyterLab's does once started."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = subprocess.run(
            [NBTOOLS, "--root", "examples", "status", "--json"],
            cwd=clone,
            env=env,
            capture_output=True,
            check=True,
        )
        if json.loads(status.stdout)["schedulers"]:
            return
        time.sleep(0.5)
    raise AssertionError("the scheduler never started")


def test_the_readme_tour_works_as_written_from_a_fresh_clone(
    tmp_path: Path, empty_index: str
) -> None:
    """Its extract line was refused (exit 2: examples/forecast.ipynb "belongs to the nbtools
    project in examples"), and its env line made a second project at the repository's top."""
    clone = tmp_path / "clone"
    clone.mkdir()
    shutil.copy(REPOSITORY / "README.md", clone)
    shutil.copytree(
        REPOSITORY / "examples", clone / "examples", ignore=shutil.ignore_patterns(".*")
    )
    scratch = tmp_path / "tmp"  # the tour's /tmp
    scratch.mkdir()
    env = {**os.environ, "NBTOOLS_ENV_INDEX_URL": empty_index, "COLUMNS": "120"}
    scheduler = None
    try:
        for line in tour():
            # the tour's /tmp first: this checkout (the venv) may itself be under /tmp
            command = line.replace("/tmp/", f"{scratch}/").replace(".venv/bin/nbtools", NBTOOLS)
            if " serve " in command:
                command = command.split(" && ")[0]  # init, not the service
            if "schedule run" in command and scheduler is None:
                scheduler = subprocess.Popen(
                    [NBTOOLS, "--root", "examples", "scheduler", "--workers", "1"],
                    cwd=clone,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                serving(clone, env)
            done = subprocess.run(
                command, shell=True, cwd=clone, env=env, capture_output=True, text=True
            )
            assert done.returncode == 0, f"{line}\n{done.stdout}{done.stderr}"
    finally:
        if scheduler is not None:
            scheduler.send_signal(signal.SIGTERM)
            scheduler.wait(timeout=60)
    assert sorted(p.relative_to(clone).as_posix() for p in clone.rglob(".nbtools")) == [
        "examples/.nbtools"
    ]
