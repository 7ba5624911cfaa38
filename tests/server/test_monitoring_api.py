"""The monitoring REST API on a real Jupyter server."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update
from tornado.httpclient import HTTPClientError

from nbtools import audit
from nbtools.metrics import DEFAULT_PAGE_RUNS
from nbtools.metrics.config import NotificationSettings
from nbtools.metrics.monitor import after_run, load_facts
from nbtools.metrics.notify.payload import JobRef
from nbtools.metrics.notify.sender import NotificationSender
from nbtools.metrics.tables import Notification, NotificationTarget
from nbtools.project import Project
from tests.integration.metrics.conftest import Clock, queue, running_mail_server
from tests.unit.metrics.conftest import add_jobs, store_metrics


@pytest.fixture
def root_project(jp_root_dir: Path) -> Iterator[Project]:
    """The server root's project, opened by the test to prepare data."""
    project = Project(jp_root_dir)
    yield project
    project.close()


async def call(
    jp_fetch: Any, *path: str, method: str = "GET", body: Any = None, **params: Any
) -> Any:
    response = await jp_fetch(
        "nbtools", "api", *path, method=method, params=params,
        body=None if body is None else json.dumps(body),
    )  # fmt: skip
    return json.loads(response.body)


async def error_of(jp_fetch: Any, *path: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
    with pytest.raises(HTTPClientError) as info:
        await call(jp_fetch, *path, **kwargs)
    return info.value.code, json.loads(info.value.response.body)


async def test_run_metrics_and_paged_job_series(jp_fetch: Any, root_project: Project) -> None:
    for run_id, accuracy in ((4, 0.9), (5, 0.91), (6, 0.7)):
        store_metrics(root_project, 2, run_id, accuracy=accuracy, loss=1 - accuracy)
    run = await call(jp_fetch, "runs", "6", "metrics")
    assert [(m["name"], m["value"]) for m in run["metrics"]] == [
        ("accuracy", 0.7),
        ("loss", pytest.approx(0.3)),
    ]
    page = await call(jp_fetch, "jobs", "2", "metrics", metric="accuracy", limit="2")
    assert page["run_ids"] == [5, 6]
    assert [point["value"] for point in page["series"]["accuracy"]] == [0.91, 0.7]
    older = await call(jp_fetch, "jobs", "2", "metrics", before=str(page["next_before_run"]))
    assert older["run_ids"] == [4]
    assert set(older["series"]) == {"accuracy", "loss"}
    # a metric the job never recorded: an empty series, and the names it did record
    unknown = await call(jp_fetch, "jobs", "2", "metrics", metric="no such")
    assert (unknown["series"], unknown["metric_names"]) == ({}, ["accuracy", "loss"])
    assert page["metric_names"] == ["accuracy", "loss"]

    assert (await error_of(jp_fetch, "runs", "99", "metrics"))[0] == 404
    code, body = await error_of(jp_fetch, "jobs", "2", "metrics", limit="many")
    assert (code, body["error"]) == (400, "InvalidInputError")
    assert "'limit' must be a whole number" in body["message"]
    assert (await error_of(jp_fetch, "jobs", "2", "metrics", limit="0"))[0] == 400


async def test_a_series_page_holds_the_cli_s_default_number_of_runs(
    jp_fetch: Any, root_project: Project
) -> None:
    """`GET /jobs/<id>/metrics` answered 100 runs where `nbtools metrics series` shows 50:
    the route takes the one default, DEFAULT_PAGE_RUNS."""
    for run_id in range(1, DEFAULT_PAGE_RUNS + 2):
        store_metrics(root_project, 2, run_id, accuracy=0.5)
    page = await call(jp_fetch, "jobs", "2", "metrics")
    assert (len(page["run_ids"]), page["next_before_run"]) == (DEFAULT_PAGE_RUNS, 2)


#: Every list route's ``limit``: the largest it takes (the CLI's ``--limit`` takes the same).
LIST_LIMITS = [
    (("alerts",), 1000),
    (("notifications",), 1000),
    (("runs",), 1000),
    (("audit",), 10000),
    (("jobs", "1", "metrics"), 500),
    (("jobs", "overview"), 200),
    (("datasets",), 1000),
    (("datasets", "search"), 1000),
]


@pytest.mark.parametrize(
    ("path", "most"), LIST_LIMITS, ids=lambda v: "/".join(v) if isinstance(v, tuple) else None
)
@pytest.mark.parametrize("limit", ["0", "100000", "ten"])
async def test_a_list_refuses_a_limit_out_of_its_range_naming_the_range(
    jp_fetch: Any, root_project: Project, path: tuple[str, ...], most: int, limit: str
) -> None:
    """`GET /alerts?limit=0` (or 100000) answered a list of 1 (or 1000) alerts, where `nbtools
    alerts list --limit 0` refuses: every list route refuses a limit out of its range with a
    400 naming `limit` and the range, as the CLI does."""
    add_jobs(root_project, 1)
    words = {"q": "customers"} if path[-1] == "search" else {}
    code, body = await error_of(jp_fetch, *path, limit=limit, **words)
    assert (code, body["details"]["field"]) == (400, "limit")
    assert f"'limit' must be a whole number from 1 to {most}, got '{limit}'" in body["message"]


async def test_a_job_that_does_not_exist_has_no_series_rules_or_targets(
    jp_fetch: Any, root_project: Project
) -> None:
    """`GET /jobs/999/metrics` answered 200 with an empty series (and rules and targets an
    empty list), so a dashboard with a wrong job id drew an empty chart: 404, as the CLI
    says. An archived job's are still there, but it takes no new rule or target (they were
    accepted, and could never act); a query's `job` filter stays a filter."""
    add_jobs(root_project, 5)
    store_metrics(root_project, 5, 50, accuracy=0.9)
    for resource in ("metrics", "rules", "notifications"):
        code, body = await error_of(jp_fetch, "jobs", "999", resource)
        assert (code, body["error"]) == (404, "NotFoundError")
        assert body["message"].startswith("Job 999 does not exist.")
        assert body["details"]["job_id"] == 999
    await jp_fetch("nbtools", "api", "jobs", "5", method="DELETE")  # archived
    page = await call(jp_fetch, "jobs", "5", "metrics")
    assert page["run_ids"] == [50]
    assert await call(jp_fetch, "jobs", "5", "rules") == []
    assert await call(jp_fetch, "jobs", "5", "notifications") == []
    for resource, body in (
        ("rules", {"text": "failed"}),
        ("notifications", {"channel": "webhook", "destination": "http://127.0.0.1:9/h"}),
    ):  # an archived job takes no new ones: they could never act
        code, reply = await error_of(jp_fetch, "jobs", "5", resource, method="POST", body=body)
        assert (code, reply["error"]) == (409, "ConflictError")
        assert "cannot be edited or run" in reply["message"]
    assert await call(jp_fetch, "alerts", job="999") == []
    assert await call(jp_fetch, "notifications", job="999") == []


async def test_rules_crud_with_precise_errors(jp_fetch: Any, root_project: Project) -> None:
    add_jobs(root_project, 3)
    created = await call(jp_fetch, "jobs", "3", "rules", method="POST", body={"text": "acc < 0.9"})
    assert (created["job_id"], created["text"], created["kind"]) == (3, "acc < 0.9", "threshold")
    code, body = await error_of(
        jp_fetch, "jobs", "3", "rules", method="POST", body={"text": "acc < nine"}
    )
    assert (code, body["error"], body["details"]["column"]) == (400, "RuleSyntaxError", 7)
    code, body = await error_of(
        jp_fetch, "jobs", "3", "rules", method="POST", body={"text": "acc  <  0.9"}
    )
    assert (code, body["details"]["rule_id"]) == (409, created["id"])
    code, body = await error_of(jp_fetch, "jobs", "3", "rules", method="POST", body={"text": 5})
    assert (code, body["message"]) == (400, "The field 'text' must be a string, not 5.")
    for given, said in ((True, "true"), (["a"], '["a"]')):  # as sent, not True or ['a']
        body = {"text": given}
        code, body = await error_of(jp_fetch, "jobs", "3", "rules", method="POST", body=body)
        assert (code, body["message"]) == (400, f"The field 'text' must be a string, not {said}.")
    assert [r["id"] for r in await call(jp_fetch, "jobs", "3", "rules")] == [created["id"]]
    await call(jp_fetch, "rules", str(created["id"]), method="DELETE")
    assert await call(jp_fetch, "jobs", "3", "rules") == []
    assert (await error_of(jp_fetch, "rules", str(created["id"]), method="DELETE"))[0] == 404
    code, body = await error_of(
        jp_fetch, "jobs", "9", "rules", method="POST", body={"text": "failed"}
    )
    assert (code, body["message"]) == (
        404,
        "Job 9 does not exist. List jobs with `nbtools schedule list`.",
    )


async def test_alerts_list_counts_and_acknowledge(jp_fetch: Any, root_project: Project) -> None:
    add_jobs(root_project, 1)
    await call(jp_fetch, "jobs", "1", "rules", method="POST", body={"text": "failed"})
    store_metrics(root_project, 1, 8)
    with root_project.store.session(write=True) as session:
        (facts,) = load_facts(session, [(8, "failed", {})])
        now = datetime.now(timezone.utc)
        after_run(session, job=JobRef(1, "train"), run=facts, previous=[], now=now)

    (alert,) = await call(jp_fetch, "alerts", job="1", status="open")
    assert (alert["run_id"], alert["message"]) == (8, "Run 8 failed.")
    assert await call(jp_fetch, "alerts", "counts") == {"1": 1}
    acked = await call(jp_fetch, "alerts", str(alert["id"]), "ack", method="POST", body={})
    assert acked["status"] == "acknowledged"
    assert acked["acknowledged_by"]
    again = await call(jp_fetch, "alerts", str(alert["id"]), "ack", method="POST", body={})
    assert again["acknowledged_at"] == acked["acknowledged_at"]
    (entry,) = audit.list_entries(root_project, action="alert.*")  # the second changed nothing
    assert (entry.actor, entry.action, entry.target) == (
        acked["acknowledged_by"], "alert.ack", f"alert {alert['id']}"
    )  # fmt: skip
    assert entry.summary == {"job_id": 1, "run_id": 8, "rule": "failed"}
    assert await call(jp_fetch, "alerts", "counts") == {}
    assert (await error_of(jp_fetch, "alerts", status="closed"))[0] == 400
    assert (await error_of(jp_fetch, "alerts", "77", "ack", method="POST", body={}))[0] == 404


async def test_notification_targets_and_deliveries(jp_fetch: Any, root_project: Project) -> None:
    add_jobs(root_project, 4)
    secret = "https://hooks.example.org/services/T0/SECRET?token=SECRET"
    target = await call(
        jp_fetch, "jobs", "4", "notifications", method="POST",
        body={"channel": "webhook", "destination": secret, "events": ["alert"]},
    )  # fmt: skip
    assert (target["job_id"], target["events"]) == (4, ["alert"])
    # a webhook by its site and fingerprint, in the reply and the listing alike (before, the
    # listing showed its path and query, the secret, to whoever may read nbtools)
    fingerprint = hashlib.sha256(secret.encode()).hexdigest()[:8]
    assert (target["destination"], target["fingerprint"]) == (
        "https://hooks.example.org/***",
        fingerprint,
    )
    assert await call(jp_fetch, "jobs", "4", "notifications") == [target]
    code, body = await error_of(
        jp_fetch, "jobs", "4", "notifications", method="POST",
        body={"channel": "webhook", "destination": "file:///etc/passwd"},
    )  # fmt: skip
    assert code == 400
    assert "http:// or https://" in body["message"]
    for channel, never_works, problem in [
        ("webhook", "http://127.0.0.1:99999/", "has the port '99999'"),
        ("webhook", "http://127.0.0.1:8124/a b", "holds a space"),
        ("webhook", "https://hooks.example.com;SECRETPARAM", "which is not a valid domain name"),
        ("webhook", "https://hooks.example.com\\@evil.com/x", "holds a backslash in its authority"),
        ("webhook", "http://xn--/x", "whose label 'xn--' is not a valid IDNA label"),
        # a control character was sent raw to the SMTP server (201)
        ("email", "a@b.org\u0000", "a control character"),
    ]:
        code, body = await error_of(
            jp_fetch, "jobs", "4", "notifications", method="POST",
            body={"channel": channel, "destination": never_works, "events": ["alert"]},
        )  # fmt: skip
        assert (code, body["details"]["field"]) == (400, "destination")
        assert problem in body["message"]
    code, body = await error_of(
        jp_fetch, "jobs", "5", "notifications", method="POST",
        body={"channel": "webhook", "destination": secret},
    )  # fmt: skip
    assert (code, body["error"]) == (404, "NotFoundError")
    assert [t["id"] for t in await call(jp_fetch, "jobs", "4", "notifications")] == [target["id"]]
    assert await call(jp_fetch, "notifications", job="4") == []
    assert (await error_of(jp_fetch, "notifications", "5", "retry", method="POST", body={}))[
        0
    ] == 404
    await call(jp_fetch, "notification-targets", str(target["id"]), method="DELETE")
    assert await call(jp_fetch, "jobs", "4", "notifications") == []


@pytest.mark.scheduler(None)  # no sender: the deliveries stay as the test leaves them
async def test_a_delivery_is_sent_again_only_if_it_can_be(
    jp_fetch: Any, root_project: Project
) -> None:
    """Retrying a delivered notification answered 200 and did nothing; so did one whose
    target was removed, which was then sent to the removed destination."""
    clock = Clock()
    (sent,) = queue(root_project, clock, "webhook", "http://127.0.0.1:9/a", run_id=1)
    (waiting,) = queue(root_project, clock, "webhook", "http://127.0.0.1:9/b", run_id=2)
    with root_project.store.session(write=True) as session:
        session.execute(
            update(Notification)
            .where(Notification.id == sent.id)
            .values(status="delivered", attempts=1, delivered_at=clock())
        )
    code, body = await error_of(
        jp_fetch, "notifications", str(sent.id), "retry", method="POST", body={}
    )
    assert (code, body["error"], body["details"]) == (
        409, "ConflictError", {"id": sent.id, "status": "delivered"}
    )  # fmt: skip
    assert body["message"] == (
        f"Notification {sent.id} was delivered at 2026-11-25T12:00:00+00:00: there is nothing "
        "to retry."
    )
    queued = await call(jp_fetch, "notifications", str(waiting.id), "retry", method="POST", body={})
    assert (queued["id"], queued["status"], queued["attempts"]) == (waiting.id, "pending", 0)
    # it sends the run's data out again: audited (the refused retries are not)
    (entry,) = audit.list_entries(root_project, action="notify.retry")
    assert (entry.actor, entry.target) == (audit.current_actor(), f"notification {waiting.id}")
    assert entry.summary == {
        "job_id": waiting.job_id, "target_id": waiting.target_id, "channel": "webhook",
        "destination": "http://127.0.0.1:9/***", "event": waiting.event, "run_id": 2,
        "alert_id": None, "status": "pending",
    }  # fmt: skip
    removed = await call(jp_fetch, "notification-targets", str(waiting.target_id), method="DELETE")
    assert (removed["id"], removed["cancelled_deliveries"]) == (waiting.target_id, 1)
    (cancelled,) = await call(jp_fetch, "notifications", status="cancelled")
    assert (cancelled["id"], cancelled["target_id"], cancelled["last_error"]) == (
        waiting.id, None, f"Not sent: its notification target {waiting.target_id} was removed."
    )  # fmt: skip
    code, body = await error_of(
        jp_fetch, "notifications", str(waiting.id), "retry", method="POST", body={}
    )
    assert (code, body["details"]["status"]) == (409, "cancelled")
    assert "its notification target was removed" in body["message"]


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
async def test_a_refused_smtp_login_is_shown_without_the_password(
    jp_fetch: Any, root_project: Project
) -> None:
    secret = "never-in-a-reply-7f3a"
    clock = Clock()
    with running_mail_server(password="the-right-one", auth_require_tls=False) as server:
        settings = NotificationSettings(
            smtp_host=server.host, smtp_port=server.port, smtp_username="ana",
            smtp_password=secret, max_attempts=3,
        )  # fmt: skip
        queue(root_project, clock, "email", "ops@example.org")
        NotificationSender(root_project.store, settings, clock).deliver_due()
    response = await jp_fetch("nbtools", "api", "notifications", params={"job": "1"})
    (shown,) = json.loads(response.body)
    assert (shown["status"], shown["attempts"]) == ("failed", 1)  # a 535 is not retried
    assert "refused the login of 'ana' (535 " in shown["last_error"]
    assert secret not in response.body.decode()


async def test_a_target_an_older_nbtools_stored_unchecked_is_marked(
    jp_fetch: Any, root_project: Project
) -> None:
    """A webhook target stored before its host's check refused `;` was listed as any other
    (and POSTed to): its `problem` says it is never sent to and why; other targets' is null."""
    add_jobs(root_project, 3)
    with root_project.store.session(write=True) as session:
        session.add(
            NotificationTarget(
                job_id=3,
                channel="webhook",
                destination="https://hooks.example.com;SECRET/services/T0",
                events=["failure"],
                enabled=True,
            )
        )
    added = await call(
        jp_fetch, "jobs", "3", "notifications", method="POST",
        body={"channel": "webhook", "destination": "https://hooks.example.com/services/T1"},
    )  # fmt: skip
    stale, fine = await call(jp_fetch, "jobs", "3", "notifications")
    assert (fine["id"], fine["problem"], added["problem"]) == (added["id"], None, None)
    assert stale["problem"].startswith(
        "Its destination does not pass the check of a new target (it was stored by an older "
        "nbtools): A webhook URL 'https://hooks.example.com;SECRET/***' names the host "
    )
    assert "services" not in stale["problem"]
