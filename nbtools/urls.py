"""URLs as they may be shown: without the login a URL can carry (``https://user:token@host/``),
which would otherwise reach errors, logs, listings and the files nbtools writes."""

from __future__ import annotations

import re

#: A URL's login: what lies between ``scheme://`` and ``@``, before the host.
_LOGIN = re.compile(r"(?<=://)[^/@\s]*@")


def without_login(url: str) -> str:
    """``url`` (or any text holding URLs) without the ``user:password@`` part of each; read
    as text, so that a malformed URL (``https://u:p@[::1``) loses its login too."""
    return _LOGIN.sub("", url)
