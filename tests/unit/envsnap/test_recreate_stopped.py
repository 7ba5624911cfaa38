"""``nbtools env recreate`` stopped while pip works (Ctrl-C, a CI job's SIGTERM): pip unwinds
and removes its temporary files, as docs/cli.md says, before the command exits 130 or 143.
Real processes and signals: the console script, pip, and a build pip waits for."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import exit_on_signal

pytestmark = pytest.mark.slow

NBTOOLS = str(Path(sys.executable).parent / "nbtools")

#: A project pip builds with its own backend (in the tree: nothing to download), which waits
#: at a named pipe when pip asks what the build requires: pip then holds its temporary
#: folders (pip-build-env-*, pip-install-*, pip-ephem-wheel-cache-*, its build tracker).
PYPROJECT = """\
[build-system]
requires = []
build-backend = "backend"
backend-path = ["."]

[project]
name = "slowpkg"
version = "0.1"
"""
BACKEND = """\
import os

def get_requires_for_build_wheel(config_settings=None):
    with open(os.environ["NBTOOLS_TEST_FIFO"], "rb") as fifo:
        fifo.read()
    return []
"""


@pytest.mark.parametrize(
    ("signum", "said"), [(signal.SIGTERM, "SIGTERM"), (signal.SIGINT, "Ctrl-C")]
)
def test_a_recreate_stopped_while_pip_works_leaves_no_temporary_files(
    tmp_path: Path, signum: int, said: str
) -> None:
    """pip was killed outright (SIGKILL) with the command, leaving ≈ 5 MB in $TMPDIR each
    time: pip-build-env-*, pip-install-*, pip-unpack-*, tmp*cacert.pem."""
    project = tmp_path / "slowpkg"
    project.mkdir()
    (project / "pyproject.toml").write_text(PYPROJECT)
    (project / "backend.py").write_text(BACKEND)
    pins = tmp_path / "requirements.txt"
    pins.write_text(f"slowpkg @ {project.as_uri()}  # slowpkg==0.1\n")
    private, fifo = tmp_path / "tmp", tmp_path / "fifo"
    private.mkdir()
    os.mkfifo(fifo)
    env = {**os.environ, "TMPDIR": str(private), "NBTOOLS_TEST_FIFO": str(fifo)}
    command = [NBTOOLS, "--root", str(tmp_path), "env", "recreate", str(pins), "venv"]
    with (tmp_path / "err.txt").open("wb") as err:  # a file: a process left would hold a pipe
        process = subprocess.Popen(
            command, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=err
        )
    assert exit_on_signal(fifo, process, signum) == 128 + signum
    stderr = (tmp_path / "err.txt").read_text()
    assert stderr.rstrip().endswith(f"nbtools: stopped by {said}."), stderr
    assert "Traceback" not in stderr
    assert sorted(path.name for path in private.iterdir()) == []  # pip's, nbtools' own
    assert not (tmp_path / "venv").exists()  # the half-made venv is removed too
