"""Free text a person gives (a description, an owner, a version's message): the one check of
what a database column can hold, shared by every field of that kind."""

from __future__ import annotations

from nbtools.errors import InvalidInputError


def parse_text(value: str | None, field: str, limit: int) -> str:
    """Free text without NUL (which PostgreSQL's text cannot hold), at most ``limit``
    characters, with its surrounding spaces dropped; ``None`` is ``""``."""
    value = value or ""
    if not isinstance(value, str) or "\0" in value or len(value) > limit:
        raise InvalidInputError(
            f"The {field} must be text of at most {limit} characters, without NUL.", field=field
        )
    return value.strip()
