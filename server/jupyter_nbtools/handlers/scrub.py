"""Secrets out of logged URLs: the ``?token=`` a client may put in a request's query."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

#: A query parameter whose name contains one of these is logged as ``[secret]`` (the list
#: Jupyter's own access log scrubs).
SECRET_PARAMETERS = ("token", "auth", "key", "code", "state", "xsrf", "password")


def scrub_uri(uri: str) -> str:
    """``uri`` with the value of every secret-looking query parameter replaced."""
    parts = urlsplit(uri)
    if not parts.query:
        return uri
    pairs = []
    for pair in parts.query.split("&"):
        name, equals, _value = pair.partition("=")
        secret = any(word in name.lower() for word in SECRET_PARAMETERS)
        pairs.append(f"{name}{equals}[secret]" if secret else pair)
    return urlunsplit(parts._replace(query="&".join(pairs)))
