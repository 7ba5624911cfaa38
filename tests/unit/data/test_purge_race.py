"""Two ``data usage NAME --purge`` of one dataset at once, each in its own process: each lists
(in its answer and its audit entry) only what it erased itself."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from nbtools import audit
from nbtools.project import Project
from tests.conftest import kill_tree, opened_for_writing
from tests.held import Stop, fifo, start
from tests.purge_support import add_run, customers_project


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    yield from customers_project(tmp_path)  # the project's own SQLite store: what
    # `nbtools --root` finds in each process


def finished(process: subprocess.Popen[bytes]) -> dict[str, object]:
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, (out + err).decode()
    answer: dict[str, object] = json.loads(out)
    return answer


@pytest.mark.slow
def test_the_second_of_two_purges_at_once_lists_only_what_it_erased(project: Project) -> None:
    """Before, both listed every run in their answer and audit entry: each had read the runs
    to purge before either marked them."""
    runs = [add_run(project, "customers"), add_run(project, "customers")]
    purge = ("data", "usage", "customers", "--purge", "--yes", "--json")
    pipes = [fifo(project.root / "first"), fifo(project.root / "second")]
    # each held at its first deletion (an artifact's file), once it has read what to purge
    first, second = (
        start(project.root, *purge, stop=Stop("os.remove", "model.bin", fifo=pipe))
        for pipe in pipes
    )
    try:
        writers = [opened_for_writing(pipes[0], first), opened_for_writing(pipes[1], second)]
        os.close(writers[0])  # both have read the same runs: the first goes on, to its end
        first_answer = finished(first)
        os.close(writers[1])
        second_answer = finished(second)
    finally:
        for process in (first, second):
            if process.poll() is None:
                kill_tree(process.pid)
                process.wait()

    assert first_answer["runs"] == runs
    assert len(first_answer["deleted"]) == 4  # (each run's notebook and artifact)
    assert (second_answer["runs"], second_answer["deleted"]) == ([], [])
    entries = audit.list_entries(project, action="dataset.purge")
    assert [entry.summary for entry in reversed(entries)] == [
        {"files_deleted": 4, "runs": runs},
        {"files_deleted": 0, "runs": []},
    ]
