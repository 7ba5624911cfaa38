"""``nbtools alerts`` and ``nbtools metrics`` against a real SQLite store."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from nbtools.cli.app import cli
from nbtools.jobs.tables import Run
from nbtools.metrics import DEFAULT_PAGE_RUNS, metric_series
from nbtools.metrics.monitor import after_run, load_facts
from nbtools.metrics.notify.outbox import enqueue
from nbtools.metrics.notify.payload import JobRef
from nbtools.project import Project
from nbtools.store.base import utcnow
from tests.cli_tables import table_rows
from tests.unit.metrics.conftest import add_jobs, add_run, store_metrics


def nbtools(root: Path, *args: str) -> Result:
    return CliRunner(env={"COLUMNS": "250"}).invoke(cli, ["--root", str(root), *args])


def as_json(root: Path, *args: str) -> Any:
    result = nbtools(root, *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def with_jobs(root: Path, *job_ids: int) -> None:
    project = Project(root)
    add_jobs(project, *job_ids)
    project.close()


def test_rules_add_list_remove(tmp_path: Path) -> None:
    with_jobs(tmp_path, 3)
    added = as_json(tmp_path, "alerts", "rule", "add", "3", "accuracy drops > 5%")
    assert added["text"] == "accuracy drops > 5% over 5"
    assert nbtools(tmp_path, "alerts", "rule", "add", "3", "failed").exit_code == 0
    assert [r["text"] for r in as_json(tmp_path, "alerts", "rule", "list", "--job", "3")] == [
        "accuracy drops > 5% over 5",
        "failed",
    ]
    table = nbtools(tmp_path, "alerts", "rule", "list").output
    assert "accuracy drops > 5% over 5" in table
    removed = nbtools(tmp_path, "alerts", "rule", "remove", str(added["id"]))
    assert removed.output == f"Removed rule {added['id']} of job 3: accuracy drops > 5% over 5\n"
    assert len(as_json(tmp_path, "alerts", "rule", "list")) == 1


def test_removing_a_rule_or_a_target_with_json_prints_what_was_removed(tmp_path: Path) -> None:
    """The removed rule and target as the REST API's DELETE answers them (and as `rule list`
    and `notify list` show them); a removal that fails is a JSON error, exit 2."""
    with_jobs(tmp_path, 3)
    added = as_json(tmp_path, "alerts", "rule", "add", "3", "failed")
    removed = as_json(tmp_path, "alerts", "rule", "remove", str(added["id"]))
    assert (removed["id"], removed["job_id"], removed["kind"], removed["text"]) == (
        added["id"],
        3,
        "failed",
        "failed",
    )
    assert removed.keys() == added.keys()
    assert as_json(tmp_path, "alerts", "rule", "list") == []
    target = as_json(tmp_path, "alerts", "notify", "add", "3", "--email", "a@b.c")
    gone = as_json(tmp_path, "alerts", "notify", "remove", str(target["id"]))
    assert gone == {**target, "cancelled_deliveries": 0}
    for args, error, field in [
        (("rule", "remove", str(added["id"])), "NotFoundError", None),  # removed already
        (("notify", "remove", str(target["id"])), "NotFoundError", None),
        (("rule", "remove", "0"), "BadParameter", "rule_id"),
        (("notify", "remove", "x"), "BadParameter", "target_id"),
    ]:
        result = nbtools(tmp_path, "alerts", *args, "--json")
        assert result.exit_code == 2, result.output
        answer = json.loads(result.stdout)
        assert (answer["error"], answer["details"].get("field")) == (error, field), answer


def test_a_webhook_is_shown_by_its_site_and_fingerprint(tmp_path: Path) -> None:
    """Before, `notify add`, `notify list` and `deliveries` printed a Slack-style webhook's
    path and query, its secret."""
    with_jobs(tmp_path, 3)
    secret = "https://hooks.slack.com/services/T0/B0/SECRET"
    fingerprint = hashlib.sha256(secret.encode()).hexdigest()[:8]
    added = nbtools(tmp_path, "alerts", "notify", "add", "3", "--webhook", secret)
    assert added.output == (
        f"Target 1: job 3 notifies https://hooks.slack.com/*** (webhook, fingerprint "
        f"{fingerprint}) on failure, alert.\n"
    )
    listed = nbtools(tmp_path, "alerts", "notify", "list")
    assert table_rows(listed.output) == [
        {"id": "1", "job": "3", "channel": "webhook", "destination": "https://hooks.slack.com/***",
         "fingerprint": fingerprint, "on": "failure,alert"},
    ]  # fmt: skip
    (target,) = as_json(tmp_path, "alerts", "notify", "list")
    assert (target["destination"], target["fingerprint"]) == (
        "https://hooks.slack.com/***",
        fingerprint,
    )
    project = Project(tmp_path)
    try:
        with project.store.session(write=True) as session:
            enqueue(session, job_id=3, event="failure", payload={}, now=utcnow())
    finally:
        project.close()
    (delivery,) = as_json(tmp_path, "alerts", "deliveries")
    assert delivery["destination"] == "https://hooks.slack.com/***"
    for args in (("notify", "list"), ("deliveries",), ("notify", "list", "--json")):
        assert "SECRET" not in nbtools(tmp_path, "alerts", *args).output
    removed = nbtools(tmp_path, "alerts", "notify", "remove", "1")
    assert removed.output == (
        "Removed target 1: https://hooks.slack.com/***; cancelled 1 delivery not sent yet.\n"
    )


@pytest.mark.parametrize(
    "webhook", ["https://hooks.example.com;SECRETPARAM", "https://hooks.example.com\\@evil.com/x"]
)
def test_a_webhook_whose_host_is_no_host_is_refused_and_never_audited(
    tmp_path: Path, webhook: str
) -> None:
    """``;`` and what followed it were read as part of the host: the target was added, and
    the audit trail, which keeps a webhook by its site only, kept ``SECRETPARAM`` for good.
    Behind a ``\\``, browsers and urllib name different hosts; the trail named urllib's."""
    with_jobs(tmp_path, 3)
    refused = nbtools(tmp_path, "alerts", "notify", "add", "3", "--webhook", webhook, "--json")
    assert refused.exit_code == 2, refused.output
    assert json.loads(refused.stdout)["details"]["field"] == "destination"
    assert as_json(tmp_path, "alerts", "notify", "list") == []
    trail = nbtools(tmp_path, "audit", "list", "--json")
    assert json.loads(trail.stdout) == []


def test_bad_rules_and_ids_exit_2_with_a_message(tmp_path: Path) -> None:
    with_jobs(tmp_path, 3)
    bad = nbtools(tmp_path, "alerts", "rule", "add", "3", "accuracy < high")
    assert bad.exit_code == 2
    assert "at column 12: expected a number after '<', found 'high'" in bad.output
    duplicate = [nbtools(tmp_path, "alerts", "rule", "add", "3", "failed") for _ in range(2)]
    assert duplicate[1].exit_code == 2
    assert "already has the rule 'failed'" in duplicate[1].output
    missing = nbtools(tmp_path, "alerts", "rule", "remove", "99")
    assert (missing.exit_code, "Alert rule 99 does not exist" in missing.output) == (2, True)
    assert nbtools(tmp_path, "alerts", "ack", "not-a-number").exit_code == 2
    assert nbtools(tmp_path, "metrics", "show", "5").exit_code == 2


def test_a_run_without_metrics_says_why(tmp_path: Path) -> None:
    """It said "it does not exist, has not finished, or was run before monitoring was set
    up" whichever it was."""
    project = Project(tmp_path)
    try:
        add_run(project, None, 7, status="running")
        add_run(project, None, 8, status="failed")
        with project.store.session(write=True) as session:
            session.get(Run, 8).finished_at = utcnow()  # type: ignore[union-attr]
    finally:
        project.close()
    for run_id, why in (
        ("5", "Run 5 has no metrics: there is no such run (`nbtools runs list` lists them)."),
        ("7", "Run 7 has no metrics: it is running: its metrics are read from its notebook"),
        ("8", "Run 8 has no metrics: it ended without a notebook to read them from"),
    ):
        shown = nbtools(tmp_path, "metrics", "show", run_id)
        assert shown.exit_code == 2
        assert why in shown.output


def test_alerts_list_and_ack(tmp_path: Path) -> None:
    with_jobs(tmp_path, 1)
    assert nbtools(tmp_path, "alerts", "rule", "add", "1", "accuracy < 0.9").exit_code == 0
    project = Project(tmp_path)
    store_metrics(project, 1, 10, accuracy=0.5)
    with project.store.session(write=True) as session:
        (facts,) = load_facts(session, [(10, "succeeded", {})])
        now = datetime.now(timezone.utc)
        after_run(session, job=JobRef(1, "train"), run=facts, previous=[], now=now)
    project.close()

    (alert,) = as_json(tmp_path, "alerts", "list")
    assert (alert["job_id"], alert["run_id"], alert["rule"]) == (1, 10, "accuracy < 0.9")
    assert "accuracy is 0.5 in run 10" in nbtools(tmp_path, "alerts", "list").output
    (acked,) = as_json(tmp_path, "alerts", "ack", str(alert["id"]))
    assert acked["status"] == "acknowledged"
    assert as_json(tmp_path, "alerts", "list") == []
    assert len(as_json(tmp_path, "alerts", "list", "--status", "all", "--job", "1")) == 1


def test_notification_targets_and_deliveries(tmp_path: Path) -> None:
    with_jobs(tmp_path, 2)
    target = as_json(
        tmp_path, "alerts", "notify", "add", "2", "--webhook", "http://127.0.0.1:9/x",
        "--on", "alert,success",
    )  # fmt: skip
    assert (target["channel"], target["events"]) == ("webhook", ["alert", "success"])
    both = nbtools(
        tmp_path, "alerts", "notify", "add", "2", "--webhook", "http://a.b", "--email", "a@b.c"
    )
    assert both.exit_code == 2
    assert "exactly one of --webhook URL or --email" in both.output
    for never_works in ("http://127.0.0.1:8124/a b", "http://127.0.0.1:abc/"):
        refused = nbtools(tmp_path, "alerts", "notify", "add", "2", "--webhook", never_works)
        assert refused.exit_code == 2, refused.output
        assert refused.output.startswith(f"Error: A webhook URL {never_works!r} ")
        assert "Traceback" not in refused.output
    bad = nbtools(tmp_path, "alerts", "notify", "add", "2", "--email", "nobody")
    assert (bad.exit_code, "Not an e-mail address: nobody" in bad.output) == (2, True)
    control = nbtools(tmp_path, "alerts", "notify", "add", "2", "--email", "m@n.org\x01")
    assert (control.exit_code, "a control character" in control.output) == (2, True)
    events = nbtools(tmp_path, "alerts", "notify", "add", "2", "--email", "a@b.c", "--on", "x")
    assert (events.exit_code, events.output.rstrip().endswith("got x. See --on.")) == (2, True)
    assert [t["id"] for t in as_json(tmp_path, "alerts", "notify", "list")] == [target["id"]]
    assert as_json(tmp_path, "alerts", "deliveries") == []
    # a page is 1 to 1000 (a value outside was silently taken as the nearest)
    for command, limit in [("deliveries", "0"), ("deliveries", "1001"), ("list", "-1")]:
        refused = nbtools(tmp_path, "alerts", command, "--limit", limit)
        assert refused.exit_code == 2, refused.output
        assert "'--limit'" in refused.output
        assert "1<=x<=1000" in refused.output
    assert as_json(tmp_path, "alerts", "list", "--limit", "1000") == []
    assert nbtools(tmp_path, "alerts", "notify", "remove", str(target["id"])).exit_code == 0
    assert as_json(tmp_path, "alerts", "notify", "list", "--job", "2") == []


def test_metrics_show_and_series(tmp_path: Path) -> None:
    project = Project(tmp_path)
    for run_id, accuracy in ((1, 0.9), (2, 0.92), (3, 0.8)):
        store_metrics(project, 7, run_id, accuracy=accuracy, model="gbm")
    project.close()

    shown = as_json(tmp_path, "metrics", "show", "3")
    assert [(m["name"], m["value"]) for m in shown["metrics"]] == [
        ("accuracy", 0.8),
        ("model", "gbm"),
    ]
    assert "accuracy" in nbtools(tmp_path, "metrics", "show", "3").output

    page = as_json(tmp_path, "metrics", "series", "7", "--metric", "accuracy", "--limit", "2")
    assert page["run_ids"] == [2, 3]
    assert page["series"] == {
        "accuracy": [
            {"run_id": 2, "value": 0.92, "unit": None},
            {"run_id": 3, "value": 0.8, "unit": None},
        ]
    }
    assert page["next_before_run"] == 2
    older = as_json(tmp_path, "metrics", "series", "7", "--before", "2")
    assert (older["run_ids"], older["next_before_run"]) == ([1], None)
    table = nbtools(tmp_path, "metrics", "series", "7", "--limit", "2").output
    assert "older runs: --before 2" in table
    # each numeric metric's trend, oldest first; text (model) and a single point get none
    lines = nbtools(tmp_path, "metrics", "series", "7").output.splitlines()
    assert "accuracy  ▇█▁  min 0.8 · median 0.9 · max 0.92 · last 0.8" in lines
    assert not [line for line in lines if line.startswith("model ")]
    single = nbtools(tmp_path, "metrics", "series", "7", "--before", "2").output
    assert "▁" not in single
    for limit in ("0", "501"):
        refused = nbtools(tmp_path, "metrics", "series", "7", "--limit", limit)
        assert (refused.exit_code, refused.output.splitlines()[-1]) == (
            2,
            f"Error: Invalid value for '--limit': {limit} is not in the range 1<=x<=500.",
        )


def test_a_series_page_holds_one_default_number_of_runs(tmp_path: Path) -> None:
    """`metrics series JOB` showed 50 runs where `GET /jobs/<id>/metrics` (and the library)
    answered 100: one default, DEFAULT_PAGE_RUNS, for all three (the REST side is in
    tests/server/test_monitoring_api.py), and --help says it."""
    project = Project(tmp_path)
    for run_id in range(1, DEFAULT_PAGE_RUNS + 2):
        store_metrics(project, 7, run_id, accuracy=0.5)
    assert len(metric_series(project, 7)["run_ids"]) == DEFAULT_PAGE_RUNS
    project.close()
    page = as_json(tmp_path, "metrics", "series", "7")
    assert (page["run_ids"][0], len(page["run_ids"])) == (2, DEFAULT_PAGE_RUNS)
    helped = " ".join(nbtools(tmp_path, "metrics", "series", "--help").output.split())
    assert f"[default: {DEFAULT_PAGE_RUNS}; 1<=x<=500]" in helped


def test_a_series_of_a_metric_the_job_never_recorded_says_which_it_records(
    tmp_path: Path,
) -> None:
    """`metrics series JOB --metric 'no such'` showed the runs with no metric and said
    nothing: a note on stderr says which metrics the job's runs recorded (or the one meant),
    and `--json` lists them in `metric_names` (every page, whatever the filter)."""
    project = Project(tmp_path)
    store_metrics(project, 7, 1, accuracy=0.9, model="gbm")
    store_metrics(project, 7, 2, accuracy=0.8, rows=3)
    store_metrics(project, 8, 3, loss=0.1)  # another job's metric is not job 7's
    project.close()

    unknown = nbtools(tmp_path, "metrics", "series", "7", "--metric", "no such")
    assert unknown.exit_code == 0
    assert unknown.stderr == (
        "Note: None of job 7's runs recorded the metric 'no such': they recorded accuracy, "
        "model, rows.\n"
    )
    typo = nbtools(tmp_path, "metrics", "series", "7", "--metric", "acuracy")
    assert typo.stderr == (
        "Note: None of job 7's runs recorded the metric 'acuracy': did you mean accuracy?\n"
    )
    known = nbtools(tmp_path, "metrics", "series", "7", "--metric", "model", "--before", "2")
    assert (known.exit_code, known.stderr) == (0, "")  # recorded, if not in this page
    page = as_json(tmp_path, "metrics", "series", "7", "--metric", "no such")
    assert (page["series"], page["metric_names"]) == ({}, ["accuracy", "model", "rows"])
    with_jobs(tmp_path, 9)
    silent = nbtools(tmp_path, "metrics", "series", "9", "--metric", "rows")
    assert silent.stderr == (
        "Note: None of job 9's runs recorded the metric 'rows': they recorded no metric (in the "
        "notebook, nbtools.record('rows', VALUE) records it).\n"
    )


def test_a_rule_that_may_never_fire_says_why(tmp_path: Path) -> None:
    """Warnings come from what the job's recent runs recorded, never block adding a rule,
    and say nothing while the job has recorded nothing."""
    with_jobs(tmp_path, 1, 2)
    quiet = nbtools(tmp_path, "alerts", "rule", "add", "1", "accuracy < 0.9")
    assert (quiet.exit_code, quiet.stderr) == (0, "")  # no run yet: nothing is known
    project = Project(tmp_path)
    store_metrics(project, 1, 10, accuracy="high", summary={"mean": 0.4}, rows=3)
    store_metrics(project, 1, 11, accuracy=0.93, summary={"mean": 0.5}, rows=3)
    store_metrics(project, 2, 12, loss=0.1)  # another job's metrics say nothing about job 1
    project.close()

    typo = nbtools(tmp_path, "alerts", "rule", "add", "1", "acuracy drops > 5%")
    assert typo.exit_code == 0  # added all the same: a metric may be recorded later
    assert typo.stderr == (
        "Warning: None of the job's recent runs recorded acuracy: did you mean accuracy?\n"
    )
    unknown = as_json(tmp_path, "alerts", "rule", "add", "1", "missing loss")
    assert unknown["warning"] == (
        "None of the job's recent runs recorded loss: they recorded accuracy, rows, summary."
    )
    whole = as_json(tmp_path, "alerts", "rule", "add", "1", "summary > 0.3")
    assert whole["warning"].startswith(
        'summary is not a number in the job\'s recent runs ({"mean":0.5} in run 11)'
    )
    assert as_json(tmp_path, "alerts", "rule", "add", "1", "missing summary")["warning"] is None
    assert as_json(tmp_path, "alerts", "rule", "add", "1", "rows > 2")["warning"] is None

    listed = {r["text"]: r["warning"] for r in as_json(tmp_path, "alerts", "rule", "list")}
    assert listed["accuracy < 0.9"] is None  # a number in run 11, text in run 10
    assert listed["acuracy drops > 5% over 5"].endswith("did you mean accuracy?")
    table = nbtools(tmp_path, "alerts", "rule", "list", "--job", "1").output
    assert "warning: None of the job's recent runs recorded acuracy" in table


def test_a_rule_on_a_job_whose_runs_record_no_metric_says_how_to_record_it(
    tmp_path: Path,
) -> None:
    """A job that ran but recorded nothing is known to record nothing (a run harvested with
    no metric), unlike a job that never ran."""
    with_jobs(tmp_path, 1)
    project = Project(tmp_path)
    store_metrics(project, 1, 10)  # finished, recorded nothing
    project.close()
    added = nbtools(tmp_path, "alerts", "rule", "add", "1", "rows < 10")
    assert added.exit_code == 0
    assert added.stderr == (
        "Warning: None of the job's recent runs recorded rows: they recorded no metric (in the "
        "notebook, nbtools.record('rows', VALUE) records it).\n"
    )
    assert as_json(tmp_path, "alerts", "rule", "add", "1", "failed")["warning"] is None


def test_a_trend_line_for_flat_negative_and_unit_series() -> None:
    from nbtools.cli.metrics import trend

    assert trend("rows", [5, 5, 5]) == "rows  ▄▄▄  min 5 · median 5 · max 5 · last 5"
    assert (
        trend("loss", [-1.0, 0.0, -0.5])
        == "loss  ▁█▅  min -1.0 · median -0.5 · max 0.0 · last -0.5"
    )
    assert trend("time", [2, 4], "s") == "time  ▁█  min 2 s · median 3.0 s · max 4 s · last 4 s"
    # numbers near a float's largest: the median of two was their sum halved, inf, and the
    # bars of opposite signs a ValueError (their span overflowed to inf, inf / inf is NaN)
    assert trend("big", [1.7e308, 1.7e308]) == (
        "big  ▄▄  min 1.7e+308 · median 1.7e+308 · max 1.7e+308 · last 1.7e+308"
    )
    assert trend("big", [-1.7e308, 1.7e308, 1.7e308, -1.7e308]) == (
        "big  ▁██▁  min -1.7e+308 · median 0.0 · max 1.7e+308 · last -1.7e+308"
    )


def _latencies(root: Path) -> None:
    """Job 7's runs 1-3, each recording a latency in seconds, unrounded, as a service does."""
    from nbtools.metrics.harvest import Harvest, HarvestedMetric
    from nbtools.metrics.series import save_run_metrics

    project = Project(root)
    for run_id in (1, 2, 3):
        store_metrics(project, 7, run_id)  # the run, recording nothing yet
        latency = HarvestedMetric("latency_p50", 0.0007043448163774058 * run_id, "s", "serve", 0)
        with project.store.session(write=True) as session:
            save_run_metrics(session, run_id, 7, Harvest({"latency_p50": latency}))
    project.close()


def test_metric_values_are_rounded_and_never_split(tmp_path: Path) -> None:
    """``latency_p50`` printed as ``0.000704344 / 8163774058 / s`` on three lines of ``metrics
    series``, and ``0.0007043448163774058`` in ``metrics show``; at 40 columns the numbers
    folded instead of the table becoming a listing (cli.md: a number never breaks)."""
    _latencies(tmp_path)
    series = CliRunner(env={"COLUMNS": "80"}).invoke(
        cli, ["--root", str(tmp_path), "metrics", "series", "7"]
    )
    assert series.exit_code == 0, series.output
    rows = table_rows(series.output)
    assert [row["latency_p50 (s)"] for row in rows] == ["0.0007043", "0.001409", "0.002113"]
    assert "min 0.0007043 s · median 0.001409 s · max 0.002113 s" in series.output
    exact = as_json(tmp_path, "metrics", "series", "7")["series"]["latency_p50"][0]["value"]
    assert exact == 0.0007043448163774058
    for columns in ("80", "40", "24"):
        shown = CliRunner(env={"COLUMNS": columns}).invoke(
            cli, ["--root", str(tmp_path), "metrics", "show", "1"]
        )
        assert shown.exit_code == 0, shown.output
        assert "0.0007043" in shown.output, shown.output  # whole, on one line
        assert "0.00070434" not in shown.output
    narrow = CliRunner(env={"COLUMNS": "40"}).invoke(
        cli, ["--root", str(tmp_path), "metrics", "series", "7"]
    )
    assert "0.0007043" in narrow.output, narrow.output
    assert "0.001409" in narrow.output


def test_a_rule_on_a_job_without_runs_says_when_it_is_first_checked(tmp_path: Path) -> None:
    """``alerts rule add 1 failed`` on a job with no run printed only ``Rule 1 on job 1:
    failed``, though the README says it tells what it makes of the latest run."""
    with_jobs(tmp_path, 3)
    added = nbtools(tmp_path, "alerts", "rule", "add", "3", "failed")
    assert added.output == (
        "Rule 1 on job 3: failed\n"
        "Job 3 has no finished run yet: the rule is first checked when one ends.\n"
    )
    late = nbtools(tmp_path, "alerts", "rule", "add", "3", "late 26h")
    assert late.output == "Rule 2 on job 3: late 26h\n"  # it watches the clock
