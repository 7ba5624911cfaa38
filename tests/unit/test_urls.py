"""URLs as they may be shown: without the login, which ends at the last ``@`` before the
first ``/``, ``?`` or ``#`` (a password may hold an unencoded ``@`` or ``:``)."""

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
        # an @ in the query or fragment of a URL without a path is no login's
        ("http://host?x=a@b", "http://host?x=a@b", "http://host?x=a@b"),
        ("http://host?x=a@b/c", "http://host?x=a@b/c", "http://host?x=a@b/c"),
        ("http://host:8080#a@b", "http://host:8080#a@b", "http://host:8080#a@b"),
        ("http://u:p@host?x=a@b", "http://host?x=a@b", "http://u:***@host?x=a@b"),
        ("http://u:p@c@host#to=a@b", "http://host#to=a@b", "http://u:***@host#to=a@b"),
        # a password's @, /, ? and # percent-encoded
        ("http://u:p%40ss@host/x", "http://host/x", "http://u:***@host/x"),
        ("postgresql://me:a%2Fb%3Fc%23d@db/x", "postgresql://db/x", "postgresql://me:***@db/x"),
        # IPv6 hosts
        ("http://u:p@[::1]:8080/x", "http://[::1]:8080/x", "http://u:***@[::1]:8080/x"),
        ("http://u:p@q@[2001:db8::7]", "http://[2001:db8::7]", "http://u:***@[2001:db8::7]"),
        ("http://[::1]?x=a@b", "http://[::1]?x=a@b", "http://[::1]?x=a@b"),
        ("http://[fe80::1%25eth0]:80#a@b", "http://[fe80::1%25eth0]:80#a@b", None),
        # no scheme: not a URL, no login known
        ("host?x=a@b", "host?x=a@b", "host?x=a@b"),
        ("me:pw@db:5432/x", "me:pw@db:5432/x", "me:pw@db:5432/x"),
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
        "or ftp://a:b@c@files.example.org, nor http://hooks.example.org?to=ops@example.org"
    )
    assert without_login(text) == (
        "Cannot use 'postgresql://db:54x/x' (see https://docs.example.org/a@b) "
        "or ftp://files.example.org, nor http://hooks.example.org?to=ops@example.org"
    )
    assert "ss:w" not in password_hidden(text)


@pytest.mark.parametrize("character", ["/", "?", "#"])
def test_a_password_holding_a_slash_a_question_mark_or_a_hash_must_be_percent_encoded(
    character: str,
) -> None:
    """Unencoded, it cannot be told from a path, a query or a fragment (documented): the
    authority ends there; encoded, it is hidden."""
    encoded = f"%{ord(character):02X}"
    assert without_login(f"https://u:p{encoded}ss@host/x") == "https://host/x"
    assert password_hidden(f"https://u:p{encoded}ss@host/x") == "https://u:***@host/x"
    assert without_login(f"https://u:p{character}ss@host/x") == f"https://u:p{character}ss@host/x"
