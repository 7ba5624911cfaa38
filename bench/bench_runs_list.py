"""Benchmark: the runs list — a page of 1000 runs with 10,000 runs stored (goal ≤ 50 ms).

Half of the runs have a stored notebook version and environment snapshot (their lineage is
looked up), half have ids the store no longer has. Measured, median and spread of N (taking
turns, :mod:`figures`), warm (the store open, one untimed round first):
  1. in process, what the handler does: ``jobs.list_runs`` (a fixed number of queries) and
     ``jsonvalues.dumps``, and where its time goes (the stages, each timed alone);
  2. the same page with the lineage looked up run by run (the N+1 this replaced), for scale;
  3. through a real Jupyter server: ``GET /nbtools/api/runs?limit=1000``, HTTP included, up
     to the last byte of the reply (not decoding it: that is the client's work).

Run: .venv/bin/python bench/bench_runs_list.py [--runs 15] [--stored 10000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import urllib.request
from collections.abc import Callable
from pathlib import Path

from anchors import BIN
from figures import Goal, interleave, report, timed
from processes import TOKEN, Server  # a Jupyter server subprocess with a token

from nbtools import jobs
from nbtools.jobs import events, reaper
from nbtools.jobs.runs import list_runs
from nbtools.jobs.views import run_list_items
from nbtools.jsonvalues import dumps
from nbtools.project import Project

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
# the runs the query-count test pages through, made the same way
from tests.unit.jobs.test_run_views import seed

PAGE = 1000
GOAL_MS = 50.0


def ms(action: Callable[[], object]) -> Callable[[], float]:
    measure = timed(action)
    return lambda: measure() * 1000


def stages(project: Project) -> dict[str, Callable[[], float]]:
    """The steps of ``jobs.list_runs`` + the reply, each timed alone on the same page."""
    with project.store.connection() as connection:
        rows = list_runs(connection, limit=PAGE)
        items = run_list_items(project, connection, rows)

    def in_transaction(step: Callable[..., object]) -> Callable[[], float]:
        def measure() -> float:
            with project.store.connection() as connection:
                return ms(lambda: step(connection))()

        return measure

    return {
        "reap lost runs": ms(lambda: reaper.reap_expired(project.store)),
        "query (Core rows)": in_transaction(lambda c: list_runs(c, limit=PAGE)),
        "runs_described": in_transaction(
            lambda c: events.runs_described(events.RunsDescribed(project, c, rows))
        ),
        "page (items incl. runs_described)": in_transaction(
            lambda c: run_list_items(project, c, rows)
        ),
        "encode (jsonvalues.dumps)": ms(lambda: dumps(items)),
    }


def raw_get(port: int, path: str) -> bytes:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", headers={"Authorization": f"token {TOKEN}"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        body: bytes = response.read()
    return body


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

            def page() -> bytes:
                return dumps(jobs.list_runs(project, limit=PAGE))

            def run_by_run() -> bytes:
                with project.store.connection() as connection:
                    found = list_runs(connection, limit=PAGE)
                    items = [run_list_items(project, connection, [row])[0] for row in found]
                return dumps(items)

            inside = interleave({"page": ms(page), "n+1": ms(run_by_run)}, args.runs)
            steps = interleave(stages(project), args.runs)
        finally:
            project.close()
        server = Server(
            BIN / "jupyter", root, "--ServerApp.jpserver_extensions={'jupyter_nbtools': True}"
        )
        try:
            rest = ms(lambda: raw_get(server.port, f"/nbtools/api/runs?limit={PAGE}"))
            through_http = interleave({"rest": rest}, args.runs)["rest"]
        finally:
            server.stop()
    stored = f"{args.stored} runs stored (SQLite), half with a stored version and snapshot"
    report(f"runs list: a page of {PAGE}, in process (jobs.list_runs + JSON)", inside["page"],
           unit="ms", anchor=inside["n+1"], anchor_name="lineage run by run (the old N+1)",
           goals=[goal], state=f"warm, store open; {stored}")  # fmt: skip
    for name, sample in steps.items():
        print(f"  stage {name}: {sample.show()} ms")
    report(f"runs list: GET /nbtools/api/runs?limit={PAGE}", through_http, unit="ms",
           goals=[goal], state=f"warm server, HTTP included; {stored}")  # fmt: skip


if __name__ == "__main__":
    main()
