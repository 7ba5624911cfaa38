"""A rule says at once what it makes of its job's latest finished run: added now, it fires
there or not, as that run's end would have made it, without raising an alert."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result
from sqlalchemy import func, select

from nbtools.cli.app import cli
from nbtools.metrics.monitor import after_run, load_facts
from nbtools.metrics.notify.payload import JobRef
from nbtools.metrics.tables import Alert, AlertRule
from nbtools.project import Project
from tests.unit.metrics.conftest import add_jobs, add_run, store_metrics


def nbtools(root: Path, *args: str) -> Result:
    return CliRunner(env={"COLUMNS": "250"}).invoke(cli, ["--root", str(root), *args])


def added(root: Path, job: str, text: str) -> dict[str, Any]:
    result = nbtools(root, "alerts", "rule", "add", job, text, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_a_new_rule_says_whether_it_fires_on_the_latest_run(tmp_path: Path) -> None:
    project = Project(tmp_path)
    add_jobs(project, 1, 2)
    for run_id, accuracy in ((10, 0.95), (11, 0.94), (12, 0.80)):
        store_metrics(project, 1, run_id, accuracy=accuracy, model="forest")
    add_run(project, 1, 13, status="running")  # not finished: not the latest finished run
    project.close()

    fires = added(tmp_path, "1", "accuracy < 0.9")["latest_run"]
    assert fires == {
        "run_id": 12,
        "result": "fires",
        "message": "accuracy is 0.8 in run 12 (rule: accuracy < 0.9).",
        "alert_id": None,
    }
    change = added(tmp_path, "1", "accuracy drops > 5%")["latest_run"]  # against runs 10 and 11
    assert (change["result"], change["run_id"]) == ("fires", 12)
    assert "against a median of 0.945 over the last 2 successful runs" in change["message"]
    assert added(tmp_path, "1", "accuracy < 0.5")["latest_run"] == {
        "run_id": 12,
        "result": "quiet",
        "message": None,
        "alert_id": None,
    }
    error = added(tmp_path, "1", "model > 1")["latest_run"]
    assert (error["result"], error["run_id"]) == ("error", 12)
    assert error["message"].startswith('model is "forest" in run 12, not a number')
    assert added(tmp_path, "1", "late 26h")["latest_run"] is None  # the clock's, not a run's
    assert added(tmp_path, "2", "failed")["latest_run"] is None  # job 2 never ran

    said = nbtools(tmp_path, "alerts", "rule", "add", "1", "missing rows")
    assert said.stdout.splitlines() == [
        "Rule 7 on job 1: missing rows",
        "On run 12, the job's latest, it fires: Run 12 succeeded without recording 'rows'.",
    ]
    quiet = nbtools(tmp_path, "alerts", "rule", "add", "1", "failed").stdout
    assert "On run 12, the job's latest, it does not fire." in quiet

    project = Project(tmp_path)
    with project.store.session() as session:  # a preview: no alert was raised
        assert session.scalar(select(func.count()).select_from(Alert)) == 0
    project.close()

    listed = {
        (r["job_id"], r["text"]): r["latest_run"]
        for r in json.loads(nbtools(tmp_path, "alerts", "rule", "list", "--json").stdout)
    }
    assert listed[1, "accuracy < 0.9"]["result"] == "fires"
    assert listed[1, "failed"]["result"] == "quiet"
    assert listed[1, "late 26h"] is None
    assert listed[2, "failed"] is None
    table = nbtools(tmp_path, "alerts", "rule", "list", "--job", "1").stdout
    assert "│ fires (run 12)" in table
    assert "│ cannot evaluate (run 12)" in table


def test_a_rule_that_raised_an_alert_on_the_latest_run_names_it(tmp_path: Path) -> None:
    """A rule older than the run was evaluated when the run ended: the check names the alert
    it raised there, so that a list of rules does not tell it as news."""
    project = Project(tmp_path)
    add_jobs(project, 1)
    project.close()
    added(tmp_path, "1", "accuracy < 0.9")
    project = Project(tmp_path)
    store_metrics(project, 1, 20, accuracy=0.8)
    with project.store.session(write=True) as session:  # the run's end, as the pipeline does
        [facts] = load_facts(session, [(20, "succeeded", {})])
        result = after_run(
            session,
            job=JobRef(1, "job-1"),
            run=facts,
            previous=[],
            now=datetime.now(timezone.utc),
        )
        [alert] = result.alerts
        session.flush()
        alert_id = alert.id
    project.close()
    [rule] = json.loads(nbtools(tmp_path, "alerts", "rule", "list", "--json").stdout)
    assert rule["latest_run"] == {
        "run_id": 20,
        "result": "fires",
        "message": "accuracy is 0.8 in run 20 (rule: accuracy < 0.9).",
        "alert_id": alert_id,
    }
    table = nbtools(tmp_path, "alerts", "rule", "list").stdout
    assert f"│ fires (run 20, alert {alert_id})" in table


def test_a_stored_rule_that_no_longer_parses_gets_no_check(tmp_path: Path) -> None:
    """As an older version stored it (``late 999999999999d``): the others of its job are
    still checked, and listing rules answers."""
    project = Project(tmp_path)
    add_jobs(project, 1)
    store_metrics(project, 1, 10, accuracy=0.8)
    project.close()
    added(tmp_path, "1", "accuracy < 0.9")
    project = Project(tmp_path)
    with project.store.session(write=True) as session:
        session.add(AlertRule(job_id=1, kind="threshold", metric="x", text="x <<< 1"))
    project.close()
    listed = nbtools(tmp_path, "alerts", "rule", "list", "--json")
    assert listed.exit_code == 0, listed.output
    checks = {r["text"]: r["latest_run"] for r in json.loads(listed.stdout)}
    assert checks["x <<< 1"] is None
    assert checks["accuracy < 0.9"]["result"] == "fires"
