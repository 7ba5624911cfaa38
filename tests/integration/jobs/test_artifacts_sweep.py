"""A process killed before it could retire its kernels (SIGKILL, the out-of-memory killer)
left each kernel's artifacts directory in the system's temporary directory for ever, with
whatever the notebook had saved there; the next kernel source to close removes them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from nbtools.kernel_files import ARTIFACTS_PREFIX, sweep_leftovers
from nbtools.kernels import KernelSource
from tests.conftest import NotebookFactory

pytestmark = pytest.mark.slow


def artifacts_of(pid: int) -> list[Path]:
    return sorted(Path(tempfile.gettempdir()).glob(f"{ARTIFACTS_PREFIX}{pid}-*"))


def test_the_artifacts_of_a_killed_run_are_removed_and_a_live_one_s_kept(
    tmp_path: Path, notebook_factory: NotebookFactory
) -> None:
    # this process's own: another test run in it may have left some (a kernel never retired)
    earlier = set(artifacts_of(os.getpid()))
    started = tmp_path / "started"
    cells = [
        ("code", "import os, pathlib, time", []),
        ("code", "pathlib.Path(os.environ['NBTOOLS_ARTIFACTS_DIR'], 'model.bin').write_bytes(b'1' * 4096)", []),
        ("code", f"pathlib.Path({str(started)!r}).touch()\ntime.sleep(120)", []),
    ]  # fmt: skip
    notebook_factory("slow.ipynb", cells)
    entry = [sys.executable, "-c", "from nbtools.cli.main import main; main()"]
    killed = subprocess.Popen(
        [*entry, "--root", str(tmp_path), "run", "slow.ipynb"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while not started.exists():
            assert killed.poll() is None, "the run ended before its last cell"
            assert time.monotonic() < deadline, "the notebook never reached its last cell"
            time.sleep(0.05)
        (left,) = artifacts_of(killed.pid)
        assert (left / "model.bin").stat().st_size == 4096
    finally:
        os.killpg(killed.pid, signal.SIGKILL)
        killed.wait(30)
    source = KernelSource(prestart=False)
    mine = source.take("python3", tmp_path)  # a live owner's directory: this process's
    try:
        assert set(artifacts_of(os.getpid())) - earlier == {mine.artifacts_dir}
        sweep_leftovers()
        assert left.exists()  # gone only once a minute old: its kernel may still be ending
        assert sweep_leftovers(older_than=0) >= 1
        assert not left.exists()
        assert mine.artifacts_dir.is_dir()
    finally:
        source.retire(mine)
        source.close()
    assert set(artifacts_of(os.getpid())) - earlier == set()
