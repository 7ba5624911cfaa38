"""Killing a process tree and its groups; giving a long-lived process's freed memory back to
the system."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import psutil
import pytest

from nbtools.processes import kill_tree, release_free_memory

ROLLUP = Path("/proc/self/smaps_rollup")


def private_dirty() -> int:
    """Bytes of this process's memory written by it alone."""
    for line in ROLLUP.read_text().splitlines():
        if line.startswith("Private_Dirty:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no Private_Dirty line")


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or not ROLLUP.exists(), reason="glibc and /proc only"
)
def test_memory_freed_between_live_blocks_goes_back_to_the_system() -> None:
    # 2 KiB blocks come from malloc (not Python's small-object arenas); keeping every 64th
    # pins the heap, so freeing the rest leaves ~50 MiB free inside it, which glibc keeps.
    blocks = [bytes(2048) for _ in range(25_000)]
    kept = blocks[::64]
    del blocks
    before = private_dirty()
    release_free_memory()
    assert before - private_dirty() > 20 * 2**20
    assert len(kept) == 391  # the live blocks are still there


def test_kill_tree_returns_once_a_groups_orphaned_members_are_gone() -> None:
    """A process of a killed group that is no one's descendant any more (its parent, the
    kernel, died first) is ended before kill_tree returns, not merely signalled."""
    marker = f"nbtools-test-{uuid.uuid4().hex}"
    leader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import subprocess, sys\n"
            "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)', "
            f"{marker!r}])\n"
            "print(child.pid, flush=True)",
        ],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert leader.stdout is not None
    child = int(leader.stdout.readline())
    assert leader.wait(timeout=30) == 0  # the leader is gone: its child is an orphan
    try:
        kill_tree(None, [leader.pid])
        assert not running(child)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signal.SIGKILL)


def test_kill_tree_of_a_child_reaps_it_and_leaves_this_process_group_alone() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
    kill_tree(child.pid, [os.getpgrp(), 0, 1])
    assert not psutil.pid_exists(child.pid)


def running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
