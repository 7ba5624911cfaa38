"""Storing notebook versions: nbtools' store against git, measured in one run, taking turns.

100 versions of a ~1.9 MiB notebook holding one incompressible PNG output; each version edits
one cell (its source, its printed output and its execution count), as re-running a cell
after an edit does. Printed, each with median and spread:
- size on disk (allocated blocks, as `du`) of our store against a git repository holding the
  same 100 commits after `git gc --aggressive` (goal: at most 0.8 of it), with `git gc`,
  no gc and 100 full copies for scale;
- recording one version in process, as the server's save hook does, against an in-process git
  (dulwich: blob, tree and commit objects written to its object store, the branch moved), the
  two taking turns version by version;
- recording one version from the command line, `nbtools version save` (a new process each),
  against `git add && git commit`, taking turns;
- one one-cell edit of a ~20 MiB notebook (eleven incompressible images) recorded in process,
  against dulwich: the cost must follow the change, not the notebook's size (goal ≤ 20 ms).

Run: .venv/bin/python bench/bench_versions.py [--versions N]
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import os
import random
import sqlite3
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
from dulwich.objects import Blob, Commit, Tree
from dulwich.repo import Repo
from figures import Goal, Sample, interleave, report, wall

from nbtools import versioning
from nbtools.project import Project
from nbtools.versioning.files import notebook_bytes

CELLS = 40


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


def base_notebook(count: int = CELLS, images: int = 1) -> dict[str, Any]:
    cells = []
    for index in range(count):
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
    for number in range(images):
        figure = base64.b64encode(random_png(700, 680, seed=number)).decode() + "\n"
        cells[3 + 6 * number]["outputs"].append(
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


def revisions(count: int, nb: dict[str, Any] | None = None) -> list[bytes]:
    """The notebook file after each of ``count`` one-cell edits (of ``nb``, default the
    1.9 MiB one)."""
    nb = nb or base_notebook()
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


class DulwichRepo:
    """An in-process git: each version a blob, a tree and a commit written with dulwich."""

    def __init__(self, root: Path) -> None:
        root.mkdir()
        self.repo = Repo.init(str(root))
        self.head: bytes | None = None

    def commit(self, data: bytes) -> None:
        blob = Blob.from_string(data)
        tree = Tree()
        tree.add(b"nb.ipynb", 0o100644, blob.id)
        commit = Commit()
        commit.tree, commit.parents = tree.id, [self.head] if self.head else []
        commit.author = commit.committer = b"bench <bench@example.com>"
        commit.author_time = commit.commit_time = int(time.time())
        commit.author_timezone = commit.commit_timezone = 0
        commit.message = b"version"
        self.repo.object_store.add_objects([(blob, None), (tree, None), (commit, None)])
        self.repo.refs[b"refs/heads/master"] = commit.id
        self.head = commit.id


class GitRepo:
    """A git repository driven through git's command line, as a user would."""

    def __init__(self, root: Path) -> None:
        root.mkdir()
        self.root = root
        self.git("init", "-q")
        self.git("config", "user.name", "bench")
        self.git("config", "user.email", "bench@example.com")
        self.git("config", "commit.gpgsign", "false")

    def git(self, *args: str) -> None:
        subprocess.run(["git", *args], cwd=self.root, check=True, capture_output=True)

    def commit(self, data: bytes) -> None:
        (self.root / "nb.ipynb").write_bytes(data)
        self.git("add", "nb.ipynb")
        self.git("commit", "-q", "-m", "version")


def ms(action: Callable[[Any], object], data: Any) -> float:
    start = time.perf_counter()
    action(data)
    return (time.perf_counter() - start) * 1000


def saver(project: Project, cpu: list[float] | None = None) -> Callable[[bytes], float]:
    """Milliseconds our save hook takes on a saved notebook: it receives the notebook as the
    ContentsManager parsed it (a dict; the parse and the file write are Jupyter's, untimed).
    The CPU milliseconds of each call are appended to ``cpu`` when given."""

    def save(data: bytes) -> float:
        nb = nbformat.reads(data, as_version=4)  # text as strings, as JupyterLab sends it
        started = time.process_time()
        elapsed = ms(lambda nb: versioning.commit(project, "nb.ipynb", nb), nb)
        if cpu is not None:
            cpu.append((time.process_time() - started) * 1000)
        return elapsed

    return save


def new_project(root: Path) -> Project:
    root.mkdir()
    project = Project(root)
    assert project.store.revision()  # the store is created and migrated before timing
    return project


def in_process(files: list[bytes], work: Path) -> dict[str, Any]:
    """Every version recorded by our save hook, dulwich and git's CLI, taking turns."""
    project = new_project(work / "ours")
    dulwich, git = DulwichRepo(work / "dulwich"), GitRepo(work / "git")
    ours_ms, dulwich_ms, git_ms = [], [], []
    save = saver(project)
    for data in files:
        ours_ms.append(save(data))
        dulwich_ms.append(ms(dulwich.commit, data))
        git_ms.append(ms(git.commit, data))
    assert len(versioning.history(project, "nb.ipynb")) == len(files)
    project.close()  # checkpoints SQLite's write-ahead log into the database file
    store = project.root / ".nbtools"
    sizes = {"ours": disk_usage(store), "apparent": apparent_size(store)}
    sizes["database"] = sizes["ours"] - disk_usage(store / "versions")
    sizes["version_tables"] = version_pages(store / "nbtools.db")
    sizes["before_gc"] = disk_usage(git.root / ".git")
    git.git("gc", "-q")
    sizes["gc"] = disk_usage(git.root / ".git")
    git.git("gc", "-q", "--aggressive")
    sizes["aggressive"] = disk_usage(git.root / ".git")
    return {"ours": ours_ms, "dulwich": dulwich_ms, "git": git_ms, "sizes": sizes}


def version_pages(database: Path) -> int:
    """Bytes of the database's pages holding version data (tables and indexes of notebooks
    and versions); the rest is the schema and the empty tables of other features."""
    with contextlib.closing(sqlite3.connect(database)) as connection:
        rows = connection.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name")
        return sum(size for name, size in rows if "version" in name or "notebook" in name)


def from_cli(files: list[bytes], work: Path, samples: int) -> dict[str, Sample]:
    """`nbtools version save` against `git add && git commit`, taking turns."""
    root = work / "cli"
    root.mkdir()
    git = GitRepo(work / "cli-git")
    save = [str(Path(sys.executable).parent / "nbtools"), "--root", str(root), "version", "save"]
    versions = iter(files)

    def ours() -> float:
        (root / "nb.ipynb").write_bytes(next(versions))
        return wall([*save, "nb.ipynb"])() * 1000

    return interleave(
        {"ours": ours, "git": lambda: ms(git.commit, (root / "nb.ipynb").read_bytes())}, samples
    )


def big_edit(work: Path, edits: int) -> tuple[int, dict[str, Sample], Sample]:
    """One-cell edits of a ~20 MiB notebook: our save hook against dulwich, taking turns."""
    files = revisions(edits + 1, base_notebook(CELLS * 4, images=11))
    project = new_project(work / "big")
    dulwich = DulwichRepo(work / "big-dulwich")
    cpu: list[float] = []
    save = saver(project, cpu)
    save(files[0])
    dulwich.commit(files[0])
    versions = iter(files[1:])
    current = [b""]

    def ours() -> float:
        current[0] = next(versions)
        return save(current[0])

    found = interleave({"ours": ours, "dulwich": lambda: ms(dulwich.commit, current[0])}, edits,
                       warmup=0)  # fmt: skip
    project.close()
    return len(files[0]), found, Sample.of(cpu[1:])  # the first save is not an edit


def mib(size: float) -> float:
    return size / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--versions", type=int, default=100)
    parser.add_argument("--cli", type=int, default=10, help="versions saved through the CLI")
    args = parser.parse_args()
    count = args.versions
    files = revisions(count)
    with tempfile.TemporaryDirectory(prefix="bench-versions-") as tmp:
        work = Path(tmp)
        found = in_process(files, work)
        cli = from_cli(files, work, args.cli)
        big_size, big, big_cpu = big_edit(work, 9)
    sizes = found["sizes"]
    one = len(files[-1])
    print(
        f"bench_versions: {count} versions of a {mib(one):.2f} MiB notebook (one incompressible "
        f"{mib(len(random_png(700, 680))):.2f} MiB PNG), one cell edited per version"
    )
    state = (
        f"{count} versions; allocated blocks; our database {mib(sizes['database']):.2f} MiB "
        f"(version tables {mib(sizes['version_tables']):.2f} MiB, the rest the schema and the "
        f"empty tables of other features), apparent size of the store "
        f"{mib(sizes['apparent']):.2f} MiB"
    )
    report(
        "size on disk vs `git gc --aggressive`",
        Sample.of([mib(sizes["ours"])]),
        unit="MiB",
        anchor=Sample.of([mib(sizes["aggressive"])]),
        anchor_name="git gc --aggressive",
        goals=[Goal("ratio", "<=", 0.8)],
        state=state,
    )
    image = len(random_png(700, 680))
    report(
        "size on disk above the incompressible image vs `git gc --aggressive`",
        Sample.of([mib(sizes["ours"] - image)]),
        unit="MiB",
        anchor=Sample.of([mib(sizes["aggressive"] - image)]),
        anchor_name="git gc --aggressive",
        goals=[Goal("ratio", "<=", 0.8)],
        state=f"both sizes less the {mib(image):.2f} MiB PNG no store can shrink (the floor)",
    )
    report(
        "size on disk vs `git gc`",
        Sample.of([mib(sizes["ours"])]),
        unit="MiB",
        anchor=Sample.of([mib(sizes["gc"])]),
        anchor_name="git gc",
        state=f"for scale: git before gc {mib(sizes['before_gc']):.1f} MiB, {count} full copies "
        f"{mib(sum(allocated(len(data)) for data in files)):.1f} MiB",
    )
    report(
        "record one version in process (the server's save hook) vs dulwich",
        Sample.of(found["ours"]),
        unit="ms",
        anchor=Sample.of(found["dulwich"]),
        anchor_name="dulwich",
        state="both warm: store/repository open in a running process, taking turns per version",
    )
    report(
        "`nbtools version save` (CLI) vs `git add && git commit`",
        cli["ours"],
        unit="ms",
        anchor=cli["git"],
        anchor_name="git CLI",
        state="both cold: new processes per version, store/repository existing",
    )
    report(
        f"one-cell edit of a {mib(big_size):.0f} MiB notebook, in process vs dulwich",
        big["ours"],
        unit="ms",
        anchor=big["dulwich"],
        anchor_name="dulwich",
        goals=[Goal("ours", "<=", 20, "ms")],
        state="warm: the previous version recorded by the same process just before",
    )
    report(
        "  the same, CPU time of the process (what the machine's load does not inflate)",
        big_cpu,
        unit="ms",
        state="the save hook's own work, on one core",
    )


if __name__ == "__main__":
    main()
