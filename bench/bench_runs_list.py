"""Benchmark: the runs list — a page of 1000 runs with 10,000 runs stored (goal ≤ 50 ms).

Half of the runs have a stored notebook version and environment snapshot (their lineage is
looked up), half have ids the store no longer has. Measured, median and spread (min to max) of N,
warm (the store open, one call made before measuring):
  1. in process, what the handler and ``nbtools runs list --json`` do: ``jobs.list_runs``
     (a fixed number of queries) and ``json.dumps``;
  2. the same page with the lineage looked up run by run (the N+1 this replaced), for scale;
  3. through a real Jupyter server: ``GET /nbtools/api/runs?limit=1000`` (HTTP included).

Run: .venv/bin/python bench/bench_runs_list.py [--runs 15] [--stored 10000]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench_runs import Server  # a Jupyter server subprocess with a token

from nbtools import jobs, versioning
from nbtools.envsnap.model import Snapshot
from nbtools.envsnap.snapshots import save_snapshot
from nbtools.jobs.models import SUCCEEDED
from nbtools.jobs.runs import list_runs, new_run
from nbtools.jobs.views import run_summaries
from nbtools.jsonvalues import json_default
from nbtools.project import Project
from nbtools.store.base import utcnow

BIN = Path(sys.executable).parent
PAGE = 1000
GOAL_MS = 50.0
NOTEBOOK = {
    "nbformat": 4,
    "nbformat_minor": 5,
    "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
    "cells": [{"id": "a", "cell_type": "code", "source": "x = 1", "metadata": {}, "outputs": []}],
}


def seed(project: Project, count: int) -> None:
    content = json.dumps(NOTEBOOK).encode()
    (project.root / "nb.ipynb").write_bytes(content)
    version = versioning.commit(project, "nb.ipynb", content)
    snapshot = save_snapshot(
        project, Snapshot("kernel", "python3", (), python={"version": "3.11.7"})
    )
    with project.store.session(write=True) as session:
        for index in range(count):
            stored = index % 2 == 0
            run = new_run(
                None,
                trigger="bench",
                notebook_path="nb.ipynb",
                parameters={"i": index},
                notebook_version_id=version.id if stored else 1_000_000 + index,
                env_snapshot_id=snapshot.id if stored else f"{index:064x}",
            )
            run.status, run.started_at, run.finished_at = SUCCEEDED, utcnow(), utcnow()
            session.add(run)


def sample(runs: int, measure: Callable[[], object]) -> list[float]:
    measure()  # warm
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        measure()
        times.append((time.perf_counter() - start) * 1000)
    return times


def line(label: str, times: list[float], goal: float | None = None) -> str:
    median = statistics.median(times)
    met = (
        "" if goal is None else f"  goal ≤ {goal:.0f} ms: {'met' if median <= goal else 'NOT met'}"
    )
    return f"  {label:<44} median {median:8.1f} ms  spread {min(times):7.1f} to {max(times):7.1f} ms{met}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--stored", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-runs-list-") as scratch:
        root = Path(scratch)
        project = Project(root)
        try:
            seed(project, args.stored)

            def page() -> str:
                return json.dumps(jobs.list_runs(project, limit=PAGE), default=json_default)

            def run_by_run() -> str:
                with project.store.session() as session:
                    found = list_runs(session, limit=PAGE)
                    models = [run_summaries(project, session, [run])[0] for run in found]
                return json.dumps(models, default=json_default)

            in_process = sample(args.runs, page)
            one_by_one = sample(args.runs, run_by_run)
        finally:
            project.close()
        server = Server(
            BIN / "jupyter", root, "--ServerApp.jpserver_extensions={'jupyter_nbtools': True}"
        )
        try:
            rest = sample(args.runs, lambda: server.call("GET", f"/nbtools/api/runs?limit={PAGE}"))
        finally:
            server.stop()
    print(
        f"bench_runs_list: a page of {PAGE} runs, {args.stored} stored (SQLite), warm; "
        f"{args.runs} samples; {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}"
    )
    print(line("jobs.list_runs + JSON (in process)", in_process, GOAL_MS))
    print(line("  the same, lineage run by run (old N+1)", one_by_one))
    print(line("GET /nbtools/api/runs?limit=1000 (HTTP)", rest, GOAL_MS))


if __name__ == "__main__":
    main()
