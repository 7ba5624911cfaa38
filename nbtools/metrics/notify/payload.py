"""What a notification says: one JSON payload, also rendered as an e-mail."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from nbtools._version import __version__
from nbtools.jsonvalues import dumps_text
from nbtools.metrics.rules import RunFacts
from nbtools.metrics.tables import ON_ALERT, ON_FAILURE, Alert, Notification


@dataclass(frozen=True)
class JobRef:
    """The job a notification is about."""

    id: int
    name: str


def as_sent(notification: Notification, base_url: str) -> dict[str, Any]:
    """What is sent for a queued ``notification``: its :func:`notification_id` first, then
    its payload, with links to look at (:func:`with_links`)."""
    return {
        "notification_id": notification_id(notification.id, notification.created_at),
        **with_links(notification.payload, base_url, notification.job_id, notification.run_id),
    }


def notification_id(delivery_id: int, created_at: datetime) -> str:
    """The id a delivery's payload carries, a UUID: the same on each of its attempts (and
    when it is retried by hand), another for any other delivery, of this store or another.
    A webhook also gets it as its ``Idempotency-Key`` header, an e-mail in its Message-ID."""
    moment = created_at.astimezone(timezone.utc).isoformat()
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"nbtools:notification:{delivery_id}:{moment}"))


def with_links(
    payload: dict[str, Any], base_url: str, job_id: int, run_id: int | None
) -> dict[str, Any]:
    """The payload with links to look at, added when sent (the server's public URL is a
    setting of the sender, which the process that queued the notification may not know)."""
    if not base_url:
        return payload
    base = base_url.rstrip("/")
    found = {"lab": f"{base}/lab", "job_alerts": f"{base}/nbtools/api/alerts?job={job_id}"}
    if run_id is not None:
        found["run_metrics"] = f"{base}/nbtools/api/runs/{run_id}/metrics"
        found["run"] = f"{base}/nbtools/api/runs/{run_id}"
    return {**payload, "links": found}


def summary(event: str, job: JobRef, run: RunFacts | None, alert: Alert | None) -> str:
    """One line: what happened to which job."""
    if event == ON_ALERT and alert is not None:
        return f"[{job.name}] alert: {alert.message}"
    run_text = f"run {run.run_id}" if run is not None else "a run"
    status = run.status.replace("_", " ") if run is not None else "finished"
    return f"[{job.name}] {run_text} {'failed' if event == ON_FAILURE else status}"


def build_payload(
    event: str, job: JobRef, run: RunFacts | None, alert: Alert | None
) -> dict[str, Any]:
    """The JSON body posted to webhooks (and the facts of an e-mail)."""
    return {
        "event": event,
        "summary": summary(event, job, run, alert),
        "job": {"id": job.id, "name": job.name},
        "run": None
        if run is None
        else {
            "id": run.run_id,
            "status": run.status,
            "parameters": dict(run.parameters),
            "metrics": dict(run.metrics),
        },
        "alert": None
        if alert is None
        else {
            "id": alert.id,
            "rule": alert.rule_text,
            "kind": alert.kind,
            "metric": alert.metric,
            "message": alert.message,
            "values": alert.observed,
        },
        "links": {},
        "sent_by": f"jupyter-nbtools {__version__}",
    }


def render_email(payload: dict[str, Any]) -> tuple[str, str]:
    """Subject and plain-text body of the e-mail for ``payload``."""
    lines = [payload["summary"], ""]
    if payload.get("alert"):
        alert = payload["alert"]
        lines += [f"Rule: {alert['rule']}", f"Values: {dumps_text(alert['values'])}"]
    if payload.get("run"):
        run = payload["run"]
        lines += [f"Run: {run['id']} ({run['status']})"]
        lines += [f"Parameters: {dumps_text(run['parameters'])}"] if run["parameters"] else []
        lines += [f"Metrics: {dumps_text(run['metrics'])}"] if run["metrics"] else []
    lines += [f"{name}: {url}" for name, url in payload.get("links", {}).items()]
    lines += ["", f"Sent by {payload['sent_by']}."]
    subject = " ".join(f"nbtools: {payload['summary']}".split())  # one line, whatever the names
    return subject[:200], "\n".join(lines) + "\n"
