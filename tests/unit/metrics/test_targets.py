from __future__ import annotations

import pytest

from nbtools import audit, metrics
from nbtools.errors import ConflictError, InvalidInputError
from nbtools.metrics.notify.outbox import add_target, check_destination, check_events, list_targets
from nbtools.metrics.views import shown_destination
from nbtools.project import Project
from nbtools.urls import site_only
from tests.unit.metrics.conftest import add_jobs

#: A Slack-style webhook: its secret is in the path and the query, not only the password.
SLACK = "https://user:pw@hooks.example.com/services/T0/B0/SECRETPATH?token=SECRETQ"


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
        # a password holding an unencoded '@' or ':' showed its end (cret@hooks...)
        ("https://bot:s3@cret@hooks.example.org/x", "https://bot:***@hooks.example.org/x"),
        ("https://bot:s3:cr@et@hooks.example.org", "https://bot:***@hooks.example.org"),
    ],
)
def test_a_webhook_password_is_never_shown(destination: str, shown: str) -> None:
    assert shown_destination(destination) == shown


@pytest.mark.parametrize(
    ("url", "site"),
    [
        (SLACK, "https://***@hooks.example.com/***"),
        ("https://token@hooks.example.org:8443/x", "https://***@hooks.example.org:8443/***"),
        ("https://hooks.example.org/?token=SECRET", "https://hooks.example.org/***"),
        ("https://hooks.example.org/#SECRET", "https://hooks.example.org/***"),
        ("http://[::1]:9/SECRET", "http://[::1]:9/***"),
        ("https://hooks.example.org/", "https://hooks.example.org/"),  # nothing to hide
        ("https://hooks.example.org", "https://hooks.example.org"),
    ],
)
def test_only_a_url_s_site_is_kept_for_good(url: str, site: str) -> None:
    assert site_only(url) == site


def test_the_trail_keeps_only_a_webhook_s_site_and_listings_its_path(
    any_project: Project,
) -> None:
    """The trail is kept for good and read by admins: a Slack-style webhook's path and query
    (its secret) stay out of it; listings show the target as it is now to whoever may read
    the job (as they show its parameters), its password as ***."""
    add_jobs(any_project, 1)
    with any_project.store.session(write=True) as session:
        webhook = add_target(session, 1, "webhook", SLACK, ["failure"], actor="ana").id
        mail = add_target(session, 1, "email", "ops@example.org", ["alert"], actor="ana").id
    (listed,) = [t for t in metrics.list_targets(any_project, 1) if t.id == webhook]
    assert listed.destination == (
        "https://user:***@hooks.example.com/services/T0/B0/SECRETPATH?token=SECRETQ"
    )
    metrics.remove_target(any_project, webhook, actor="bob")
    entries = audit.list_entries(any_project, action="notify.*")
    assert [(e.actor, e.action, e.target) for e in entries] == [
        ("bob", "notify.remove", f"notification target {webhook}"),
        ("ana", "notify.add", f"notification target {mail}"),
        ("ana", "notify.add", f"notification target {webhook}"),
    ]
    assert [e.summary["destination"] for e in entries] == [
        "https://***@hooks.example.com/***",
        "ops@example.org",
        "https://***@hooks.example.com/***",
    ]
    assert "SECRET" not in str([e.summary for e in entries])
    assert "pw" not in str([e.summary for e in entries])


@pytest.mark.parametrize(
    "destination", ["ftp://bot:s3@cret@hooks.example.org/x", "https://bot:s3@cret@[::1/x"]
)
def test_a_refused_webhook_url_is_told_without_its_password(destination: str) -> None:
    """An unbalanced IPv6 bracket raised ValueError (a 500 over REST)."""
    with pytest.raises(InvalidInputError, match="needs an http:// or https:// URL") as info:
        check_destination("webhook", destination)
    assert "cret" not in info.value.message
    assert "bot:***@" in info.value.message
    assert info.value.details == {
        "field": "destination",
        "destination": destination.replace("s3@cret", "***"),
    }
