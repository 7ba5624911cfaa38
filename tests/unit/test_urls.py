"""URLs as they may be shown: without the login, which ends at the last ``@`` before the
first ``/``, ``?`` or ``#`` (a password may hold an unencoded ``@`` or ``:``)."""

from __future__ import annotations

import pytest

from nbtools.errors import InvalidInputError
from nbtools.urls import checked_http_url, password_hidden, without_login


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


@pytest.mark.parametrize(
    ("url", "checked"),
    [
        ("https://hooks.example.org/x?token=1", "https://hooks.example.org/x?token=1"),
        ("http://127.0.0.1:1/x", "http://127.0.0.1:1/x"),
        ("http://127.0.0.1:65535", "http://127.0.0.1:65535"),
        ("http://[::1]:8080/x", "http://[::1]:8080/x"),
        ("http://host:/x", "http://host:/x"),  # an empty port is the scheme's
        ("HTTP://Host/x%20y", "http://Host/x%20y"),
        ("http://bücher.example/x", "http://bücher.example/x"),  # sent as xn--bcher-kva
        ("http://host/x#é", "http://host/x#é"),  # a fragment is not sent
        # the login is sent as Basic authentication: its '@', ':' and non-ASCII letters may stay
        ("https://bot:s3@cr:ét@hooks.example.org/x", "https://bot:s3@cr:ét@hooks.example.org/x"),
    ],
)
def test_a_url_an_http_request_can_be_made_to_is_accepted(url: str, checked: str) -> None:
    assert checked_http_url(url, "destination", "A webhook") == checked


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("ftp://host/x", "needs an http:// or https:// URL with a host, got 'ftp://host/x'."),
        ("http:///x", "needs an http:// or https:// URL with a host"),
        ("http://u:p@[::1/x", "needs an http:// or https:// URL with a host, got 'http://u:***@"),
        ("http://127.0.0.1:8124/a b", "holds a space: percent-encode it (%20)."),
        ("http://host/a\tb", "holds the control character '\\t': percent-encode it (%09)."),
        ("http://host/a\nb", "holds the control character '\\n'"),
        ("http://ho st/", "holds a space"),
        ("http://host/?q=\x7f", "holds the control character '\\x7f'"),
        ("http://127.0.0.1:abc/", "has the port 'abc': give a number from 1 to 65535"),
        ("http://127.0.0.1:0/", "has the port '0'"),
        ("http://127.0.0.1:99999/", "has the port '99999'"),
        ("http://127.0.0.1:65536/", "has the port '65536'"),
        ("http://host:+80/", "has the port '+80'"),
        ("http://host:\uff18\uff10/", "has the port '\uff18\uff10'"),
        ("http://[::1]:-1/", "has the port '-1'"),
        ("https://u:pw@host:x/", "URL 'https://u:***@host:x/' has the port 'x'"),
        ("http://host/café", "holds 'é', which a request cannot carry as it is: percent-encode "
         "it (%C3%A9)."),
        ("http://host/x?city=Zürich", "holds 'ü'"),
        ("http://ä..example/", "names the host 'ä..example', which is not a valid domain name."),
    ],
)  # fmt: skip
def test_a_url_no_http_request_can_be_made_to_is_refused_naming_the_field(
    url: str, problem: str
) -> None:
    """Such URLs were accepted as webhooks; every delivery to them then failed."""
    with pytest.raises(InvalidInputError) as refused:
        checked_http_url(url, "destination", "A webhook")
    assert refused.value.message.startswith("A webhook ")
    assert problem in refused.value.message
    assert refused.value.details == {"field": "destination", "destination": password_hidden(url)}
