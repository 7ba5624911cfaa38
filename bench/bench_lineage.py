"""Benchmark: what lineage costs — reproducing a run, and showing runs with their lineage.

Measured in the same run, medians of N with their spread:
  1. whole processes, taking turns (each cold: a new process and a new kernel):
     ``papermill`` CLI as installed and lean (the anchors, bench/anchors.py), ``nbtools run NB`` and
     ``nbtools run --reproduce 1`` (which also snapshots the kernel's environment, diffs it
     with the run's and rebuilds the pinned notebook version) on one trivial notebook;
  2. in process: planning a reproduction (version lookup, environment snapshot and diff) and
     the run model of 50 runs with and without their lineage.

Run: .venv/bin/python bench/bench_lineage.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Callable
from pathlib import Path

from anchors import BIN, NOTEBOOK, PAPERMILL, PAPERMILL_LEAN, papermill_run
from figures import Sample, interleave, report, timed, wall


def in_process(root: Path, runs: int) -> dict[str, Sample]:
    """Planning a reproduction, 50 run models with and without lineage (ms), taking turns."""
    from nbtools.jobs import list_runs
    from nbtools.lineage import events as lineage_events
    from nbtools.lineage.reproduce import plan_reproduction
    from nbtools.project import Project

    project = Project(root)
    original = lineage_events.runs_described

    def listing() -> None:  # as `nbtools runs list` and `GET /runs` do
        list_runs(project, limit=50)

    def bare() -> None:
        lineage_events.runs_described = lambda event: {}  # the models without their lineage
        try:
            listing()
        finally:
            lineage_events.runs_described = original

    def ms(action: Callable[[], object]) -> Callable[[], float]:
        return lambda: timed(action)() * 1000

    try:
        return interleave(
            {
                "plan": ms(lambda: plan_reproduction(project, 1)),
                "models": ms(listing),
                "bare": ms(bare),
            },
            runs,
        )
    finally:
        project.close()


def seed_runs(root: Path, count: int) -> None:
    """``count`` more finished runs with the lineage of run 1 (rows only, nothing executed)."""
    from nbtools.jobs.runs import get_run, new_run
    from nbtools.jobs.tables import SUCCEEDED
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
        found = interleave(
            {
                PAPERMILL: wall(
                    papermill_run(PAPERMILL, "nb.ipynb", "o.ipynb", "x", "2"), cwd=root
                ),
                PAPERMILL_LEAN: wall(
                    papermill_run(PAPERMILL_LEAN, "nb.ipynb", "o.ipynb", "x", "2"), cwd=root
                ),
                "run": wall([*nbtools, "run", "nb.ipynb", "-p", "x=2"], cwd=root),
                "reproduce": wall([*nbtools, "run", "--reproduce", "1"], cwd=root),
            },
            runs,
        )
        seed_runs(root, 50)
        inside = in_process(root, runs)

    cold = "cold: a new process and a new kernel per run"
    print(f"bench_lineage: one trivial notebook, {runs} turns each")
    for name in (PAPERMILL, PAPERMILL_LEAN):
        report(
            f"`nbtools run --reproduce 1` vs {name}",
            found["reproduce"],
            unit="s",
            anchor=found[name],
            anchor_name=name,
            state=f"both {cold}; ours also snapshots the environment and rebuilds the version",
        )
    report(
        "`nbtools run NB` (recording lineage) vs papermill-lean",
        found["run"],
        unit="s",
        anchor=found[PAPERMILL_LEAN],
        anchor_name=PAPERMILL_LEAN,
        state=f"both {cold}",
    )
    report("planning a reproduction (version, snapshot, diff)", inside["plan"], unit="ms",
           state="in process, store open")  # fmt: skip
    report("50 run models with lineage vs without", inside["models"], unit="ms",
           anchor=inside["bare"], anchor_name="without lineage",
           state="in process, store open")  # fmt: skip


if __name__ == "__main__":
    main()
