"""What the outbox does with deliveries whose target is removed, and which deliveries can be
sent again: against a real local webhook receiver."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import delete

from nbtools import metrics
from nbtools.cli.app import cli
from nbtools.errors import ConflictError
from nbtools.metrics.notify.outbox import enqueue, retry_now
from nbtools.metrics.notify.sender import NotificationSender
from nbtools.metrics.tables import Notification, NotificationTarget
from nbtools.project import Project
from tests.integration.metrics.conftest import Clock, WebhookReceiver, queue, statuses, stored
from tests.unit.metrics.conftest import add_run

REMOVED = "Not sent: its notification target 1 was removed."


def test_removing_a_target_cancels_its_deliveries_not_sent_yet(
    project: Project, webhook: WebhookReceiver, sender: NotificationSender, clock: Clock
) -> None:
    """The removed destination still got them: the outbox kept retrying a delivery whose
    target was gone (and ``--retry`` sent it there again)."""
    (failed_once,) = queue(project, clock, "webhook", f"{webhook.url}/removed", run_id=1)
    webhook.replies = [500]
    assert sender.deliver_due() == 1
    assert statuses(project)[failed_once.id][:2] == ("pending", 1)
    (waiting,) = queue(project, clock, "webhook", f"{webhook.url}/other", run_id=2)
    target = stored(project, Notification.target_id, failed_once.id)
    assert target is not None

    removed = metrics.remove_target(project, target, actor="ana")
    assert (removed.id, removed.cancelled_deliveries) == (target, 1)
    assert statuses(project)[failed_once.id] == ("cancelled", 1, f"Not sent: its notification "
                                                 f"target {target} was removed.")  # fmt: skip
    assert statuses(project)[waiting.id][0] == "pending"  # another target's: untouched
    clock.now += timedelta(hours=2)
    assert sender.deliver_due() == 1  # the other target's only
    assert [path for path, _ in webhook.received] == ["/other"]
    with pytest.raises(ConflictError, match="target was removed") as refused:
        metrics.retry_notification(project, failed_once.id)
    assert refused.value.message == (
        f"Notification {failed_once.id} cannot be sent again: its notification target was "
        "removed. Add a target to notify that destination of new events."
    )
    assert refused.value.details == {"id": failed_once.id, "status": "cancelled"}
    (listed,) = metrics.list_notifications(project, status="cancelled")
    assert (listed.id, listed.target_id, listed.last_error) == (
        failed_once.id, None, f"Not sent: its notification target {target} was removed."
    )  # fmt: skip


def test_removing_a_target_says_how_many_deliveries_it_cancelled(
    project: Project, webhook: WebhookReceiver, clock: Clock
) -> None:
    """`notify remove` (its --json, the REST API's DELETE) cancelled them without a word:
    its pending and in-flight ones count, not its delivered or failed ones, nor another
    target's; a target with none says 0."""
    (pending,) = queue(project, clock, "webhook", f"{webhook.url}/removed", run_id=1)
    (other,) = queue(project, clock, "email", "ops@example.org", run_id=5)
    more = {}
    for run, status in ((2, "sending"), (3, "failed"), (4, "delivered")):
        add_run(project, 1, run, "failed")
        with project.store.session(write=True) as session:
            (more[status],) = enqueue(
                session, job_id=1, event="failure", run_id=run, payload={}, now=clock()
            )
            more[status].status = status
    target = stored(project, Notification.target_id, pending.id)
    assert target is not None
    assert {stored(project, Notification.target_id, n.id) for n in more.values()} == {target}
    removed = nbtools(project, "alerts", "notify", "remove", str(target))
    assert removed.exit_code == 0, removed.output
    assert removed.stdout == (
        f"Removed target {target}: {webhook.url}/***; cancelled 2 deliveries not sent yet.\n"
    )
    now = statuses(project)
    assert [now[n.id][0] for n in (pending, more["sending"], more["failed"], more["delivered"])] == [
        "cancelled", "cancelled", "failed", "delivered"
    ]  # fmt: skip
    assert now[other.id][0] == "pending"
    others = stored(project, Notification.target_id, other.id)
    assert others is not None
    gone = json.loads(nbtools(project, "alerts", "notify", "remove", str(others), "--json").stdout)
    assert (gone["id"], gone["cancelled_deliveries"]) == (others, 1)
    fresh = metrics.add_target(project, 5, "email", "ana@example.org", ["failure"])
    none = nbtools(project, "alerts", "notify", "remove", str(fresh.id))
    assert none.stdout == (
        f"Removed target {fresh.id}: ana@example.org; cancelled 0 deliveries not sent yet.\n"
    )


def test_a_failed_delivery_of_a_removed_target_stays_failed_and_cannot_be_retried(
    project: Project, webhook: WebhookReceiver, sender: NotificationSender, clock: Clock
) -> None:
    """Its attempts and last error are what happened; sending it again is refused."""
    (failed,) = queue(project, clock, "webhook", f"{webhook.url}/hook")
    webhook.replies = [500, 500, 500]
    for _ in range(3):
        assert sender.deliver_due() == 1
        clock.now += timedelta(hours=1)
    assert statuses(project)[failed.id][:2] == ("failed", 3)
    metrics.remove_target(project, 1)
    assert statuses(project)[failed.id][:2] == ("failed", 3)
    with pytest.raises(ConflictError, match="target was removed"):
        metrics.retry_notification(project, failed.id)
    assert sender.deliver_due() == 0
    assert webhook.received == []


@pytest.mark.parametrize(("reply", "outcome"), [(500, "cancelled"), (204, "delivered")])
def test_an_attempt_in_flight_when_its_target_is_removed_records_what_it_did_once(
    project: Project,
    webhook: WebhookReceiver,
    sender: NotificationSender,
    clock: Clock,
    reply: int,
    outcome: str,
) -> None:
    """A failed attempt is not retried; one that got through says so (it was sent)."""
    (in_flight,) = queue(project, clock, "webhook", f"{webhook.url}/slow")
    webhook.replies = [reply]
    attempt = threading.Thread(target=sender.deliver_due)
    attempt.start()
    try:
        assert webhook.got_request.wait(30)
        metrics.remove_target(project, 1)
        assert statuses(project)[in_flight.id] == ("cancelled", 1, REMOVED)
    finally:
        webhook.release_slow.set()
        attempt.join(30)
    status, attempts, error = statuses(project)[in_flight.id]
    assert (status, attempts) == (outcome, 1)
    assert error == (REMOVED if outcome == "cancelled" else None)
    clock.now += timedelta(hours=2)
    assert sender.deliver_due() == 0
    assert len(webhook.received) == (1 if outcome == "delivered" else 0)


def test_a_delivery_left_by_an_earlier_version_for_a_removed_target_is_cancelled_unsent(
    project: Project, webhook: WebhookReceiver, sender: NotificationSender, clock: Clock
) -> None:
    """Earlier versions deleted the target alone (its deliveries kept, ``target_id`` null)."""
    (orphan,) = queue(project, clock, "webhook", f"{webhook.url}/removed", run_id=1)
    (kept,) = queue(project, clock, "webhook", f"{webhook.url}/kept", run_id=2)
    with project.store.session(write=True) as session:
        session.execute(delete(NotificationTarget).where(NotificationTarget.id == 1))
    assert stored(project, Notification.target_id, orphan.id) is None
    assert statuses(project)[orphan.id][0] == "pending"
    assert sender.deliver_due() == 1
    assert [path for path, _ in webhook.received] == ["/kept"]
    assert statuses(project)[orphan.id] == (
        "cancelled", 0, "Not sent: its notification target was removed."
    )  # fmt: skip
    assert statuses(project)[kept.id][0] == "delivered"


def test_only_a_failed_or_waiting_delivery_can_be_sent_again(
    project: Project, webhook: WebhookReceiver, sender: NotificationSender, clock: Clock
) -> None:
    """A delivered (or in-flight) one answered success and nothing happened."""
    (delivered,) = queue(project, clock, "webhook", f"{webhook.url}/hook", run_id=1)
    assert sender.deliver_due() == 1
    with pytest.raises(ConflictError) as refused:
        metrics.retry_notification(project, delivered.id)
    assert refused.value.message == (
        f"Notification {delivered.id} was delivered at 2026-11-25T12:00:00+00:00: there is "
        "nothing to retry."
    )
    assert refused.value.details == {"id": delivered.id, "status": "delivered"}

    (waiting,) = queue(project, clock, "webhook", f"{webhook.url}/hook", run_id=2)
    webhook.replies = [500]
    assert sender.deliver_due() == 1
    assert statuses(project)[waiting.id][:2] == ("pending", 1)  # waits an hour's backoff
    with project.store.session(write=True) as session:  # the face's clock is the real one
        queued = retry_now(session, waiting.id, clock())
        assert (queued.status, queued.attempts) == ("pending", 0)
    assert sender.deliver_due() == 1  # now, not after the backoff
    assert statuses(project)[waiting.id][:2] == ("delivered", 1)

    (in_flight,) = queue(project, clock, "webhook", f"{webhook.url}/slow", run_id=3)
    webhook.got_request.clear()
    attempt = threading.Thread(target=sender.deliver_due)
    attempt.start()
    try:
        assert webhook.got_request.wait(30)
        with pytest.raises(ConflictError, match=r"is being sent now \(attempt 1\)"):
            metrics.retry_notification(project, in_flight.id)
    finally:
        webhook.release_slow.set()
        attempt.join(30)
    assert statuses(project)[in_flight.id][:2] == ("delivered", 1)
    assert len(webhook.received) == 3


def test_the_cli_says_which_delivery_it_queued_and_why_it_refuses_one(
    project: Project, webhook: WebhookReceiver, sender: NotificationSender, clock: Clock
) -> None:
    """`--retry ID` printed the deliveries table and nothing about ID, whatever it did."""
    (delivered,) = queue(project, clock, "webhook", f"{webhook.url}/hook", run_id=1)
    (waiting,) = queue(project, clock, "webhook", f"{webhook.url}/hook", run_id=2)
    webhook.replies = [204, 500]
    assert sender.deliver_due() == 2
    queued = nbtools(project, "alerts", "deliveries", "--retry", str(waiting.id))
    assert queued.exit_code == 0, queued.output
    assert queued.stdout.startswith(
        f"Queued notification {waiting.id} (failure of job 2, webhook to {webhook.url}/***) to "
        "be sent again at the scheduler's next chance, with fresh attempts.\n"
    )
    assert statuses(project)[waiting.id][:2] == ("pending", 0)
    refused = nbtools(project, "alerts", "deliveries", "--retry", str(delivered.id))
    assert refused.exit_code == 2
    assert refused.output == (
        f"Error: Notification {delivered.id} was delivered at 2026-11-25T12:00:00+00:00: there "
        "is nothing to retry.\n"
    )
    as_json = nbtools(project, "alerts", "deliveries", "--retry", str(delivered.id), "--json")
    assert as_json.exit_code == 2
    assert json.loads(as_json.stdout)["details"] == {"id": delivered.id, "status": "delivered"}
    assert nbtools(project, "alerts", "deliveries", "--status", "cancelled").exit_code == 0


def nbtools(project: Project, *args: str) -> Result:
    return CliRunner(env={"COLUMNS": "250"}).invoke(cli, ["--root", str(project.root), *args])
