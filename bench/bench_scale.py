"""Benchmark: 100 trivial runs through each scale-out set-up, beside papermill's CLI.

Runs are due at a steady 150 per minute (one every 0.4 s, above the 120/min target), so
the figures show whether a set-up keeps up:
  1. one scheduler with the local executor (2 warm workers), SQLite — the default;
  2. one scheduler with the Dask executor on a LocalCluster of 2 worker processes, PostgreSQL;
  3. two `nbtools scheduler` processes (default: 2 workers each) sharing one PostgreSQL database.
Printed for each: job starts per minute (first → last start), completed jobs per minute
(first due → last finished), scheduling latency due → started (median, p99), the share of
due → finished spent outside the notebook's cells, and duplicates (a run executed twice:
every execution appends its run's token to a log). The anchor, measured in the same run:
papermill's CLI, 10 runs two at a time. No figure is asserted.
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
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from nbtools.jobs import runs  # noqa: E402
from nbtools.jobs.models import Run  # noqa: E402
from nbtools.project import Project  # noqa: E402
from nbtools.store.base import utcnow  # noqa: E402

ARRIVAL_SECONDS = 0.4  # 150 runs due per minute
POLL = 0.2
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
    notebook = runs.output_files(run).get("notebook")
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
        "starts_per_min": (len(starts) - 1) / (starts[-1] - starts[0]).total_seconds() * 60,
        "jobs_per_min": len(ends) / (max(ends) - min(dues)).total_seconds() * 60,
        "latency_median": statistics.median(latency),
        "latency_p99": latency[min(len(latency) - 1, int(len(latency) * 0.99))],
        "outside_share": statistics.mean(outside),
        "duplicates": sum(count - 1 for count in executions.values() if count > 1),
    }


def measure(project: Project, count: int) -> dict[str, Any]:
    """Two warm-up runs, then ``count`` runs at the steady arrival rate."""
    wait_finished(project, queue_due(project, 2, 0, 0))
    (project.root / "executions.log").unlink(missing_ok=True)
    return figures(project, wait_finished(project, queue_due(project, count, 1.0, ARRIVAL_SECONDS)))


@contextmanager
def scheduler_thread(project: Project, executor: Any) -> Iterator[None]:
    from nbtools.jobs.scheduler import Scheduler

    scheduler = Scheduler(project, executor, poll_seconds=POLL)
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
    command += ["--db-url", db_url, "scheduler", "--poll", str(POLL)]
    daemons = [subprocess.Popen(command, stderr=subprocess.DEVNULL) for _ in range(2)]
    try:
        return measure(project, count)
    finally:
        for daemon in daemons:
            daemon.terminate()
        for daemon in daemons:
            daemon.wait(30)


def papermill_anchor(count: int = 10, parallel: int = 2) -> float:
    """papermill's CLI, ``parallel`` at a time: completed jobs per minute."""
    root = Path(tempfile.mkdtemp(prefix="nbtools-scale-pm-"))
    (root / "bench.ipynb").write_text(json.dumps(NOTEBOOK))
    papermill = str(Path(sys.executable).parent / "papermill")

    def one(index: int) -> None:
        subprocess.run(
            [papermill, "bench.ipynb", f"out-{index}.ipynb", "-p", "token", str(index),
             "--no-progress-bar"],
            cwd=root, check=True, capture_output=True,
        )  # fmt: skip

    start = time.perf_counter()
    with ThreadPoolExecutor(parallel) as pool:
        list(pool.map(one, range(count)))
    elapsed = time.perf_counter() - start
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
    anchor = papermill_anchor()
    with postgres(args.db_url) as database:
        results = {
            "local executor, 1 scheduler, SQLite": local_executor(args.runs, ""),
            "Dask LocalCluster (2 workers), PostgreSQL": dask_cluster(args.runs, database("dask")),
            "2 schedulers (2 workers each), PostgreSQL": two_schedulers(args.runs, database("two")),
        }
    print(f"\n{args.runs} trivial runs due at 150/min; poll {POLL} s; 2 cores")
    print(f"  anchor: papermill CLI, 10 runs 2 at a time: {anchor:.1f} jobs/min\n")
    header = ("starts/min", "jobs/min", "lat. p50 s", "lat. p99 s", "outside", "dupes")
    print(f"  {'set-up':<44}" + "".join(f"{h:>11}" for h in header))
    for name, got in results.items():
        cells = (
            f"{got['starts_per_min']:.1f}",
            f"{got['jobs_per_min']:.1f}",
            f"{got['latency_median']:.3f}",
            f"{got['latency_p99']:.3f}",
            f"{got['outside_share']:.1%}",
            str(got["duplicates"]),
        )
        print(f"  {name:<44}" + "".join(f"{cell:>11}" for cell in cells), got["statuses"])
    two = results["2 schedulers (2 workers each), PostgreSQL"]
    print(
        f"\n  2 schedulers on PostgreSQL: {two['starts_per_min']:.1f} starts/min "
        f"(target ≥ 120), {two['duplicates']} duplicates (target 0); "
        f"{two['jobs_per_min'] / anchor:.1f}x papermill CLI's jobs/min"
    )


if __name__ == "__main__":
    main()
