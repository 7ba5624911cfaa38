"""File names in ``Content-Disposition`` headers: names are data, never header syntax."""

from __future__ import annotations

import re
from urllib.parse import quote

#: What may not stand in a quoted ``filename``: controls (CR, LF, ...), quotes, backslashes
#: and anything outside printable ASCII (which ``filename*`` carries instead).
_UNSAFE = re.compile(r'[^\x20-\x7e]|["\\]')


def attachment(filename: str) -> str:
    """A ``Content-Disposition: attachment`` value for any file name: a sanitised ASCII
    ``filename`` for old clients and the exact name as RFC 5987 ``filename*``."""
    fallback = _UNSAFE.sub("_", filename) or "download"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
