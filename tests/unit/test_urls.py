"""URLs as they may be shown: without the login, which ends at the last ``@`` before the
first ``/`` (a password may hold an unencoded ``@`` or ``:``)."""

from __future__ import annotations

import pytest

from nbtools.urls import password_hidden, without_login


@pytest.mark.parametrize(
    ("url", "shown", "hidden"),
    [
        ("postgresql://me:s3@cret@db/x", "postgresql://db/x", "postgresql://me:***@db/x"),
        ("https://u:a@b:c@d@host:8443/p", "https://host:8443/p", "https://u:***@host:8443/p"),
        ("https://u:a:b:c@host/x", "https://host/x", "https://u:***@host/x"),
        ("https://u:s3@cret@host", "https://host", "https://u:***@host"),  # no path
        ("https://u:s3@cret@host?x=1", "https://host?x=1", "https://u:***@host?x=1"),
        ("redis://:s3@cret@cache:6379", "redis://cache:6379", "redis://:***@cache:6379"),
        ("https://token@host/x", "https://host/x", "https://token@host/x"),  # no password
        ("https://u:p@[::1", "https://[::1", "https://u:***@[::1"),  # malformed, still hidden
        ("https://host/users/@me", "https://host/users/@me", "https://host/users/@me"),
        ("https://host/x?to=a@b", "https://host/x?to=a@b", "https://host/x?to=a@b"),
        ("sqlite:////srv/a@b/nbtools.db", "sqlite:////srv/a@b/nbtools.db", None),
        ("ops@example.org", "ops@example.org", "ops@example.org"),  # no URL
    ],
)
def test_the_login_is_all_of_the_authority_up_to_its_last_at(
    url: str, shown: str, hidden: str | None
) -> None:
    assert without_login(url) == shown
    assert password_hidden(url) == (url if hidden is None else hidden)


def test_every_url_of_a_text_loses_its_login_and_no_more() -> None:
    text = (
        "Cannot use 'postgresql://me:p@ss:w@db:54x/x' (see https://docs.example.org/a@b) "
        "or ftp://a:b@c@files.example.org"
    )
    assert without_login(text) == (
        "Cannot use 'postgresql://db:54x/x' (see https://docs.example.org/a@b) "
        "or ftp://files.example.org"
    )
    assert "ss:w" not in password_hidden(text)


def test_a_password_holding_a_slash_must_be_percent_encoded() -> None:
    """Unencoded, it cannot be told from a path (documented); encoded, it is hidden."""
    assert without_login("https://u:p%2Fss@host/x") == "https://host/x"
