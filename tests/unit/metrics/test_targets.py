from __future__ import annotations

import pytest

from nbtools.errors import InvalidInputError
from nbtools.metrics.notify.outbox import check_destination, check_events


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
