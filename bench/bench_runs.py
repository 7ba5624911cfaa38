"""Benchmark: notebook runs through nbtools beside papermill's CLI and jupyter-scheduler.

One trivial parametrized notebook, measured in the same run for every tool:
  1. one run, trigger → result: papermill CLI (cold), jupyter-scheduler (POST → COMPLETED),
     nbtools through the REST API and through the `nbtools scheduler` daemon;
  2. 20 runs: papermill CLI two at a time vs nbtools (all submitted at once);
  3. a burst of 10 submitted at once: time to the first and last result and the peak memory
     (RSS summed over the server's process tree) of jupyter-scheduler and nbtools.
jupyter-scheduler is installed into its own venv (~/.cache/nbtools-bench) on first use.
Run: .venv/bin/python bench/bench_runs.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import psutil

BIN = Path(sys.executable).parent
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "nbtools-bench"
SCHEDULER_VENV = CACHE / "jupyter-scheduler"
TOKEN = "nbtools-bench"
NOTEBOOK = {
    "nbformat": 4,
    "nbformat_minor": 5,
    "metadata": {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
    },
    "cells": [
        {
            "id": "p",
            "cell_type": "code",
            "metadata": {"tags": ["parameters"]},
            "source": "x = 1",
            "outputs": [],
            "execution_count": None,
        },
        {
            "id": "w",
            "cell_type": "code",
            "metadata": {},
            "source": "y = x * 2\nprint(y)",
            "outputs": [],
            "execution_count": None,
        },
    ],
}


def workdir() -> Path:
    root = Path(tempfile.mkdtemp(prefix="nbtools-bench-"))
    (root / "bench.ipynb").write_text(json.dumps(NOTEBOOK))
    return root


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class MemorySampler(threading.Thread):
    """Peak RSS summed over a process and all its descendants, sampled every 20 ms."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.root, self.peak, self._stop_event = psutil.Process(pid), 0, threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(0.02):
            total = 0
            for process in [self.root, *self.root.children(recursive=True)]:
                with suppress(psutil.NoSuchProcess):
                    total += process.memory_info().rss
            self.peak = max(self.peak, total)

    def stop(self) -> int:
        self._stop_event.set()
        self.join()
        return self.peak


class Server:
    """A Jupyter server subprocess with a token, and JSON calls to it."""

    def __init__(self, jupyter: Path, root: Path, *args: str) -> None:
        self.port, self.root = free_port(), root
        self.process = subprocess.Popen(
            [
                str(jupyter),
                "server",
                "--no-browser",
                "--allow-root",
                f"--port={self.port}",
                f"--ServerApp.token={TOKEN}",
                f"--ServerApp.root_dir={root}",
                *args,
            ],
            stdout=subprocess.DEVNULL,
            stderr=(root / "server.log").open("wb"),
            cwd=root,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                self.call("GET", "/api/status")
                return
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError(f"{jupyter} server did not start") from None
                time.sleep(0.1)

    def call(self, method: str, path: str, body: Any = None) -> Any:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}",
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"token {TOKEN}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            raw = response.read()
        return json.loads(raw) if raw else None

    def stop(self) -> None:
        children = psutil.Process(self.process.pid).children(recursive=True)
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
        for child in children:
            if child.is_running():
                child.kill()


def wait_all(check: Callable[[Any], str | None], handles: list[Any], start: float) -> list[float]:
    """Poll until every handle has a final state; returns seconds to each result."""
    done: dict[int, float] = {}
    while len(done) < len(handles):
        for index, handle in enumerate(handles):
            if index not in done:
                state = check(handle)
                if state is not None:
                    if state not in ("succeeded", "COMPLETED"):
                        raise RuntimeError(f"run ended {state}")
                    done[index] = time.perf_counter() - start
        time.sleep(0.02)
    return sorted(done.values())


# --- nbtools -----------------------------------------------------------------------------


class Nbtools:
    """nbtools' server with its in-process scheduler (2 warm workers on 2 cores)."""

    def __init__(self) -> None:
        self.root = workdir()
        self.server = Server(
            BIN / "jupyter",
            self.root,
            "--ServerApp.jpserver_extensions={'jupyter_nbtools': True}",
            "--JobsSettings.workers=2",
        )
        self.submit_all(1)
        self.results(self.submit_all(2), time.perf_counter())  # warm the pool
        time.sleep(3)

    def submit_all(self, count: int) -> list[int]:
        return [
            self.server.call(
                "POST",
                "/nbtools/api/runs",
                {"notebook_path": "bench.ipynb", "parameters": {"x": i}},
            )["id"]
            for i in range(count)
        ]

    def state(self, run_id: int) -> str | None:
        run = self.server.call("GET", f"/nbtools/api/runs/{run_id}")
        if run["status"] in ("failed", "timed_out", "cancelled"):
            raise RuntimeError(f"nbtools run {run_id} {run['status']}: {run['error']}")
        return run["status"] if run["finished_at"] else None

    def results(self, run_ids: list[int], start: float) -> list[float]:
        return wait_all(self.state, run_ids, start)

    def one(self) -> float:
        time.sleep(1.5)  # a trigger on an idle system (as the papermill CLI's cold run)
        start = time.perf_counter()
        return self.results(self.submit_all(1), start)[0]

    def batch(self, count: int) -> tuple[list[float], int]:
        sampler = MemorySampler(self.server.process.pid)
        sampler.start()
        start = time.perf_counter()
        times = self.results(self.submit_all(count), start)
        return times, sampler.stop()

    def stop(self) -> None:
        self.server.stop()
        shutil.rmtree(self.root, ignore_errors=True)


def nbtools_daemon_one(repeats: int) -> float:
    """Trigger (a queued run row, as `nbtools runs rerun` makes) → succeeded, via the daemon."""
    from nbtools.jobs.submit import queue_run
    from nbtools.project import Project

    root = workdir()
    project = Project(root)
    project.store  # noqa: B018
    daemon = subprocess.Popen(
        [
            str(BIN / "nbtools"),
            "--root",
            str(root),
            "scheduler",
            "--workers",
            "2",
            "--poll",
            "0.05",
        ],
        stderr=subprocess.DEVNULL,
    )
    try:

        def state(run_id: int) -> str | None:
            from nbtools.jobs.runs import get_run

            with project.store.session() as session:
                run = get_run(session, run_id)
            return run.status if run.finished_at else None

        wait_all(state, [queue_run(project, "bench.ipynb", {"x": 0}).id], time.perf_counter())
        time.sleep(3)
        samples = []
        for i in range(repeats):
            start = time.perf_counter()
            samples += wait_all(state, [queue_run(project, "bench.ipynb", {"x": i}).id], start)
            time.sleep(1)
        return statistics.median(samples)
    finally:
        tree = psutil.Process(daemon.pid).children(recursive=True)
        daemon.terminate()
        daemon.wait(15)
        for child in tree:
            if child.is_running():
                child.kill()
        project.close()
        shutil.rmtree(root, ignore_errors=True)


# --- papermill CLI -----------------------------------------------------------------------


def papermill_once(root: Path, index: int) -> float:
    start = time.perf_counter()
    subprocess.run(
        [
            str(BIN / "papermill"),
            "bench.ipynb",
            f"out-{index}.ipynb",
            "-p",
            "x",
            str(index),
            "--no-progress-bar",
        ],
        cwd=root,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - start


def papermill_parallel(count: int, parallel: int) -> float:
    root = workdir()
    start = time.perf_counter()
    with ThreadPoolExecutor(parallel) as pool:
        list(pool.map(lambda i: papermill_once(root, i), range(count)))
    shutil.rmtree(root, ignore_errors=True)
    return time.perf_counter() - start


# --- jupyter-scheduler -------------------------------------------------------------------


def scheduler_venv() -> Path:
    jupyter = SCHEDULER_VENV / "bin" / "jupyter"
    if not jupyter.exists():
        print("installing jupyter-scheduler into", SCHEDULER_VENV, "(once)", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(SCHEDULER_VENV)], check=True)
        subprocess.run(
            [
                str(SCHEDULER_VENV / "bin" / "pip"),
                "install",
                "-q",
                "jupyter_scheduler==2.12.1",
                "ipykernel",
            ],
            check=True,
        )
    return jupyter


class JupyterScheduler:
    def __init__(self) -> None:
        self.root = workdir()
        self.server = Server(
            scheduler_venv(),
            self.root,
            f"--SchedulerApp.db_url=sqlite:///{self.root / 'scheduler.sqlite'}",
        )

    def submit_all(self, count: int) -> list[str]:
        return [
            self.server.call(
                "POST",
                "/scheduler/jobs",
                {
                    "input_uri": "bench.ipynb",
                    "runtime_environment_name": "python3",
                    "name": f"bench-{i}",
                    "output_formats": ["ipynb"],
                    "parameters": {"x": str(i)},
                },
            )["job_id"]
            for i in range(count)
        ]

    def state(self, job_id: str) -> str | None:
        job = self.server.call("GET", f"/scheduler/jobs/{job_id}")
        # A new job reads STOPPED (the column default) until its process starts.
        final = job["status"] in ("COMPLETED", "FAILED") or job["end_time"] is not None
        return job["status"] if final else None

    def one(self) -> float:
        start = time.perf_counter()
        return wait_all(self.state, self.submit_all(1), start)[0]

    def batch(self, count: int) -> tuple[list[float], int]:
        sampler = MemorySampler(self.server.process.pid)
        sampler.start()
        start = time.perf_counter()
        times = wait_all(self.state, self.submit_all(count), start)
        return times, sampler.stop()

    def stop(self) -> None:
        self.server.stop()
        shutil.rmtree(self.root, ignore_errors=True)


@contextmanager
def running(factory: Callable[[], Any]) -> Iterator[Any]:
    tool = factory()
    try:
        yield tool
    finally:
        tool.stop()


def row(label: str, *cells: str) -> None:
    print(f"  {label:<48}" + "".join(f"{cell:>12}" for cell in cells[:2]), *cells[2:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args()
    repeats = 3 if args.quick else 5
    mib = 1024 * 1024

    root = workdir()
    papermill_once(root, 0)  # warm the file cache
    pm_one = statistics.median(papermill_once(root, i) for i in range(repeats))
    shutil.rmtree(root, ignore_errors=True)
    pm_20 = papermill_parallel(20, 2)

    with running(JupyterScheduler) as js:
        js_one = statistics.median(js.one() for _ in range(3))
        js_burst, js_peak = js.batch(10)

    with running(Nbtools) as ours:
        ours_one = statistics.median(ours.one() for _ in range(repeats))
        ours_20, _ = ours.batch(20)
        time.sleep(3)
        ours_burst, ours_peak = ours.batch(10)
    daemon_one = nbtools_daemon_one(repeats)

    print("\nOne trivial parametrized run on an idle system, trigger → result (median, seconds)")
    row("", "anchor", "nbtools", "ratio")
    row(
        "papermill CLI (cold) vs nbtools via REST",
        f"{pm_one:.3f}",
        f"{ours_one:.3f}",
        f"{ours_one / pm_one:.3f}  (target ≤ 0.1)",
    )
    row(
        "papermill CLI (cold) vs nbtools via daemon",
        f"{pm_one:.3f}",
        f"{daemon_one:.3f}",
        f"{daemon_one / pm_one:.3f}",
    )
    row(
        "jupyter-scheduler POST→COMPLETED vs REST",
        f"{js_one:.3f}",
        f"{ours_one:.3f}",
        f"{ours_one / js_one:.3f}",
    )
    pm_rate, ours_rate = 20 / pm_20 * 60, 20 / ours_20[-1] * 60
    print("\n20 runs (jobs per minute)")
    row(
        "papermill CLI 2 at a time vs nbtools",
        f"{pm_rate:.0f}",
        f"{ours_rate:.0f}",
        f"{ours_rate / pm_rate:.1f}x  (target ≥ 4x)",
    )
    print("\nBurst of 10 submitted at once")
    row(
        "first result (s), jupyter-scheduler vs nbtools",
        f"{js_burst[0]:.2f}",
        f"{ours_burst[0]:.2f}",
        "(target < 1 s)",
    )
    row("last result (s)", f"{js_burst[-1]:.2f}", f"{ours_burst[-1]:.2f}", "")
    row(
        "peak memory of all processes (MiB)",
        f"{js_peak / mib:.0f}",
        f"{ours_peak / mib:.0f}",
        f"{ours_peak / js_peak:.2f}  (target ≤ 0.33)",
    )


if __name__ == "__main__":
    main()
