"""URLs as they may be shown: without the login a URL can carry (``https://user:token@host/``),
which would otherwise reach errors, logs, listings and the files nbtools writes."""

from __future__ import annotations

import urllib.parse


def without_login(url: str) -> str:
    """``url`` without its ``user:password@`` part; any other text as it is."""
    if "@" not in url or "://" not in url:
        return url
    parts = urllib.parse.urlsplit(url)
    return parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()
