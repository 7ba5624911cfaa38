"""Benchmark: what lineage costs — reproducing a run, and showing runs with their lineage.

Measured in the same run, medians of N:
  1. whole processes: ``papermill`` CLI (the anchor), ``nbtools run NB`` and
     ``nbtools run --reproduce 1`` (which also snapshots the kernel's environment, diffs it
     with the run's and rebuilds the pinned notebook version) on one trivial notebook;
  2. in process: planning a reproduction (version lookup, environment snapshot and diff) and
     the run model of 50 runs with and without their lineage.

Run: .venv/bin/python bench/bench_lineage.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench_runs import NOTEBOOK  # the same trivial parametrized notebook

BIN = Path(sys.executable).parent


def wall(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def median(runs: int, measure: Callable[[], float]) -> float:
    measure()  # warm caches
    return statistics.median(measure() for _ in range(runs))


def timed(function: Callable[[], object]) -> Callable[[], float]:
    def measure() -> float:
        start = time.perf_counter()
        function()
        return time.perf_counter() - start

    return measure


def in_process(root: Path, runs: int) -> tuple[float, float, float]:
    """(plan a reproduction, 50 run models, 50 run models without lineage) in seconds."""
    from nbtools.jobs import list_runs
    from nbtools.lineage import events as lineage_events
    from nbtools.lineage.reproduce import plan_reproduction
    from nbtools.project import Project

    project = Project(root)
    try:
        plan = median(runs, timed(lambda: plan_reproduction(project, 1)))

        def listing() -> None:  # as `nbtools runs list` and `GET /runs` do
            list_runs(project, limit=50)

        models = median(runs, timed(listing))
        original = lineage_events.runs_described
        lineage_events.runs_described = lambda event: {}  # the models without their lineage
        try:
            bare = median(runs, timed(listing))
        finally:
            lineage_events.runs_described = original
    finally:
        project.close()
    return plan, models, bare


def seed_runs(root: Path, count: int) -> None:
    """``count`` more finished runs with the lineage of run 1 (rows only, nothing executed)."""
    from nbtools.jobs.models import SUCCEEDED
    from nbtools.jobs.runs import get_run, new_run
    from nbtools.project import Project

    project = Project(root)
    try:
        with project.store.session(write=True) as session:
            first = get_run(session, 1)
            for _ in range(count):
                run = new_run(None, trigger="bench", notebook_path="nb.ipynb", parameters={})
                run.status = SUCCEEDED
                run.notebook_version_id = first.notebook_version_id
                run.env_snapshot_id = first.env_snapshot_id
                session.add(run)
    finally:
        project.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory(prefix="bench-lineage-") as scratch:
        root = Path(scratch)
        (root / "nb.ipynb").write_text(json.dumps(NOTEBOOK))
        nbtools = [str(BIN / "nbtools"), "--root", str(root)]
        papermill = [str(BIN / "papermill"), "nb.ipynb", "out.ipynb", "-p", "x", "2"]
        anchor = median(runs, lambda: wall(papermill, root))
        run = median(runs, lambda: wall([*nbtools, "run", "nb.ipynb", "-p", "x=2"], root))
        reproduce = median(runs, lambda: wall([*nbtools, "run", "--reproduce", "1"], root))
        seed_runs(root, 50)
        plan, models, bare = in_process(root, runs)

    print(f"bench_lineage: one trivial notebook; median of {runs}")
    print(f"  {'papermill CLI (anchor)':<34} {anchor * 1000:8.1f} ms")
    print(f"  {'nbtools run NB':<34} {run * 1000:8.1f} ms  ({run / anchor:.2f}x papermill)")
    print(
        f"  {'nbtools run --reproduce 1':<34} {reproduce * 1000:8.1f} ms  "
        f"({reproduce / anchor:.2f}x papermill)"
    )
    print(f"  {'  planning it (in process)':<34} {plan * 1000:8.1f} ms  (version, snapshot, diff)")
    print(f"  {'list 50 runs with lineage':<34} {models * 1000:8.1f} ms")
    print(f"  {'list 50 runs without lineage':<34} {bare * 1000:8.1f} ms")


if __name__ == "__main__":
    main()
