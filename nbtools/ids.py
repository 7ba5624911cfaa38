"""Ids and whole numbers as people type them: ASCII digits, within what the database holds.

The one reader of such text, for the REST API's URLs and queries, the CLI's arguments
(``nbtools.cli.ids``) and version references (:mod:`nbtools.versioning.history`): ``²``,
``٣`` (digits Python's ``int()`` reads), signs, spaces and underscores are not whole numbers
here.
"""

from __future__ import annotations

#: The largest integer the store takes: a ``BigInteger`` column, a ``LIMIT`` or an ``OFFSET``
#: (a signed 64-bit integer, in SQLite as in PostgreSQL).
MAX_INTEGER = 2**63 - 1

#: The largest value of an ``Integer`` column in every database the store runs on
#: (PostgreSQL's ``integer`` has 32 bits, SQLite's 64): the bound of every whole number a
#: user gives that the store keeps in one (a job's timeouts and retry backoff, in seconds).
MAX_INT_COLUMN = 2**31 - 1

#: The largest id or version number: ids and version numbers are ``Integer`` columns.
MAX_ID = MAX_INT_COLUMN

#: The most runs, alerts or deliveries one page of a list holds (``--limit`` in the CLI,
#: ``?limit=`` in the REST API).
MAX_LIST = 1000


def whole_number(text: str) -> int | None:
    """``text`` as a whole number if it is ASCII digits (no sign, no space) up to
    :data:`MAX_INTEGER`, else None: nothing the store holds is larger, and Python refuses to
    convert more than 4300 digits."""
    if not (text.isascii() and text.isdigit()) or len(text.lstrip("0")) > len(str(MAX_INTEGER)):
        return None
    value = int(text)
    return value if value <= MAX_INTEGER else None


def parse_id(text: str) -> int | None:
    """``text`` as an id, a whole number from 1 to :data:`MAX_ID`, else None."""
    value = whole_number(text)
    return value if value is not None and 1 <= value <= MAX_ID else None


def check_limit(limit: int, most: int = MAX_LIST) -> int:
    """``limit``, the size of a page of a list, if it is from 1 to ``most``; else an
    :class:`~nbtools.errors.InvalidInputError` naming ``limit`` and the range: a list never
    shortens or lengthens the page it was asked for (the CLI and the REST API refuse alike)."""
    if not 1 <= limit <= most:
        from nbtools.errors import InvalidInputError  # not on ``nbtools --help``'s path

        raise InvalidInputError(
            f"limit must be a whole number from 1 to {most}, got {limit}.", field="limit"
        )
    return limit
