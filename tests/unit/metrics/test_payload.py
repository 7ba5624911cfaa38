from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

from nbtools.metrics.notify.payload import (
    JobRef,
    as_sent,
    build_payload,
    notification_id,
    render_email,
    with_links,
)
from nbtools.metrics.rules import RunFacts
from nbtools.metrics.tables import Notification


def test_email_subject_is_one_line_and_body_lists_the_facts() -> None:
    job = JobRef(3, "train\nBcc: someone@example.org")
    payload = build_payload("success", job, RunFacts(9, "succeeded", {"rows": 5}, {"n": 1}), None)
    subject, body = render_email(payload)
    assert subject == "nbtools: [train Bcc: someone@example.org] run 9 succeeded"
    assert 'Parameters: {"n": 1}' in body
    assert 'Metrics: {"rows": 5}' in body
    assert payload["links"] == {}


def test_links_are_added_when_the_public_url_is_set() -> None:
    payload = build_payload("failure", JobRef(3, "t"), RunFacts(9, "failed"), None)
    assert payload["summary"] == "[t] run 9 failed"
    assert with_links(payload, "", 3, 9)["links"] == {}
    assert with_links(payload, "https://hub/u/", 3, 9)["links"] == {
        "lab": "https://hub/u/lab",
        "job_alerts": "https://hub/u/nbtools/api/alerts?job=3",
        "run_metrics": "https://hub/u/nbtools/api/runs/9/metrics",
        "run": "https://hub/u/nbtools/api/runs/9",
    }


def test_a_delivery_s_notification_id_is_its_own_and_the_same_on_every_attempt() -> None:
    """A UUID of the delivery's id and creation time, however the store returns that time."""
    created = datetime(2026, 11, 25, 12, 0, 0, 123456, tzinfo=timezone.utc)
    paris = created.astimezone(timezone(timedelta(hours=1)))
    one = notification_id(7, created)
    assert one == notification_id(7, paris)
    assert (
        len(
            {
                one,
                notification_id(8, created),
                notification_id(7, created + timedelta(microseconds=1)),
            }
        )
        == 3
    )
    assert str(uuid.UUID(one)) == one
    payload = build_payload("failure", JobRef(3, "t"), RunFacts(9, "failed"), None)
    queued = Notification(id=7, job_id=3, run_id=9, payload=payload, created_at=created)
    sent = as_sent(queued, "https://hub/u/")
    assert list(sent)[:2] == ["notification_id", "event"]
    assert sent["notification_id"] == one
    assert sent["links"]["run"] == "https://hub/u/nbtools/api/runs/9"
    assert "notification_id" not in queued.payload  # the queued payload is left as it is


def test_a_value_json_cannot_hold_is_null_in_the_email_too() -> None:
    """An alert stored by an earlier version could hold NaN and infinity among its values
    (a change rule near a float's largest): the e-mail's text said ``NaN``."""
    payload = build_payload("success", JobRef(3, "t"), RunFacts(9, "succeeded", {}), None)
    payload["alert"] = {"rule": "big rises > 1%", "values": {"baseline": float("inf")}}
    _subject, body = render_email(payload)
    assert 'Values: {"baseline": null}' in body
