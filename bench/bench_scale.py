"""Benchmark: capacity of each scale-out set-up with its queue full, beside papermill's CLI.

N trivial runs are all due at once (the queue full), so the figures show what a set-up can do,
not the arrival rate:
  1. one scheduler with the local executor (2 warm workers), SQLite - the default;
  2. one scheduler with the Dask executor on a LocalCluster of 2 worker processes, PostgreSQL;
  3. two `nbtools scheduler` processes (default: 2 workers each) sharing one PostgreSQL database.
Every scheduler uses the default poll interval. Printed for each: capacity (completed runs per
minute, first start → last result), scheduling latency due → started (median, p99), the share
of the time outside the notebook's cells, and duplicates (a run executed twice: every
execution appends its run's token to a log). The anchor: papermill's CLI, 10 runs two at a
time, as installed and lean (bench/anchors.py), measured before each set-up (taking turns).
Run: .venv/bin/python bench/bench_scale.py [--runs N] [--db-url postgresql+psycopg://…]
(without --db-url a throw-away PostgreSQL server is started from Debian's binaries).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from anchors import PAPERMILL, PAPERMILL_LEAN, papermill_parallel
from figures import Goal, Sample, report

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from nbtools.jobs import run_files, runs  # noqa: E402
from nbtools.jobs.config import JobsSettings  # noqa: E402
from nbtools.jobs.scheduler import POLL_SECONDS  # noqa: E402
from nbtools.jobs.tables import Run  # noqa: E402
from nbtools.project import Project  # noqa: E402
from nbtools.store.base import utcnow  # noqa: E402

PER_MINUTE = "runs/min"
NOTEBOOK = {
    "nbformat": 4,
    "nbformat_minor": 5,
    "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    "cells": [
        {"id": "p", "cell_type": "code", "metadata": {"tags": ["parameters"]},
         "source": "token = 0", "outputs": [], "execution_count": None},
        {"id": "w", "cell_type": "code", "metadata": {},
         "source": "with open('executions.log', 'a') as log:\n    log.write(f'{token}\\n')\nprint(token * 2)",
         "outputs": [], "execution_count": None},
    ],
}  # fmt: skip


def workdir(db_url: str = "") -> Project:
    root = Path(tempfile.mkdtemp(prefix="nbtools-scale-"))
    (root / "bench.ipynb").write_text(json.dumps(NOTEBOOK))
    project = Project(root, db_url=db_url)
    project.store  # noqa: B018 - create and migrate before any scheduler starts
    return project


def queue_due(project: Project, count: int, first_due_in: float, spacing: float) -> list[int]:
    """Queue ``count`` runs due one every ``spacing`` seconds from ``first_due_in`` on."""
    start = utcnow() + timedelta(seconds=first_due_in)
    with project.store.session(write=True) as session:
        queued = [
            runs.new_run(
                None,
                trigger="bench",
                notebook_path="bench.ipynb",
                parameters={"token": index},
                not_before=start + timedelta(seconds=index * spacing),
            )
            for index in range(count)
        ]
        session.add_all(queued)
        session.flush()
        return [run.id for run in queued]


def wait_finished(project: Project, run_ids: list[int], timeout: float = 600) -> list[Run]:
    deadline = time.monotonic() + timeout
    while True:
        with project.store.session() as session:
            found = [runs.get_run(session, run_id) for run_id in run_ids]
        if all(run.finished_at is not None for run in found):
            return found
        if time.monotonic() > deadline:
            raise RuntimeError("runs did not finish in time")
        time.sleep(0.2)


def cell_seconds(project: Project, run: Run) -> float:
    """Time spent executing the notebook's cells, from papermill's per-cell durations."""
    notebook = run_files.output_files(run).get("notebook")
    if notebook is None:
        return 0.0
    cells = json.loads(notebook.read_bytes())["cells"]
    return sum(cell["metadata"].get("papermill", {}).get("duration") or 0.0 for cell in cells)


def figures(project: Project, finished: list[Run]) -> dict[str, Any]:
    statuses = Counter(run.status for run in finished)
    starts = sorted(run.started_at for run in finished if run.started_at)
    ends = [run.finished_at for run in finished if run.finished_at]
    dues = [run.not_before for run in finished if run.not_before]
    latency = sorted(
        (run.started_at - run.not_before).total_seconds()
        for run in finished
        if run.started_at and run.not_before
    )
    outside = [
        1 - cell_seconds(project, run) / (run.finished_at - run.not_before).total_seconds()
        for run in finished
        if run.finished_at and run.not_before
    ]
    log = project.root / "executions.log"
    executions = Counter(log.read_text().split()) if log.exists() else Counter()
    return {
        "statuses": dict(statuses),
        "capacity": len(ends) / (max(ends) - starts[0]).total_seconds() * 60,
        "jobs_per_min": len(ends) / (max(ends) - min(dues)).total_seconds() * 60,
        "latency_median": statistics.median(latency),
        "latency_p99": latency[min(len(latency) - 1, int(len(latency) * 0.99))],
        "outside_share": statistics.mean(outside),
        "duplicates": sum(count - 1 for count in executions.values() if count > 1),
    }


def measure(project: Project, count: int) -> dict[str, Any]:
    """Two warm-up runs, then ``count`` runs due at once (the queue full)."""
    wait_finished(project, queue_due(project, 2, 0, 0))
    (project.root / "executions.log").unlink(missing_ok=True)
    return figures(project, wait_finished(project, queue_due(project, count, 0, 0)))


@contextmanager
def scheduler_thread(project: Project, executor: Any) -> Iterator[None]:
    from nbtools.jobs.scheduler import Scheduler

    scheduler = Scheduler(project, executor, poll_seconds=POLL_SECONDS)
    stop = threading.Event()
    thread = threading.Thread(target=scheduler.run_forever, args=(stop,), daemon=True)
    executor.start()
    thread.start()
    try:
        yield
    finally:
        stop.set()
        scheduler.wake()
        thread.join(30)
        executor.shutdown()


def local_executor(count: int, _: str) -> dict[str, Any]:
    from nbtools.jobs.executors.local import LocalExecutor

    project = workdir()
    with scheduler_thread(project, LocalExecutor(2, cwd=project.root)):
        return measure(project, count)


def dask_cluster(count: int, db_url: str) -> dict[str, Any]:
    from distributed import LocalCluster

    from nbtools.jobs.executors.dask import DaskExecutor

    project = workdir(db_url)
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        executor = DaskExecutor(cwd=project.root, dask_address=cluster.scheduler_address)
        with scheduler_thread(project, executor):
            return measure(project, count)


def two_schedulers(count: int, db_url: str) -> dict[str, Any]:
    project = workdir(db_url)
    command = [sys.executable, "-m", "nbtools.cli.main", "--root", str(project.root)]
    command += ["--db-url", db_url, "scheduler"]
    daemons = [subprocess.Popen(command, stderr=subprocess.DEVNULL) for _ in range(2)]
    try:
        return measure(project, count)
    finally:
        for daemon in daemons:
            daemon.terminate()
        for daemon in daemons:
            daemon.wait(30)


def papermill_anchor(flavour: str, count: int = 10, parallel: int = 2) -> float:
    """papermill's CLI, ``parallel`` at a time: completed runs per minute."""
    root = Path(tempfile.mkdtemp(prefix="nbtools-scale-pm-"))
    (root / "bench.ipynb").write_text(json.dumps(NOTEBOOK))
    elapsed = papermill_parallel(flavour, root, count, "token", parallel)
    shutil.rmtree(root, ignore_errors=True)
    return count / elapsed * 60


@contextmanager
def postgres(db_url: str) -> Iterator[Callable[[str], str]]:
    """Databases on the given server, or on a throw-away one."""
    if db_url:
        yield lambda name: db_url
        return
    from tests.postgres import PostgresServer, find_bindir

    bindir = find_bindir()
    if bindir is None:
        raise SystemExit("PostgreSQL not found: `make postgres`, or pass --db-url.")
    server = PostgresServer(bindir)
    server.start()
    try:
        yield server.create_database
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100, help="runs per set-up")
    parser.add_argument("--db-url", default="", help="an empty PostgreSQL database to use")
    args = parser.parse_args()
    anchors: dict[str, list[float]] = {PAPERMILL: [], PAPERMILL_LEAN: []}
    results: dict[str, dict[str, Any]] = {}
    with postgres(args.db_url) as database:
        setups: dict[str, Callable[[], dict[str, Any]]] = {
            "local executor, 1 scheduler, SQLite": lambda: local_executor(args.runs, ""),
            "Dask LocalCluster (2 workers), PostgreSQL": lambda: dask_cluster(
                args.runs, database("dask")
            ),
            "2 schedulers (2 workers each), PostgreSQL": lambda: two_schedulers(
                args.runs, database("two")
            ),
        }
        for name, measure in setups.items():  # the anchors and the set-ups take turns
            for flavour, rates in anchors.items():
                rates.append(papermill_anchor(flavour))
            results[name] = measure()
    lean = Sample.of(anchors[PAPERMILL_LEAN])
    print(
        f"\nbench_scale: {args.runs} trivial runs due at once per set-up; default poll "
        f"{POLL_SECONDS} s; papermill: 10 CLI runs 2 at a time, each cold "
        f"(as installed: {Sample.of(anchors[PAPERMILL]).show()} {PER_MINUTE})"
    )
    print("kernel zygote (c.JobsSettings.kernel_zygote):", JobsSettings.kernel_zygote.default_value)
    for name, got in results.items():
        report(
            f"capacity with the queue full: {name}",
            Sample.of([got["capacity"]]),
            unit=PER_MINUTE,
            anchor=lean,
            anchor_name=PAPERMILL_LEAN,
            goals=[Goal("ours", ">=", 120, PER_MINUTE)] if "2 schedulers" in name else [],
            state=f"warm workers; first start → last result; latency due → start p50 "
            f"{got['latency_median']:.2f} s, p99 {got['latency_p99']:.2f} s; outside cells "
            f"{got['outside_share']:.0%}; {got['duplicates']} duplicates; {got['statuses']}",
        )
    two = results["2 schedulers (2 workers each), PostgreSQL"]
    report(
        "runs executed twice, 2 schedulers on PostgreSQL",
        Sample.of([two["duplicates"]]),
        unit="runs",
        goals=[Goal("ours", "<=", 0)],
        state=f"{args.runs} runs due at once",
    )


if __name__ == "__main__":
    main()
