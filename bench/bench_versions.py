"""Storing notebook versions: nbtools' store against full copies and git, measured in one run.

100 versions of a ~1.9 MiB notebook holding one incompressible PNG output; each version edits
one cell (its source, its printed output and its execution count), as re-running a cell
after an edit does. Printed: size on disk (allocated blocks, as `du`) of our store, of 100
full copies, and of a git repository with the same 100 commits after `git gc` and after
`git gc --aggressive`; and the median time to record one version: ours through the API the
server's save hook calls (in-process, like the server), ours through the CLI (a new process
per version), and `git add && git commit`.

Run: .venv/bin/python bench/bench_versions.py [--versions N]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path
from typing import Any

from nbtools import versioning
from nbtools.project import Project
from nbtools.versioning.files import notebook_bytes

CELLS = 40
CLI_SAMPLES = 10


def random_png(width: int, height: int, seed: int = 0) -> bytes:
    """A valid PNG of random RGB pixels: incompressible, like a busy plot or photo."""
    rng = random.Random(seed)
    rows = b"".join(b"\x00" + rng.randbytes(width * 3) for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )


def code_cell(index: int, revision: int) -> dict[str, Any]:
    source = "\n".join(
        [f"# step {index}: load, clean and summarise (revision {revision})"]
        + [
            f"frame_{index}['col_{k}'] = frame_{index}['col_{k}'].fillna({k + revision})"
            for k in range(8)
        ]
        + [f"summary_{index} = frame_{index}.describe()", f"print(summary_{index})"]
    )
    printed = "".join(
        f"col_{k}  mean={(index * 7 + k + revision) / 3:.4f}  std={k * 1.5:.3f}\n"
        for k in range(20)
    )
    return {
        "id": f"cell-{index:03d}",
        "cell_type": "code",
        "execution_count": index + 1 + revision,
        "metadata": {},
        "source": source,
        "outputs": [{"output_type": "stream", "name": "stdout", "text": printed}],
    }


def base_notebook() -> dict[str, Any]:
    cells = []
    for index in range(CELLS):
        if index % 5 == 0:
            cells.append(
                {
                    "id": f"md-{index:03d}",
                    "cell_type": "markdown",
                    "metadata": {},
                    "source": f"## Section {index // 5}\n\nWhat this part of the analysis does.",
                }
            )
        cells.append(code_cell(index, 0))
    figure = base64.b64encode(random_png(700, 680)).decode() + "\n"
    cells[3]["outputs"].append(
        {
            "output_type": "display_data",
            "metadata": {},
            "data": {"image/png": figure, "text/plain": "<Figure size 700x680>"},
        }
    )
    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python", "version": "3.11.7"},
        },
        "cells": cells,
    }


def revisions(count: int) -> list[bytes]:
    """The notebook file after each of ``count`` one-cell edits."""
    nb = base_notebook()
    code_positions = [i for i, cell in enumerate(nb["cells"]) if cell["cell_type"] == "code"]
    files = []
    for revision in range(1, count + 1):
        position = code_positions[(revision * 7) % len(code_positions)]
        index = int(nb["cells"][position]["id"].split("-")[1])
        edited = code_cell(index, revision)
        edited["outputs"] += nb["cells"][position]["outputs"][1:]  # keep the figure
        nb["cells"][position] = edited
        files.append(notebook_bytes(nb))
    return files


def disk_usage(path: Path) -> int:
    total = 0
    for root, _, names in os.walk(path):
        total += sum(os.lstat(os.path.join(root, name)).st_blocks * 512 for name in names)
    return total


def apparent_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def allocated(size: int, block: int = 4096) -> int:
    return -(-size // block) * block


def bench_ours(files: list[bytes], work: Path) -> dict[str, Any]:
    root = work / "ours"
    root.mkdir()
    project = Project(root)
    assert project.store.revision()  # the store is created and migrated before timing
    target = root / "nb.ipynb"
    times = []
    for data in files:
        target.write_bytes(data)
        start = time.perf_counter()
        versioning.commit(project, "nb.ipynb", data)
        times.append(time.perf_counter() - start)
    assert len(versioning.history(project, "nb.ipynb")) == len(files)
    project.close()  # checkpoints SQLite's write-ahead log into the database file
    store = root / ".nbtools"
    return {
        "times": times,
        "disk": disk_usage(store),
        "apparent": apparent_size(store),
        "database": disk_usage(store) - disk_usage(store / "versions"),
    }


def bench_cli(files: list[bytes], work: Path) -> list[float]:
    root = work / "cli"
    root.mkdir()
    nbtools = [str(Path(sys.executable).parent / "nbtools")]  # this venv's console script
    subprocess.run([*nbtools, "--root", str(root), "status"], check=True, capture_output=True)
    times = []
    for data in files[:CLI_SAMPLES]:
        (root / "nb.ipynb").write_bytes(data)
        start = time.perf_counter()
        subprocess.run(
            [*nbtools, "--root", str(root), "version", "save", "nb.ipynb"],
            check=True,
            capture_output=True,
        )
        times.append(time.perf_counter() - start)
    return times


def bench_git(files: list[bytes], work: Path) -> dict[str, Any]:
    root = work / "git"
    root.mkdir()

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)

    git("init", "-q")
    git("config", "user.name", "bench")
    git("config", "user.email", "bench@example.com")
    git("config", "commit.gpgsign", "false")
    times = []
    for number, data in enumerate(files):
        (root / "nb.ipynb").write_bytes(data)
        start = time.perf_counter()
        git("add", "nb.ipynb")
        git("commit", "-q", "-m", f"version {number}")
        times.append(time.perf_counter() - start)
    before_gc = disk_usage(root / ".git")
    git("gc", "-q")
    after_gc = disk_usage(root / ".git")
    git("gc", "-q", "--aggressive")
    return {
        "times": times,
        "before_gc": before_gc,
        "gc": after_gc,
        "aggressive": disk_usage(root / ".git"),
    }


def mib(size: float) -> str:
    return f"{size / 2**20:8.2f} MiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--versions", type=int, default=100)
    count = parser.parse_args().versions
    files = revisions(count)
    with tempfile.TemporaryDirectory(prefix="bench-versions-") as tmp:
        work = Path(tmp)
        ours = bench_ours(files, work)
        git = bench_git(files, work)
        cli = bench_cli(files, work)
        shutil.rmtree(work / "git")
    one = len(files[-1])
    copies = sum(allocated(len(data)) for data in files)
    aggressive = git["aggressive"]
    print(
        f"Notebook versions: {count} versions of a {one / 2**20:.2f} MiB notebook "
        f"(one incompressible {len(random_png(700, 680)) / 2**20:.2f} MiB PNG), one cell edited per version"
    )
    print()
    print("size on disk (allocated blocks)")
    print(f"  one notebook                     {mib(allocated(one))}")
    print(f"  {count} full copies                 {mib(copies)}")
    print(f"  git, {count} commits, before gc     {mib(git['before_gc'])}")
    print(f"  git after `git gc`               {mib(git['gc'])}")
    print(f"  git after `git gc --aggressive`  {mib(aggressive)}")
    print(
        f"  nbtools store                    {mib(ours['disk'])}   "
        f"({ours['disk'] / aggressive:.2f}x git --aggressive; database {mib(ours['database']).strip()}, "
        f"apparent size {mib(ours['apparent']).strip()})"
    )
    print()
    print("median time to record one version")
    ours_ms = statistics.median(ours["times"]) * 1000
    git_ms = statistics.median(git["times"]) * 1000
    cli_ms = statistics.median(cli) * 1000
    print(
        f"  nbtools commit (server save hook, in-process)  {ours_ms:7.1f} ms  "
        f"(max {max(ours['times']) * 1000:.1f} ms)"
    )
    print(f"  nbtools version save (CLI, new process)        {cli_ms:7.1f} ms  ({len(cli)} runs)")
    print(
        f"  git add && git commit                          {git_ms:7.1f} ms  "
        f"({git_ms / ours_ms:.1f}x the in-process commit)"
    )
    json.dump(
        {
            "versions": count,
            "ours_bytes": ours["disk"],
            "git_aggressive_bytes": aggressive,
            "git_gc_bytes": git["gc"],
            "copies_bytes": copies,
            "ours_ms": ours_ms,
            "git_ms": git_ms,
            "cli_ms": cli_ms,
        },
        sys.stderr,
    )
    sys.stderr.write("\n")


if __name__ == "__main__":
    main()
