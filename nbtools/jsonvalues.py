"""Values JSON has no type for, as nbtools writes them everywhere (REST, ``--json``, webhooks)."""

from __future__ import annotations


def json_default(value: object) -> str:
    """``json.dumps``'s ``default``: dates and times in ISO 8601, anything else as its text.

    Duck-typed (``isoformat``) so that callers on the CLI's fast path import no datetime.
    """
    isoformat = getattr(value, "isoformat", None)
    return isoformat() if callable(isoformat) else str(value)
