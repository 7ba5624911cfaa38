from __future__ import annotations

import pytest

from nbtools.errors import ConflictError, InvalidInputError
from nbtools.metrics.notify.outbox import add_target, check_destination, check_events, list_targets
from nbtools.metrics.views import shown_destination
from nbtools.project import Project
from tests.unit.metrics.conftest import add_jobs


@pytest.mark.parametrize(
    ("channel", "destination", "normalized"),
    [
        ("webhook", " https://hooks.example.org/x?token=1 ", "https://hooks.example.org/x?token=1"),
        ("webhook", "http://127.0.0.1:8080/hook", "http://127.0.0.1:8080/hook"),
        ("email", "ops@example.org,  ana@example.org ", "ops@example.org, ana@example.org"),
    ],
)
def test_destinations_are_checked_and_normalized(
    channel: str, destination: str, normalized: str
) -> None:
    assert check_destination(channel, destination) == normalized


@pytest.mark.parametrize(
    ("channel", "destination", "message"),
    [
        ("webhook", "ftp://example.org/x", "needs an http:// or https:// URL"),
        ("webhook", "file:///etc/passwd", "needs an http:// or https:// URL"),
        ("webhook", "https:///nohost", "with a host"),
        ("email", "ops", "Not an e-mail address: ops"),
        ("email", "ops@example.org, bad@", "Not an e-mail address: bad@"),
        ("email", " , ", "Not an e-mail address"),
        ("sms", "+1555", "Unknown channel 'sms'"),
    ],
)
def test_bad_destinations_are_refused(channel: str, destination: str, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        check_destination(channel, destination)


def test_events_are_checked_and_ordered() -> None:
    assert check_events(["success", "failure"]) == ["failure", "success"]
    with pytest.raises(InvalidInputError, match="Notify on one or more of failure, alert, success"):
        check_events(["alerts"])
    with pytest.raises(InvalidInputError, match="got none"):
        check_events([])


def test_email_addresses_given_twice_are_kept_once() -> None:
    assert check_destination("email", "ops@x.org, ana@x.org,ops@x.org") == "ops@x.org, ana@x.org"


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (("webhook", "https://hooks.example.org/x"), ("webhook", " https://hooks.example.org/x")),
        (("email", "ops@x.org, ana@x.org"), ("email", "Ana@X.org,ops@x.org")),
    ],
)
def test_the_same_destination_twice_on_a_job_is_a_conflict_naming_the_target(
    any_project: Project, first: tuple[str, str], second: tuple[str, str]
) -> None:
    """Each event would have been delivered twice; the job's targets are unchanged."""
    add_jobs(any_project, 1, 2)
    with any_project.store.session(write=True) as session:
        existing = add_target(session, 1, *first, ["failure"]).id
    with any_project.store.session(write=True) as session:
        with pytest.raises(ConflictError, match=f"target {existing}, on failure") as refused:
            add_target(session, 1, *second, ["alert", "success"])
        assert refused.value.details == {"target_id": existing}
    with any_project.store.session(write=True) as session:
        assert [t.id for t in list_targets(session, 1)] == [existing]
        add_target(session, 2, *second, ["failure"])  # another job may
        add_target(session, 1, "email" if first[0] == "webhook" else "webhook", (
            "ops@x.org" if first[0] == "webhook" else "https://hooks.example.org/y"
        ), ["failure"])  # fmt: skip


@pytest.mark.parametrize(
    ("destination", "shown"),
    [
        ("https://bot:s%3Acret@hooks.example.org/x", "https://bot:***@hooks.example.org/x"),
        ("https://token@hooks.example.org/x", "https://token@hooks.example.org/x"),
        ("https://hooks.example.org/x?to=a@b", "https://hooks.example.org/x?to=a@b"),
        ("ops@x.org", "ops@x.org"),
    ],
)
def test_a_webhook_password_is_never_shown(destination: str, shown: str) -> None:
    assert shown_destination(destination) == shown
