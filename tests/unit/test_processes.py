"""Giving a long-lived process's freed memory back to the system."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from nbtools.processes import release_free_memory

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
