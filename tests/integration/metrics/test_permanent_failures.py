"""Which failed deliveries end at once and which are retried, and when: against a real local
webhook receiver and a real local SMTP server (aiosmtpd)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from email.utils import format_datetime

import pytest

from nbtools import metrics
from nbtools.metrics.config import NotificationSettings
from nbtools.metrics.notify.outbox import enqueue
from nbtools.metrics.notify.payload import JobRef, build_payload
from nbtools.metrics.notify.sender import NotificationSender
from nbtools.metrics.tables import Notification, NotificationTarget
from nbtools.project import Project
from tests.conftest import nbtools
from tests.integration.metrics.conftest import (
    Clock,
    MailServer,
    WebhookReceiver,
    queue,
    statuses,
)
from tests.unit.metrics.conftest import add_run

PERMANENT = "Permanent failure, not retried: "


def next_attempt(project: Project, notification_id: int) -> datetime:
    with project.store.session() as session:
        notification = session.get(Notification, notification_id)
        assert notification is not None
        return notification.next_attempt_at


#: How a redirect's failure ends, after its status: nbtools never follows it.
REDIRECTED = (
    ", redirecting to {url}/new. nbtools does not follow a webhook's redirect (it would send the "
    "notification without its body, or its login to another site): set the target's URL to the "
    "address it redirects to."
)


@pytest.mark.parametrize(
    ("status", "reason", "ending"),
    [
        (400, "Bad Request", ": receiver says no"),
        (401, "Unauthorized", ": receiver says no"),
        (404, "Not Found", ": receiver says no"),
        (410, "Gone", ": receiver says no"),
        (301, "Moved Permanently", REDIRECTED),
        (302, "Found", REDIRECTED),
        (303, "See Other", REDIRECTED),
        (307, "Temporary Redirect", REDIRECTED),
        (308, "Permanent Redirect", REDIRECTED),
    ],
)
def test_a_webhook_refusing_or_redirecting_fails_at_once(
    project: Project,
    webhook: WebhookReceiver,
    sender: NotificationSender,
    clock: Clock,
    status: int,
    reason: str,
    ending: str,
) -> None:
    """A 404 or 410 was retried until the attempts ran out, each answered the same; a 301, 302
    or 303 was followed with a GET, which carries no notification, and the delivery counted as
    delivered; a 307 or 308 was retried until the attempts ran out. Each fails at its first
    answer, and a redirect is never followed."""
    (queued,) = queue(project, clock, "webhook", f"{webhook.url}/old")
    webhook.replies = [(status, {"Location": f"{webhook.url}/new"})]
    assert sender.deliver_due() == 1
    assert statuses(project)[queued.id] == (
        "failed",
        1,
        f"{PERMANENT}The webhook answered HTTP {status} {reason}" + ending.format(url=webhook.url),
    )
    assert webhook.gets == []
    clock.now += timedelta(days=1)
    assert sender.deliver_due() == 0
    assert len(webhook.idempotency_keys) == 1  # one request, no other attempt


@pytest.mark.parametrize("status", [408, 425, 429, 500, 503])
def test_a_webhook_saying_not_now_is_retried_with_the_backoff(
    project: Project,
    webhook: WebhookReceiver,
    sender: NotificationSender,
    clock: Clock,
    status: int,
) -> None:
    (queued,) = queue(project, clock, "webhook", f"{webhook.url}/busy")
    webhook.replies = [status]
    assert sender.deliver_due() == 1
    state, attempts, error = statuses(project)[queued.id]
    assert (state, attempts) == ("pending", 1)
    assert (error or "").startswith(f"The webhook answered HTTP {status} ")
    assert next_attempt(project, queued.id) == clock() + timedelta(seconds=30)
    clock.now += timedelta(seconds=30)
    assert sender.deliver_due() == 1
    assert statuses(project)[queued.id] == ("delivered", 2, None)


@pytest.mark.parametrize(
    ("status", "retry_after", "wait"),
    [
        (429, "120", 120),  # later than the backoff's 30 s: waited for
        (503, "120", 120),
        (429, "5", 30),  # sooner: the backoff still holds
        (429, "0", 30),
        (429, "86400", 3600),  # later than the longest wait: that one
        (503, "Fri, 31 Dec 9999 23:59:59 GMT", 3600),
        (503, "Wed, 21 Oct 2015 07:28:00 GMT", 30),  # a moment past
        (429, "soon", 30),  # neither seconds nor a moment: the backoff
        (429, "-5", 30),
    ],
)
def test_a_retry_after_is_honoured_up_to_the_longest_wait(
    project: Project,
    webhook: WebhookReceiver,
    sender: NotificationSender,
    clock: Clock,
    status: int,
    retry_after: str,
    wait: int,
) -> None:
    (queued,) = queue(project, clock, "webhook", f"{webhook.url}/busy")
    webhook.replies = [(status, {"Retry-After": retry_after})]
    assert sender.deliver_due() == 1
    assert statuses(project)[queued.id][:2] == ("pending", 1)
    assert next_attempt(project, queued.id) == clock() + timedelta(seconds=wait)
    clock.now += timedelta(seconds=wait - 1)
    assert sender.deliver_due() == 0
    clock.now += timedelta(seconds=1)
    assert sender.deliver_due() == 1
    assert statuses(project)[queued.id][:2] == ("delivered", 2)


def test_a_retry_after_naming_a_moment_is_waited_for(
    project: Project, webhook: WebhookReceiver, sender: NotificationSender, clock: Clock
) -> None:
    (queued,) = queue(project, clock, "webhook", f"{webhook.url}/busy")
    moment = clock() + timedelta(minutes=10)
    webhook.replies = [(429, {"Retry-After": format_datetime(moment, usegmt=True)})]
    assert sender.deliver_due() == 1
    assert next_attempt(project, queued.id) == moment


def test_the_last_attempt_ends_as_failed_whatever_the_retry_after(
    project: Project,
    webhook: WebhookReceiver,
    settings: NotificationSettings,
    clock: Clock,
) -> None:
    settings.max_attempts = 1
    sender = NotificationSender(project.store, settings, clock)
    (queued,) = queue(project, clock, "webhook", f"{webhook.url}/busy")
    webhook.replies = [(429, {"Retry-After": "60"})]
    assert sender.deliver_due() == 1
    assert statuses(project)[queued.id] == (
        "failed", 1, "The webhook answered HTTP 429 Too Many Requests: receiver says no"
    )  # fmt: skip


@pytest.fixture
def mail_sender(
    project: Project, mail_server: MailServer, settings: NotificationSettings, clock: Clock
) -> NotificationSender:
    settings.smtp_host, settings.smtp_port = mail_server.host, mail_server.port
    return NotificationSender(project.store, settings, clock)


def where(server: MailServer) -> str:
    return f"The SMTP server {server.host}:{server.port}"


@pytest.mark.parametrize(
    ("stage", "reply", "state"),
    [
        ("sender", "550 5.7.1 Sender rejected", "failed"),
        ("sender", "451 4.7.1 Try again later", "pending"),
        ("recipient", "550 5.1.1 No such user", "failed"),
        ("recipient", "421 4.3.2 Closing down", "pending"),
        ("data", "554 5.6.0 Message refused", "failed"),
        ("data", "421 4.3.2 Closing down", "pending"),
    ],
)
def test_an_smtp_5xx_fails_at_once_and_a_4xx_is_retried(
    project: Project,
    mail_server: MailServer,
    mail_sender: NotificationSender,
    clock: Clock,
    stage: str,
    reply: str,
    state: str,
) -> None:
    """A 5xx answer to the sender, the recipient or the message was retried until the
    attempts ran out."""
    (queued,) = queue(project, clock, "email", "ops@example.org")
    if stage == "sender":
        mail_server.sender_replies = [reply]
    elif stage == "recipient":
        mail_server.recipient_replies = {"ops@example.org": reply}
    else:
        mail_server.replies = [reply]
    assert mail_sender.deliver_due() == 1
    status, attempts, error = statuses(project)[queued.id]
    assert (status, attempts) == (state, 1)
    assert error is not None
    assert error.startswith(PERMANENT) == (state == "failed")
    assert reply in error
    mail_server.recipient_replies = {}
    clock.now += timedelta(hours=1)
    assert mail_sender.deliver_due() == (1 if state == "pending" else 0)
    assert statuses(project)[queued.id][0] == ("delivered" if state == "pending" else "failed")


def test_a_recipient_refused_beside_an_accepted_one_is_recorded_and_not_retried(
    project: Project, mail_server: MailServer, mail_sender: NotificationSender, clock: Clock
) -> None:
    """The message went to the accepted recipient, and nothing said the other never got it."""
    mail_server.recipient_replies = {"ana@example.org": "550 5.1.1 No such user"}
    (queued,) = queue(project, clock, "email", "ops@example.org, ana@example.org")
    assert mail_sender.deliver_due() == 1
    assert mail_server.envelopes == [["ops@example.org"]]
    assert statuses(project)[queued.id] == (
        "delivered", 1, f"{where(mail_server)} refused ana@example.org (550 5.1.1 No such "
        "user); the other recipients got the message. Not retried: another attempt would "
        "send it to them again.",
    )  # fmt: skip
    clock.now += timedelta(days=1)
    assert mail_sender.deliver_due() == 0
    assert len(mail_server.messages) == 1


def test_every_recipient_refused_is_retried_unless_every_refusal_is_permanent(
    project: Project, mail_server: MailServer, mail_sender: NotificationSender, clock: Clock
) -> None:
    """One recipient refused for now and the other for good: the delivery is retried; when
    the first is taken then, the message goes to it and the other is recorded."""
    mail_server.recipient_replies = {
        "ops@example.org": "450 4.2.1 Mailbox busy",
        "ana@example.org": "550 5.1.1 No such user",
    }
    (queued,) = queue(project, clock, "email", "ops@example.org, ana@example.org")
    assert mail_sender.deliver_due() == 1
    assert statuses(project)[queued.id] == (
        "pending", 1, f"{where(mail_server)} refused every recipient: ops@example.org (450 "
        "4.2.1 Mailbox busy); ana@example.org (550 5.1.1 No such user).",
    )  # fmt: skip
    assert mail_server.messages == []
    del mail_server.recipient_replies["ops@example.org"]
    clock.now += timedelta(seconds=30)
    assert mail_sender.deliver_due() == 1
    status, attempts, error = statuses(project)[queued.id]
    assert (status, attempts) == ("delivered", 2)
    assert (error or "").startswith(f"{where(mail_server)} refused ana@example.org (550 ")
    assert mail_server.envelopes == [["ops@example.org"]]


def test_a_target_an_older_nbtools_stored_unchecked_is_never_sent_to_and_is_marked(
    project: Project, webhook: WebhookReceiver, sender: NotificationSender, clock: Clock
) -> None:
    """A webhook target stored before its URL's check refused a backslash in the authority
    (browsers go to the host before it, Python to the one after) was still POSTed to: the
    delivery fails at once, saying why, without a request, and every listing marks the
    target (the row is written to the store as the older nbtools wrote it)."""
    stale = webhook.url.replace("://", "://ops\\@") + "/hook"
    add_run(project, 1, 1, "failed")
    with project.store.session(write=True) as session:
        target = NotificationTarget(
            job_id=1, channel="webhook", destination=stale, events=["failure"], enabled=True
        )
        session.add(target)
        session.flush()
        (queued,) = enqueue(
            session, job_id=1, event="failure", run_id=1, now=clock(),
            payload=build_payload("failure", JobRef(1, "job-1"), None, None),
        )  # fmt: skip
    assert sender.deliver_due() == 1
    status, attempts, error = statuses(project)[queued.id]
    reason = (
        "Its destination does not pass the check of a new target (it was stored by an older "
        "nbtools): A webhook URL 'http://***@127.0.0.1:"
    )
    assert (status, attempts, (error or "").startswith(PERMANENT + reason)) == ("failed", 1, True)
    assert "holds a backslash in its authority" in (error or "")
    assert error.endswith("Remove the target and add its destination again, corrected.")
    assert "/hook" not in error  # the URL as listings show it: by its site only
    assert webhook.received == []
    clock.now += timedelta(days=1)
    assert sender.deliver_due() == 0  # not retried

    (listed,) = metrics.list_targets(project, 1)
    assert (listed.problem or "").startswith(reason)
    shown = nbtools(project.root, "alerts", "notify", "list")
    assert "(never sent to: see below)" in shown.stdout
    assert f"Target {listed.id} is never sent to. {reason}" in shown.stderr
    (as_json,) = json.loads(nbtools(project.root, "alerts", "notify", "list", "--json").stdout)
    assert as_json["problem"] == listed.problem
