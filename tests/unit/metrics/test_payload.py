from __future__ import annotations

from nbtools.metrics.notify.payload import JobRef, build_payload, render_email, with_links
from nbtools.metrics.rules import RunFacts


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
