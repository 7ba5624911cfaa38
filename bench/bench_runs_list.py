"""Benchmark: the runs list — a page of 1000 runs with 10,000 runs stored (goal ≤ 50 ms).

Half of the runs have a stored notebook version and environment snapshot (their lineage is
looked up), half have ids the store no longer has. Measured, median and spread of N (taking
turns, :mod:`figures`), warm (the store open, one untimed round first):
  1. in process, what the handler and ``nbtools runs list --json`` do: ``jobs.list_runs``
     (a fixed number of queries) and ``json.dumps``;
  2. the same page with the lineage looked up run by run (the N+1 this replaced), for scale;
  3. through a real Jupyter server: ``GET /nbtools/api/runs?limit=1000`` (HTTP included).

Run: .venv/bin/python bench/bench_runs_list.py [--runs 15] [--stored 10000]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from anchors import BIN
from bench_runs import Server  # a Jupyter server subprocess with a token
from figures import Goal, interleave, report, timed

from nbtools import jobs
from nbtools.jobs.runs import list_runs
from nbtools.jobs.views import run_summaries
from nbtools.jsonvalues import json_default
from nbtools.project import Project

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
# the runs the query-count test pages through, made the same way
from tests.unit.jobs.test_run_views import seed

PAGE = 1000
GOAL_MS = 50.0


def ms(action: Callable[[], object]) -> Callable[[], float]:
    measure = timed(action)
    return lambda: measure() * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--stored", type=int, default=10_000)
    args = parser.parse_args()
    goal = Goal("ours", "<=", GOAL_MS, "ms")
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

            inside = interleave({"page": ms(page), "n+1": ms(run_by_run)}, args.runs)
        finally:
            project.close()
        server = Server(
            BIN / "jupyter", root, "--ServerApp.jpserver_extensions={'jupyter_nbtools': True}"
        )
        try:
            rest = ms(lambda: server.call("GET", f"/nbtools/api/runs?limit={PAGE}"))
            through_http = interleave({"rest": rest}, args.runs)["rest"]
        finally:
            server.stop()
    stored = f"{args.stored} runs stored (SQLite), half with a stored version and snapshot"
    report(f"runs list: a page of {PAGE}, in process (jobs.list_runs + JSON)", inside["page"],
           unit="ms", anchor=inside["n+1"], anchor_name="lineage run by run (the old N+1)",
           goals=[goal], state=f"warm, store open; {stored}")  # fmt: skip
    report(f"runs list: GET /nbtools/api/runs?limit={PAGE}", through_http, unit="ms",
           goals=[goal], state=f"warm server, HTTP included; {stored}")  # fmt: skip


if __name__ == "__main__":
    main()
