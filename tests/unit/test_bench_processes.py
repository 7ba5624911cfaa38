"""The benchmarks' memory sampler counts each address space once."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location(
    "bench_processes", Path(__file__).parents[2] / "bench" / "processes.py"
)
assert _spec is not None
assert _spec.loader is not None
processes = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(processes)


@pytest.mark.skipif(processes.KCMP is None, reason="kcmp(2)'s number is unknown here")
def test_a_thread_shares_its_process_address_space_and_a_child_does_not() -> None:
    started, done = threading.Event(), threading.Event()
    thread_ids: list[int] = []

    def wait() -> None:
        thread_ids.append(threading.get_native_id())
        started.set()
        done.wait()

    thread = threading.Thread(target=wait)
    thread.start()
    started.wait()
    child = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE
    )
    try:
        assert processes.same_address_space(os.getpid(), thread_ids[0])
        assert not processes.same_address_space(os.getpid(), child.pid)
    finally:
        done.set()
        thread.join()
        assert child.stdin is not None
        child.stdin.close()
        child.wait()
