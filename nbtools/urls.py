"""URLs: which locations are URLs, the path a ``file:`` URL names on this machine (the one
parser of them, for the data catalog and the jobs' storage alike), the one spelling of a URL
location (:func:`normalized_url`, the catalog's), whether an HTTP request can be made to a
URL (:func:`checked_http_url`, for webhooks), and URLs as they may be shown: without the login a URL can carry (``https://user:token@host/``), which would
otherwise reach errors, logs, listings and the files nbtools writes; or only their site, where
a record kept for good must hold no secret a path or query carries."""

from __future__ import annotations

import ipaddress
import re
import urllib.parse

from nbtools.errors import InvalidInputError

#: A URL's login: what lies between ``scheme://`` and the last ``@`` of the authority, which
#: ends at the first ``/``, ``?`` or ``#`` (or a space, or the end of the text): a password
#: may hold an unencoded ``@`` or ``:`` (``postgresql://me:p@ss@db/x`` logs in with ``p@ss``);
#: an ``@`` in the query or fragment of a URL without a path (``https://host?to=a@b``) is not
#: a login's.
_LOGIN = re.compile(r"(?<=://)[^/?#\s]*@")
_URL = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")
#: An environment variable in a login, as pip fills it in: ``${NAME}``.
_VARIABLE = re.compile(r"\$\{[A-Za-z0-9_-]+\}")
#: A ``file:`` URL in any of RFC 8089's forms (``local:`` is fsspec's other name for it).
_FILE_URL = re.compile(r"(?:file|local):", re.IGNORECASE)
#: An fsspec chain: ``simplecache::s3://b/k``, ``dir::file:///…``.
_CHAIN = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*::")
#: What an HTTP request line and its Host header cannot hold (http.client refuses them).
_SPACE_OR_CONTROL = re.compile(r"[\x00-\x20\x7f]")
#: A host name as resolvers take it: dot-separated labels of letters, digits, ``-`` and ``_``
#: (an IPv4 address is one too), a final dot allowed.
_HOST_NAME = re.compile(r"[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.?")
#: The longest label of a domain name, and the longest name (without its final dot), in
#: ASCII: RFC 1035's 63 and 255 octets on the wire (253 characters written).
MAX_LABEL, MAX_HOST = 63, 253
#: The schemes whose authority names a machine (a DNS name, whatever its case), with the port
#: a client uses when none is given (``None``: no single one).
_HOST_SCHEMES: dict[str, int | None] = {
    "http": 80,
    "https": 443,
    "ftp": 21,
    "sftp": 22,
    "ssh": 22,
    "smb": 445,
    "hdfs": None,
    "webhdfs": None,
}
#: fsspec's other names of one object store's protocol: one filesystem class, which reads the
#: bucket and the key alike under both (s3fs's ``protocol = ("s3", "s3a")``, gcsfs's ``("gs",
#: "gcs")``): ``s3a://b/k`` is the object ``s3://b/k``.
_SAME_STORE = {"s3a": "s3", "gcs": "gs"}
#: Azure storage's schemes, whose authority may be ``container@account.<service>.core.
#: windows.net``: the account's host is a DNS name (any case); the container is kept.
_AZURE_SCHEMES = frozenset({"az", "abfs", "abfss", "wasb", "wasbs"})
#: The schemes whose path is a URI path as RFC 3986 reads it: what fsspec's HTTP client
#: sends once it removed dot segments and decoded unreserved characters.
_URI_PATH_SCHEMES = frozenset({"http", "https"})
#: The authority of what follows ``scheme://``: up to the first ``/``, ``?`` or ``#``.
_AUTHORITY = re.compile(r"[^/?#]*")
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
#: RFC 3986's unreserved characters: their percent-encoding means the character itself.
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def without_login(url: str) -> str:
    """``url`` (or any text holding URLs) without the ``user:password@`` part of each; read
    as text, so that a malformed URL (``https://u:p@[::1``) loses its login too. A password
    holding an unencoded ``/``, ``?`` or ``#`` cannot be told from a path, a query or a
    fragment: it must be percent-encoded."""
    return _LOGIN.sub("", url)


def shareable_url(url: str) -> str:
    """``url`` (or any text holding URLs) without the login of each unless it is no secret,
    as PEP 610 asks of an installed distribution's direct URL: environment variables only
    (``${USER}:${TOKEN}``, which pip fills in from the environment of the install), or git's
    well-known user (``ssh://git@host/repo``). The login is found as :func:`without_login`
    finds it. ``nbtools/envsnap/capture.py``, which runs where nbtools may not be installed,
    keeps a standard-library twin (``test_urls`` checks they agree)."""
    return _LOGIN.sub(_shareable_login, url)


def _shareable_login(login: re.Match[str]) -> str:
    user, colon, password = login.group()[:-1].partition(":")
    variable = _VARIABLE.fullmatch
    if (user == "git" and not colon) or (variable(user) and (not colon or variable(password))):
        return login.group()
    return ""


def password_hidden(url: str) -> str:
    """``url`` (or any text holding URLs) with the password of each login as ``***``
    (``https://bot:***@host/``), the user kept; a login without one (``https://bot@host/``)
    is kept whole. The login is found as :func:`without_login` finds it."""
    return _LOGIN.sub(_hide_password, url)


def _hide_password(login: re.Match[str]) -> str:
    user, colon, _ = login.group().partition(":")
    return f"{user}:***@" if colon else login.group()


def url_protocol(location: str) -> str | None:
    """The protocol of an fsspec URL (``s3`` of ``s3://b/k``), ``None`` for a plain path."""
    match = _URL.match(location)
    return match.group(1).lower() if match else None


def is_chain(location: str) -> bool:
    """Whether a location chains fsspec protocols (``simplecache::s3://b/k``)."""
    return bool(_CHAIN.match(location))


def is_url(location: str) -> bool:
    """Whether a location is a URL (``s3://b/k``, ``file:/abs``, a chain ``a::b``), not a path."""
    return bool(_URL.match(location) or _FILE_URL.match(location) or _CHAIN.match(location))


def local_path(location: str, field: str = "location") -> str | None:
    """The path a location names on this machine: a plain path as written, the absolute path
    of a ``file:`` URL (``file:///abs``, ``file:/abs`` and ``file://localhost/abs`` all name
    ``/abs``, as RFC 8089 reads them; ``local:`` alike); ``None`` for any other URL, an fsspec
    chain (``simplecache::file:///abs``) included.

    A ``file:`` URL naming another machine (``file://server/share``) or no absolute path
    (``file:data/x.csv``) is refused, the error naming ``field`` (the setting or field the
    location was given as).
    """
    if not is_url(location):
        return location
    if _CHAIN.match(location) or not _FILE_URL.match(location):
        return None
    rest = location.split(":", 1)[1]
    if rest.startswith("//"):
        host, slash, path = rest[2:].partition("/")
        if host.lower() not in ("", "localhost"):
            raise InvalidInputError(
                f"{field.capitalize()} {location!r} names a file on the machine {host!r}: give "
                "a path on this one (file:///path) or the URL of a filesystem nbtools can reach.",
                field=field,
            )
        rest = slash + path
    if not rest.startswith("/"):
        raise InvalidInputError(
            f"{field.capitalize()} {location!r} is a file: URL without an absolute path: write "
            "file:///path, or the path itself.",
            field=field,
        )
    return rest


def normalized_url(location: str) -> str:
    """The one spelling of a URL location, so that the ways of writing one URL are one
    location (the data catalog stores and looks locations up in this form); idempotent.

    - Every URL: the scheme in lower case (``S3://`` is ``s3://``, which fsspec alone knows),
      and fsspec's other name of an object store's protocol as its first (``s3a://`` is
      ``s3://``, ``gcs://`` is ``gs://``: one filesystem, one object).
    - Azure storage (``az``, ``abfs``, ``abfss``, ``wasb``, ``wasbs``): in
      ``container@account.dfs.core.windows.net``, the host in lower case; then as below.
    - ``http``/``https``: read as RFC 3986 section 6 reads them (and as fsspec's HTTP client
      sends them): the host in lower case, the scheme's default port dropped (``:443``, and
      an empty ``:``), an empty path as ``/``, the percent-encoding of an unreserved
      character (``%7E``, ``%41``) decoded and other escapes in upper case (``%2f`` is
      ``%2F``), then the ``.`` and ``..`` segments of the path removed. The path keeps its
      case and a trailing ``/`` (a server may answer ``/a`` and ``/a/`` differently); so
      does the login (``user:password@``).
    - Other schemes naming a machine (``ftp``, ``sftp``, ``ssh``, ``smb``, ``hdfs``,
      ``webhdfs``): the host in lower case and the default port dropped; then as below.
    - Every other URL (``s3``, ``gs``, ``az``, ``memory``, …) and those: trailing ``/``s
      dropped, as fsspec drops them (``s3://b/table/`` is ``s3://b/table``), and nothing
      else changed: a bucket's name keeps its case (S3 buckets older than 2018 may hold
      capitals, and differ by them; a GCS or Azure one cannot hold any: ``gs://Bucket`` is no
      other spelling of ``gs://bucket``), and ``%41``, ``.``, ``..`` or ``//`` are part of an
      object's key or a file's name, which fsspec passes on as written (``s3://b/a//k`` and
      ``s3://b/a/k`` are two objects of S3, and of GCS and Azure alike).

    Anything not ``scheme://…`` (a path, ``file:/abs``, a chain ``a::b``) and ``file:``
    (``local:``) URLs, which :func:`local_path` reads, are returned as they are. Malformed
    authorities are kept as written, never refused: this only spells.
    """
    match = _URL.match(location)
    if match is None or _FILE_URL.match(location):
        return location
    scheme, rest = match.group(1).lower(), location[match.end() :]
    scheme = _SAME_STORE.get(scheme, scheme)
    if scheme in _AZURE_SCHEMES:
        authority, path = _split_before(rest, "/?#")
        container, at, host = authority.rpartition("@")
        rest = f"{container}{at}{host.lower() if at else host}{path}"
    if scheme in _URI_PATH_SCHEMES:
        rest = _ESCAPE.sub(_unescaped, rest)
    if scheme in _HOST_SCHEMES:
        authority, path = _split_before(rest, "/?#")
        authority = _host_normalized(authority, _HOST_SCHEMES[scheme])
        if scheme in _URI_PATH_SCHEMES:
            return f"{scheme}://{authority}{_without_dot_segments(path)}"
        rest = authority + path
    return f"{scheme}://{rest.rstrip('/') or rest}"


def _split_before(text: str, characters: str) -> tuple[str, str]:
    """``text`` cut before the first of ``characters`` (the second part empty without one)."""
    end = next((i for i, character in enumerate(text) if character in characters), len(text))
    return text[:end], text[end:]


def _unescaped(escape: re.Match[str]) -> str:
    """An unreserved character for its percent-encoding; any other escape in upper case."""
    character = chr(int(escape.group(1), 16))
    return character if character in _UNRESERVED else escape.group().upper()


def _host_normalized(authority: str, default_port: int | None) -> str:
    """``[login@]host[:port]`` with the host in lower case (its escapes in upper case), and
    without a port that is the default one or empty; anything else kept as written."""
    login, at, host_port = authority.rpartition("@")
    if host_port.startswith("["):  # an IPv6 address: the port follows the bracket
        host, bracket, after = host_port.partition("]")
        host += bracket
        if after[:1] not in ("", ":"):
            return authority
        colon, port = after[:1], after[1:]
    else:
        host, colon, port = host_port.partition(":")
    host = _ESCAPE.sub(lambda escape: escape.group().upper(), host.lower())
    if port.isascii() and port.isdigit():
        port = "" if int(port) == default_port else str(int(port))
    return f"{login}{at}{host}{colon if port else ''}{port}"


def _without_dot_segments(rest: str) -> str:
    """A URI's path with RFC 3986's dot segments removed (section 5.2.4), an empty path being
    ``/``; its query and fragment (from the first ``?`` or ``#``) kept."""
    path, tail = _split_before(rest, "?#")
    segments = path.split("/")
    kept: list[str] = []
    for segment in segments[1:]:  # the path is empty or starts with "/"
        if segment == "..":
            if kept:
                kept.pop()
        elif segment != ".":
            kept.append(segment)
    if segments[-1] in (".", ".."):  # "/a/." and "/a/b/.." name a directory: "/a/"
        kept.append("")
    return "/" + "/".join(kept) + tail


def site_only(url: str) -> str:
    """``url``'s scheme, host and port, with its login as ``***@`` and anything after the host
    (path, query, fragment) as ``/***``: ``https://***@hooks.example.com/***``. What a record
    kept for good (the audit trail) may say of a URL whose path or query may be its secret (a
    Slack or Teams webhook's ``/services/T0/B0/SECRET``, a ``?token=``)."""
    parts = urllib.parse.urlsplit(url)
    login = "***@" if "@" in parts.netloc else ""
    host = parts.netloc.rpartition("@")[2]
    rest = "/***" if parts.path.strip("/") or parts.query or parts.fragment else parts.path
    return f"{parts.scheme}://{login}{host}{rest}"


def _host_problem(host: str, *, bracketed: bool) -> str | None:
    """What keeps ``host`` (as :func:`urllib.parse.urlsplit` reads it: lower case, an IPv6
    address without its brackets) from being a host name a resolver takes (a domain name, in
    its IDNA form if it is not ASCII: labels of at most :data:`MAX_LABEL` characters, an
    ``xn--`` label the exact form of a Unicode one, at most :data:`MAX_HOST` in all) or,
    ``bracketed``, an IPv6 address; None when nothing does. So every client contacts the host
    the URL shows (:func:`site_only`), nothing of it is read as anything else, and no
    delivery fails for a name no resolver could take."""
    invalid = (
        f"names the host {host!r}, which is not a valid domain name: a host is dot-separated "
        "letters, digits, '-' and '_', an IPv4 address or an [IPv6] one."
    )
    if bracketed:
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return invalid
        return None
    try:
        ascii_host = host if host.isascii() else host.encode("idna").decode("ascii")
    except UnicodeError:
        return invalid
    if _HOST_NAME.fullmatch(ascii_host) is None:
        return invalid
    name = ascii_host.removesuffix(".")
    if len(name) > MAX_HOST:
        return f"names a host of {len(name)} characters: a domain name has at most {MAX_HOST}."
    for label in name.split("."):
        if len(label) > MAX_LABEL:
            return (
                f"names the host {host!r}, which has a label of {len(label)} characters: a "
                f"label of a domain name has at most {MAX_LABEL}."
            )
        if label.startswith("xn--") and not _is_a_label(label):
            return (
                f"names the host {host!r}, whose label {label!r} is not a valid IDNA label: an "
                "'xn--' label is the ASCII form of an international name (xn--bcher-kva for "
                "bücher): give the name, or its exact ASCII form."
            )
    return None


def _is_a_label(label: str) -> bool:
    """Whether ``label`` (``xn--…``) is the ASCII form of a Unicode label, as the resolver
    library of Python (its ``idna`` codec) reads it back and writes it again."""
    try:
        label.encode("ascii").decode("idna")
    except UnicodeError:
        return False
    return True


def checked_http_url(url: str, field: str, what: str) -> str:
    """``url`` (normalized as :func:`urllib.parse.urlsplit` reads it) if an HTTP request can
    be made to it: ``http`` or ``https``, a host (a domain name, ASCII or not, or an IP
    address: :func:`_host_problem`; no backslash in front of it, which other clients read as the
    start of the path), a port (if given) from 1 to 65535, no space or control character,
    and only ASCII in its path and query (percent-encode the rest). So the host a request
    goes to is the one the URL shows, and the one :func:`site_only` keeps. Its login (``user:password@``) is not checked: it
    is sent as HTTP Basic authentication, not in the request.

    Refused naming ``field`` (and the URL with its password as ``***``); ``what`` names the
    URL's use at the start of the message ("A webhook").
    """
    shown = password_hidden(url)

    def refused(problem: str) -> InvalidInputError:
        return InvalidInputError(f"{what} {problem}", field=field, **{field: shown})

    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname
    except ValueError:  # an unbalanced [IPv6] bracket
        host = None
    if host is None or parts.scheme not in ("http", "https"):
        raise refused(f"needs an http:// or https:// URL with a host, got {shown!r}.")
    found = _SPACE_OR_CONTROL.search(without_login(url))
    if found is not None:
        character = found.group()
        which = "a space" if character == " " else f"the control character {character!r}"
        raise refused(
            f"URL {shown!r} holds {which}: percent-encode it ({urllib.parse.quote(character)})."
        )
    port = parts.netloc.rpartition("@")[2].rpartition("]")[2].partition(":")[2]
    if port and not (port.isascii() and port.isdigit() and 1 <= int(port) <= 65535):
        raise refused(
            f"URL {shown!r} has the port {port!r}: give a number from 1 to 65535, or no port "
            "for the scheme's own (80, 443)."
        )
    if "\\" in parts.netloc:
        raise refused(
            f"URL {shown!r} holds a backslash in its authority, which browsers and other "
            "clients read as the start of the path, so as another host: percent-encode it "
            "(%5C) in a login, or give the host as it is."
        )
    problem = _host_problem(host, bracketed=parts.netloc.rpartition("@")[2].startswith("["))
    if problem is not None:
        raise refused(f"URL {shown!r} {problem}")
    beyond = next((c for c in parts.path + parts.query if not c.isascii()), None)
    if beyond is not None:
        raise refused(
            f"URL {shown!r} holds {beyond!r}, which a request cannot carry as it is: "
            f"percent-encode it ({urllib.parse.quote(beyond)})."
        )
    return parts.geturl()
