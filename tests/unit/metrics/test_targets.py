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
        ("webhook", "https://h.example/" + "x" * 2030, "https://h.example/" + "x" * 2030),
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
        # URLs no delivery could ever reach were accepted (every attempt then failed)
        ("webhook", "http://127.0.0.1:8124/a b", "A webhook URL .* holds a space"),
        ("webhook", "http://127.0.0.1:abc/", "has the port 'abc'"),
        ("webhook", "http://127.0.0.1:0/", "has the port '0'"),
        ("webhook", "http://127.0.0.1:99999/", "has the port '99999'"),
        # longer than the column (a 500 on PostgreSQL)
        (
            "webhook",
            "https://h.example/" + "x" * 2031,
            "at most 2048 characters; this one has 2049",
        ),
        ("email", ",".join(f"a{i:03}@b.co" for i in range(187)), "this one has 2055"),
        ("email", "ops", "Not an e-mail address: ops"),
        ("email", "ops@example.org, bad@", "Not an e-mail address: bad@"),
        ("email", " , ", "Not an e-mail address"),
        # sent raw into the SMTP envelope and the To header, and a second target for a@b.org
        ("email", "a@b.org\x00", r"Not an e-mail address: 'a@b.org\\x00' \(a control character\)"),
        ("email", "ok@b.org, m@n.org\x01", r"'m@n.org\\x01' \(a control character\)"),
        ("email", "a@b.org\x7f", "a control character"),
        ("email", "a\u200b@b.org", "a control character"),
        ("sms", "+1555", "Unknown channel 'sms'"),
    ],
)
def test_bad_destinations_are_refused(channel: str, destination: str, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message) as refused:
        check_destination(channel, destination)
    assert refused.value.details["field"] == ("channel" if channel == "sms" else "destination")


def test_events_are_checked_and_ordered() -> None:
    assert check_events(["success", "failure"]) == ["failure", "success"]
    with pytest.raises(InvalidInputError, match="Notify on one or more of failure, alert, success"):
        check_events(["alerts"])
    with pytest.raises(InvalidInputError, match="got none"):
        check_events([])


@pytest.mark.parametrize(
    ("destination", "kept"),
    [
        ("ops@x.org, ana@x.org,ops@x.org", "ops@x.org, ana@x.org"),
        # the same mailbox in another case was kept twice (each alert went to it twice), while
        # another target with it was refused as the same destination
        ("a@b.c,A@B.C", "a@b.c"),
        ("Ops@X.org, ana@x.org, OPS@x.ORG, Ana@x.org", "Ops@X.org, ana@x.org"),
    ],
)
def test_email_addresses_given_twice_are_kept_once_in_any_case(destination: str, kept: str) -> None:
    """The first spelling is kept, in the order given."""
    assert check_destination("email", destination) == kept


def test_a_target_naming_a_mailbox_twice_conflicts_with_one_naming_it_once(
    any_project: Project,
) -> None:
    """One rule for "the same address": within a target and across a job's targets."""
    add_jobs(any_project, 1)
    with any_project.store.session(write=True) as session:
        target = add_target(session, 1, "email", "a@b.c,A@B.C", ["alert"])
        assert (target.destination, target.id) == ("a@b.c", 1)
    refused = pytest.raises(ConflictError, match="target 1, on alert")
    with any_project.store.session(write=True) as session, refused:
        add_target(session, 1, "email", "A@b.C", ["failure"])


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (("webhook", "https://hooks.example.org/x"), ("webhook", " https://hooks.example.org/x")),
        # one endpoint written another way was a second target: each event posted twice to it
        (("webhook", "https://hooks.example.org/x"), ("webhook", "https://HOOKS.example.org/x")),
        (
            ("webhook", "https://hooks.example.org/x"),
            ("webhook", "https://hooks.example.org:443/x"),
        ),
        (("webhook", "https://hooks.example.org/x"), ("webhook", "https://hooks.example.org./x")),
        (("webhook", "https://hooks.example.org/x"), ("webhook", "https://hooks.example.org/x#f")),
        (("webhook", "https://hooks.example.org/x"), ("webhook", "https://hooks.example.org/./x")),
        (("webhook", "https://bücher.example/x"), ("webhook", "https://xn--bcher-kva.example/x")),
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


def test_webhooks_differing_in_path_port_or_query_are_different_targets(project: Project) -> None:
    add_jobs(project, 1)
    urls = ["https://h.example/x", "https://h.example/X", "https://h.example/x/",
            "https://h.example:8443/x", "https://h.example/x?a=1", "http://h.example/x",
            "https://u@h.example/x"]  # fmt: skip
    with project.store.session(write=True) as session:
        for url in urls:
            add_target(session, 1, "webhook", url, ["failure"])
        assert len(list_targets(session, 1)) == len(urls)


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


def test_listings_replies_and_the_trail_show_a_webhook_by_its_site_and_fingerprint(
    any_project: Project,
) -> None:
    """Before, a target listed (to anyone allowed to read nbtools) and a delivery showed a
    Slack-style webhook's path and query, its secret; only the audit trail kept its site."""
    from datetime import datetime, timezone

    from nbtools.digest import sha256_hex
    from nbtools.metrics.notify.outbox import enqueue

    add_jobs(any_project, 1)
    other = "https://hooks.example.com/services/T0/B1/OTHERSECRET"
    added = metrics.add_target(any_project, 1, "webhook", SLACK, ["failure"], actor="ana")
    second = metrics.add_target(any_project, 1, "webhook", other, ["failure"], actor="ana")
    mail = metrics.add_target(any_project, 1, "email", "ops@example.org", ["alert"], actor="ana")
    with any_project.store.session(write=True) as session:
        now = datetime.now(timezone.utc)
        enqueue(session, job_id=1, event="failure", payload={}, now=now)
    listed = metrics.list_targets(any_project, 1)
    assert [(t.id, t.destination, t.fingerprint) for t in listed] == [
        (added.id, "https://***@hooks.example.com/***", sha256_hex(SLACK.encode())[:8]),
        (second.id, "https://hooks.example.com/***", sha256_hex(other.encode())[:8]),
        (mail.id, "ops@example.org", sha256_hex(b"ops@example.org")[:8]),
    ]
    assert listed[0] == added  # the reply to adding it shows it so too
    deliveries = metrics.list_notifications(any_project, job_id=1)
    assert sorted((n.target_id, n.destination) for n in deliveries) == [
        (added.id, "https://***@hooks.example.com/***"),
        (second.id, "https://hooks.example.com/***"),
    ]
    removed = metrics.remove_target(any_project, added.id, actor="bob")
    assert (removed.destination, removed.fingerprint) == (listed[0].destination, added.fingerprint)
    entries = audit.list_entries(any_project, action="notify.*")
    assert [(e.actor, e.action, e.target) for e in entries] == [
        ("bob", "notify.remove", f"notification target {added.id}"),
        ("ana", "notify.add", f"notification target {mail.id}"),
        ("ana", "notify.add", f"notification target {second.id}"),
        ("ana", "notify.add", f"notification target {added.id}"),
    ]
    assert [e.summary["destination"] for e in entries] == [
        "https://***@hooks.example.com/***",
        "ops@example.org",
        "https://hooks.example.com/***",
        "https://***@hooks.example.com/***",
    ]
    shown = str([added, second, removed, *listed, *deliveries, *(e.summary for e in entries)])
    assert "SECRET" not in shown
    assert "pw" not in shown


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
