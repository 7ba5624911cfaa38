"""Seed a failed run with an alert into a UI-test server's store (no jobs engine needed).

Usage: python seed_monitoring.py ROOT JOB_ID RUN_ID
Stores the run's harvest, adds the rule ``failed`` to the job and evaluates the run as the
runner does after a run, which raises the alert.
"""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

from nbtools.metrics.alerts import add_rule, list_rules
from nbtools.metrics.harvest import Harvest
from nbtools.metrics.monitor import after_run, load_facts
from nbtools.metrics.notify.payload import JobRef
from nbtools.metrics.series import save_run_metrics
from nbtools.project import Project


def main(root: str, job_id: int, run_id: int) -> None:
    project = Project(Path(root))
    try:
        with project.store.session(write=True) as session:
            if not any(rule.text == "failed" for rule in list_rules(session, job_id)):
                add_rule(session, job_id, "failed")
            save_run_metrics(session, run_id, job_id, Harvest())
            (run,) = load_facts(session, [(run_id, "failed", {})])
            now = datetime.now(timezone.utc)
            after_run(session, job=JobRef(job_id, f"job {job_id}"), run=run, previous=[], now=now)
    finally:
        project.close()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
