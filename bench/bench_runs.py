"""Benchmark: notebook runs through nbtools beside papermill's CLI and jupyter-scheduler.

One trivial parametrized notebook (bench/anchors.py). Every section measures ours and its
anchors taking turns (ABAB…) and prints medians with their spread (bench/figures.py):
  1. one run, trigger → result: papermill CLI as installed and lean (both cold: a new process
     and a new kernel per run), the one-shot `nbtools run` CLI (cold, the same), and the
     nbtools server path (warm: server running, worker process warm, a kernel pre-started);
  2. 20 runs queued at once: papermill CLI two at a time (installed and lean) vs the
     `nbtools scheduler` daemon (2 workers, default poll interval, warm);
  3. jupyter-scheduler (its own venv, ~/.cache/nbtools-bench, installed on first use) vs the
     nbtools server: one job POST → done, and a burst of 10 submitted at once: first and last
     result and the peak memory (PSS summed over the server's process tree, bench/processes.py);
     after each burst the next turn waits until that server's process tree is idle
     (jupyter-scheduler's job processes work on for seconds after it reports the last result).
Run: .venv/bin/python bench/bench_runs.py [--quick] [--only one_run|throughput|against_scheduler]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from anchors import (
    BIN,
    PAPERMILL,
    PAPERMILL_LEAN,
    PORT_RACE,
    PortRace,
    papermill_parallel,
    papermill_run,
    workdir,
)
from figures import Goal, Sample, interleave, report, wall
from processes import Ended, MemorySampler, Server, each, settle, stop_tree, wait_all

CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "nbtools-bench"
SCHEDULER_VENV = CACHE / "jupyter-scheduler"
PER_MINUTE = "runs/min"
LEAN_GOAL = f"goals judged against {PAPERMILL_LEAN}"


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
        self.results(self.submit_all(2), time.perf_counter())  # warm the pool
        time.sleep(3)  # and let both workers pre-start their next kernel

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
        return wait_all(each(self.state), run_ids, start)

    def one(self) -> float:
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


class Daemon:
    """`nbtools scheduler --workers 2` with its default poll interval, fed through the store."""

    def __init__(self) -> None:
        from nbtools.project import Project

        self.root = workdir()
        self.project = Project(self.root)
        self.project.store  # noqa: B018 - created and migrated before the daemon starts
        self.process = subprocess.Popen(
            [str(BIN / "nbtools"), "--root", str(self.root), "scheduler", "--workers", "2"],
            stderr=subprocess.DEVNULL,
        )
        self.batch(2)  # warm both workers
        time.sleep(3)

    def ended(self, run_ids: list[int]) -> Ended:
        """The runs of ``run_ids`` that have ended, in one query: polling run by run (a session
        each, every 20 ms) kept a core of the 2 busy, which the runs themselves need."""
        from sqlalchemy import select

        from nbtools.jobs.tables import Run

        with self.project.store.session() as session:
            rows = session.execute(
                select(Run.id, Run.status).where(Run.id.in_(run_ids), Run.finished_at.is_not(None))
            ).all()
        seen = time.perf_counter()
        return {run_id: (status, seen) for run_id, status in rows}

    def batch(self, count: int) -> float:
        """Seconds from queueing ``count`` runs at once to the last one finished."""
        from nbtools.jobs.submit import queue_run

        start = time.perf_counter()
        queued = [queue_run(self.project, "bench.ipynb", {"x": i}).id for i in range(count)]
        return wait_all(self.ended, queued, start)[-1]

    def stop(self) -> None:
        stop_tree(self.process)
        self.project.close()
        shutil.rmtree(self.root, ignore_errors=True)


# --- papermill CLI -----------------------------------------------------------------------


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
        if job["status"] == "FAILED":
            message = str(job.get("status_message") or "")
            kind = PortRace if PORT_RACE in message else RuntimeError
            raise kind(f"jupyter-scheduler job {job_id} failed: {message[-2000:]}")
        # A new job reads STOPPED (the column default) until its process starts.
        final = job["status"] == "COMPLETED" or job["end_time"] is not None
        return job["status"] if final else None

    def one(self) -> float:
        start = time.perf_counter()
        return wait_all(each(self.state), self.submit_all(1), start)[0]

    def batch(self, count: int) -> tuple[list[float], int]:
        sampler = MemorySampler(self.server.process.pid)
        sampler.start()
        start = time.perf_counter()
        times = wait_all(each(self.state), self.submit_all(count), start)
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


def one_run(repeats: int) -> None:
    """Trigger → result of one run: the papermill CLI as installed and lean, the one-shot
    `nbtools run` and the server path, taking turns."""
    pm_root, cli_root = workdir(), workdir()
    nbtools_run = [str(BIN / "nbtools"), "--root", str(cli_root), "run", "bench.ipynb"]
    nbtools_run += ["-p", "x=3", "-o", "out.ipynb"]
    with running(Nbtools) as server:
        found = interleave(
            {
                "server": server.one,
                PAPERMILL: wall(
                    papermill_run(PAPERMILL, "bench.ipynb", "o.ipynb", "x", "3"), cwd=pm_root
                ),
                PAPERMILL_LEAN: wall(
                    papermill_run(PAPERMILL_LEAN, "bench.ipynb", "o.ipynb", "x", "3"), cwd=pm_root
                ),
                "cli": wall(nbtools_run, cwd=cli_root),
            },
            repeats,
        )
    for root in (pm_root, cli_root):
        shutil.rmtree(root, ignore_errors=True)
    cold = "cold: a new process and a new kernel per run, store created beforehand"
    print(f"\nOne trivial parametrized run, trigger → result (s); {LEAN_GOAL}")
    report(
        "one-shot `nbtools run NB -p x=3 -o out.ipynb` vs papermill-lean",
        found["cli"],
        unit="s",
        anchor=found[PAPERMILL_LEAN],
        anchor_name=PAPERMILL_LEAN,
        goals=[Goal("ratio", "<=", 0.75)],
        state=f"both {cold}",
    )
    report(
        "one-shot `nbtools run` vs papermill as installed",
        found["cli"],
        unit="s",
        anchor=found[PAPERMILL],
        anchor_name=PAPERMILL,
        state=f"both {cold}; papermill pays every import lean keeps out",
    )
    report(
        "server path POST /nbtools/api/runs → succeeded vs papermill-lean",
        found["server"],
        unit="s",
        anchor=found[PAPERMILL_LEAN],
        anchor_name=PAPERMILL_LEAN,
        goals=[Goal("ratio", "<=", 0.1)],
        state="ours warm: server running, worker process warm, kernel pre-started; "
        f"papermill cold. One-shot CLI, cold: {found['cli'].show()} s",
    )


def throughput(repeats: int, count: int = 20) -> None:
    """``count`` runs queued at once: papermill x2 (as installed, lean) vs the daemon."""
    pm_root = workdir()
    with running(Daemon) as daemon:
        found = interleave(
            {
                "daemon": lambda: count / daemon.batch(count) * 60,
                PAPERMILL: lambda: count / papermill_parallel(PAPERMILL, pm_root, count) * 60,
                PAPERMILL_LEAN: lambda: (
                    count / papermill_parallel(PAPERMILL_LEAN, pm_root, count) * 60
                ),
            },
            repeats,
            warmup=0,
        )
    shutil.rmtree(pm_root, ignore_errors=True)
    print(f"\n{count} trivial runs queued at once ({PER_MINUTE}); {LEAN_GOAL}")
    state = (
        "ours: `nbtools scheduler --workers 2`, default poll (1 s; a queued run wakes it at "
        "once), warm workers, timed from queueing to the last result; papermill: CLI runs 2 at a time, each cold"
    )
    report(
        f"{count} runs queued, daemon with 2 workers vs papermill-lean x2",
        found["daemon"],
        unit=PER_MINUTE,
        anchor=found[PAPERMILL_LEAN],
        anchor_name=PAPERMILL_LEAN,
        goals=[Goal("ratio", ">=", 4.5), Goal("ours", ">=", 200, PER_MINUTE)],
        state=state,
    )
    report(
        f"{count} runs queued, daemon with 2 workers vs papermill x2 as installed",
        found["daemon"],
        unit=PER_MINUTE,
        anchor=found[PAPERMILL],
        anchor_name=PAPERMILL,
        state=state,
    )


def against_scheduler(repeats: int, burst: int = 10) -> None:
    """jupyter-scheduler's server vs ours: one job, then a burst, taking turns."""
    mib = 2**20
    seen: dict[str, list[tuple[list[float], int]]] = {"js": [], "ours": []}

    def bursting(tool: Any, name: str) -> Callable[[], float]:
        def measure() -> float:
            for _attempt in range(3):
                try:
                    times, peak = tool.batch(burst)
                    break
                except PortRace as race:  # two of its kernels took the same port: not speed
                    print(f"  ({race}: that burst is measured again)", flush=True)
                    settle(tool.server.process.pid)
            else:
                raise RuntimeError(f"{name}: three bursts in a row lost the kernels' port race")
            seen[name].append((times, peak))
            # jupyter-scheduler's processes go on working after it reports a burst's last
            # result (12 children then): the other side is measured once the tree is idle.
            waited = settle(tool.server.process.pid)
            print(f"  ({name}: its process tree idle {waited:.1f} s after the burst)")
            return times[0]

        return measure

    with running(JupyterScheduler) as js, running(Nbtools) as ours:
        one = interleave({"js": js.one, "ours": ours.one}, repeats)
        seen_first = interleave(
            {"js": bursting(js, "js"), "ours": bursting(ours, "ours")},
            max(1, repeats // 2),
            warmup=0,
        )
    last = {name: Sample.of([t[-1] for t, _ in runs]) for name, runs in seen.items()}
    peak = {name: Sample.of([p / mib for _, p in runs]) for name, runs in seen.items()}
    print("\njupyter-scheduler vs the nbtools server (both servers running)")
    warm = (
        "ours warm: server running, kernels pre-started; jupyter-scheduler spawns a process per job"
    )
    report(
        "one job, POST → done",
        one["ours"],
        unit="s",
        anchor=one["js"],
        anchor_name="jupyter-scheduler",
        state=warm,
    )
    report(
        f"burst of {burst} at once: first result",
        seen_first["ours"],
        unit="s",
        anchor=seen_first["js"],
        anchor_name="jupyter-scheduler",
        goals=[Goal("ours", "<=", 1, "s")],
        state=warm,
    )
    report(
        f"burst of {burst} at once: last result",
        last["ours"],
        unit="s",
        anchor=last["js"],
        anchor_name="jupyter-scheduler",
        state=warm,
    )
    report(
        f"burst of {burst} at once: peak memory of all processes (PSS)",
        peak["ours"],
        unit="MiB",
        anchor=peak["js"],
        anchor_name="jupyter-scheduler",
        goals=[Goal("ratio", "<=", 0.33)],
        state=warm,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--only", choices=SECTIONS, action="append", help="run only this section")
    args = parser.parse_args()
    print(f"bench_runs: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    for name in args.only or SECTIONS:
        section, quick, full = SECTIONS[name]
        section(quick if args.quick else full)


#: Section → its function, its repeats with --quick and without.
SECTIONS: dict[str, tuple[Callable[[int], None], int, int]] = {
    "one_run": (one_run, 3, 7),
    "throughput": (throughput, 1, 3),
    "against_scheduler": (against_scheduler, 2, 4),
}


if __name__ == "__main__":
    main()
