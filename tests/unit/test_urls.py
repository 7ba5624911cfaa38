"""URLs as they may be shown: without the login, which ends at the last ``@`` before the
first ``/``, ``?`` or ``#`` (a password may hold an unencoded ``@`` or ``:``); a URL
location's one spelling; URLs an HTTP request can be made to."""

from __future__ import annotations

import pytest

from nbtools import urls
from nbtools.errors import InvalidInputError
from nbtools.urls import checked_http_url, normalized_url, password_hidden, without_login


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


#: A host name of 253 characters, the most a domain name has: four labels of 63 and a dot each.
LONGEST_HOST = ".".join(["a" * 63] * 4)[: 253 - 2] + ".z"


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
        ("http://my_host.internal./x", "http://my_host.internal./x"),  # '_', a final dot
        ("http://xn--bcher-kva.example/x", "http://xn--bcher-kva.example/x"),  # bücher
        (f"http://{'a' * 63}.example/", f"http://{'a' * 63}.example/"),  # the longest label
        (f"http://{LONGEST_HOST}./", f"http://{LONGEST_HOST}./"),  # 253 and a final dot
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
        ("http://ä..example/", "names the host 'ä..example', which is not a valid domain name"),
        # a host a resolver cannot take: with ';' what follows it was audited as the site
        ("https://hooks.example.com;SECRET", "names the host 'hooks.example.com;secret', which "
         "is not a valid domain name: a host is dot-separated letters, digits, '-' and '_', an "
         "IPv4 address or an [IPv6] one."),
        ("http://h%2eexample/", "names the host 'h%2eexample'"),
        ("http://ä;x.example/", "names the host 'ä;x.example'"),
        ("http://a..b/", "names the host 'a..b'"),
        ("http://[v1.x]/", "names the host 'v1.x'"),
        # hosts no resolver takes: every delivery failed as a DNS error
        ("http://xn--/x", "names the host 'xn--', whose label 'xn--' is not a valid IDNA label"),
        ("http://a.XN--ZZ.example/", "names the host 'a.xn--zz.example', whose label 'xn--zz' "
         "is not a valid IDNA label: an 'xn--' label is the ASCII form of an international "
         "name (xn--bcher-kva for bücher): give the name, or its exact ASCII form."),
        ("http://xn--abc-.example/", "whose label 'xn--abc-' is not a valid IDNA label"),
        (f"http://{'a' * 64}.example/", "which has a label of 64 characters: a label of a "
         "domain name has at most 63."),
        (f"http://{LONGEST_HOST}b/", "names a host of 254 characters: a domain name has at "
         "most 253."),
        # browsers read '\' as '/': their host is hooks.example.com, urllib's evil.com
        ("https://hooks.example.com\\@evil.com/x", "holds a backslash in its authority"),
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


@pytest.mark.parametrize(
    ("url", "spelled"),
    [
        # the scheme, for every URL
        ("S3://Bucket/x.csv", "s3://Bucket/x.csv"),
        ("s3://Bucket/x.csv", "s3://Bucket/x.csv"),
        ("MEMORY://a/b", "memory://a/b"),
        # an object store's bucket keeps its case; its key's %, . and .. are the key's own
        ("s3://bucket/x.csv", "s3://bucket/x.csv"),
        ("s3://b/a/../x%41.csv", "s3://b/a/../x%41.csv"),
        ("gs://b/./x%7e.csv", "gs://b/./x%7e.csv"),
        ("s3://b:443/x", "s3://b:443/x"),  # no port to drop: the authority is a bucket
        ("s3://Key:Secret@b/x", "s3://Key:Secret@b/x"),
        # fsspec's other name of a store's protocol (one filesystem: one object)
        ("s3a://Bucket/a/b", "s3://Bucket/a/b"),
        ("S3A://Bucket/a//b/", "s3://Bucket/a//b"),  # // is part of the key
        ("gcs://bucket/x", "gs://bucket/x"),
        ("gs://Bucket/x", "gs://Bucket/x"),  # no GCS bucket holds capitals: no other spelling
        ("s3n://Bucket/x", "s3n://Bucket/x"),  # not fsspec's
        # Azure: the account's host (a DNS name) in lower case, the container as written
        (
            "abfs://Data@Acct.DFS.core.windows.net/a//B/",
            "abfs://Data@acct.dfs.core.windows.net/a//B",
        ),
        ("az://Container/X", "az://Container/X"),
        # trailing slashes, as fsspec drops them
        ("s3://Bucket/table/", "s3://Bucket/table"),
        ("s3://Bucket/table//", "s3://Bucket/table"),
        ("s3://b/", "s3://b"),
        ("s3:///", "s3:///"),  # nothing but slashes: kept
        ("memory://", "memory://"),
        # http(s): host, default port, empty path, escapes, dot segments
        ("https://Example.com/a", "https://example.com/a"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("https://example.com:80/a", "https://example.com:80/a"),  # not https's port
        ("https://example.com:0443/a", "https://example.com/a"),
        ("https://example.com:08080/a", "https://example.com:8080/a"),
        ("https://example.com:/a", "https://example.com/a"),
        ("https://example.com:abc/a", "https://example.com:abc/a"),  # no number: as written
        ("https://example.com", "https://example.com/"),
        ("https://example.com?q=1", "https://example.com/?q=1"),
        ("https://example.com#top", "https://example.com/#top"),
        ("https://example.com/a/", "https://example.com/a/"),  # a trailing slash kept
        ("https://example.com/A/B.csv", "https://example.com/A/B.csv"),  # the path's case kept
        ("https://h/a/./b/../c", "https://h/a/c"),
        ("https://h/a/b/.", "https://h/a/b/"),
        ("https://h/a/b/..", "https://h/a/"),
        ("https://h/..", "https://h/"),
        ("https://h/../../a", "https://h/a"),
        ("https://h/a//../b", "https://h/a/b"),
        ("https://h/a//b", "https://h/a//b"),  # an empty segment is one
        ("https://h/a/.b/..c", "https://h/a/.b/..c"),  # names that begin with dots
        ("https://h/a?x=/../y#/./z", "https://h/a?x=/../y#/./z"),  # query, fragment as written
        ("https://h/%7Euser/%41%2d%5F%2e", "https://h/~user/A-_."),
        ("https://h/a/%2E%2E/b", "https://h/b"),  # an escaped dot segment is one
        ("https://h/a%2fb%3a%c3%a9", "https://h/a%2Fb%3A%C3%A9"),  # reserved: kept, upper case
        ("https://h/?q=%41%20b", "https://h/?q=A%20b"),
        ("https://h/%zz%4", "https://h/%zz%4"),  # not escapes
        ("https://h/a b/é", "https://h/a b/é"),  # not encoded here
        ("https://User:P%41ss@Example.COM:443/x", "https://User:PAss@example.com/x"),
        ("https://u:p@c@Example.com/x", "https://u:p@c@example.com/x"),  # the login's last @
        ("https://%45xample.com/x", "https://example.com/x"),
        ("https://[FE80::1]:443/x", "https://[fe80::1]/x"),
        ("https://[::1]:8443/x", "https://[::1]:8443/x"),
        ("https://[::1]x/y", "https://[::1]x/y"),  # malformed: as written
        ("https://[::1/x", "https://[::1/x"),
        ("HTTPS://Example.COM:443/a/./b/../%7Ec?q=%41#F", "https://example.com/a/~c?q=A#F"),
        # other schemes whose host is a machine: host and port, then trailing slashes
        ("ftp://U@Files.Example.com:21/Dir/x%41/", "ftp://U@files.example.com/Dir/x%41"),
        ("sftp://Host:22/a/../b", "sftp://host/a/../b"),
        ("sftp://Host:2222/b", "sftp://host:2222/b"),
        ("hdfs://NameNode:8020/d/", "hdfs://namenode:8020/d"),
        # not URLs the catalog spells: paths, file: URLs, chains
        ("data/x.csv", "data/x.csv"),
        ("Data/X.csv/", "Data/X.csv/"),
        ("FILE:///Abs/x/", "FILE:///Abs/x/"),
        ("local:///abs/../x", "local:///abs/../x"),
        ("simplecache::S3://b/k/", "simplecache::S3://b/k/"),
    ],
)
def test_a_url_location_has_one_spelling(url: str, spelled: str) -> None:
    """Before, every one of these was stored, and compared, as written."""
    assert normalized_url(url) == spelled
    assert normalized_url(spelled) == spelled  # idempotent


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("https://bot:s3cr3t@pkgs.example/a.whl", "https://pkgs.example/a.whl"),
        ("git+https://ghp_TOKEN@github.com/o/r", "git+https://github.com/o/r"),
        ("ssh://git@github.com/o/r", "ssh://git@github.com/o/r"),
        ("ssh://git:pw@github.com/o/r", "ssh://github.com/o/r"),
        ("https://${USER}:${TOKEN}@h/x.tar.gz", "https://${USER}:${TOKEN}@h/x.tar.gz"),
        ("https://${TOKEN}@h/x", "https://${TOKEN}@h/x"),
        ("https://${USER}:plain@h/x", "https://h/x"),
        ("https://${ÜSER}@h/x", "https://h/x"),
        ("https://${}@h/x", "https://h/x"),
        ("a @ https://u:p@h/x and https://v@h2?q=a@b", "a @ https://h/x and https://h2?q=a@b"),
        ("file:///srv/a.whl", "file:///srv/a.whl"),
    ],
)
def test_a_direct_url_keeps_only_a_login_that_is_no_secret(url: str, kept: str) -> None:
    """nbtools' rule (a snapshot read or migrated) and the capture script's own twin (run in
    the kernel's interpreter, without nbtools) agree."""
    from nbtools.envsnap import capture

    assert urls.shareable_url(url) == kept
    assert capture.shareable_url(url) == kept
