"""Idempotency keys: a job or run submitted twice with one key is created once.

The key is stored on the row under a unique constraint, so concurrent duplicates — threads,
processes, servers sharing a PostgreSQL store — race on the database, not on a
query-then-insert: exactly one insert wins, the others get a :class:`ConflictError` (HTTP 409)
naming the existing id.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from nbtools.errors import ConflictError, InvalidInputError
from nbtools.jobs.tables import Job, Run

if TYPE_CHECKING:
    from nbtools.store.database import Store

#: The longest key accepted.
MAX_LENGTH = 200


def check_key(key: object) -> str | None:
    """A usable key (1-200 printable ASCII characters), None for none, or a precise error."""
    if key is None:
        return None
    if not isinstance(key, str) or not 0 < len(key) <= MAX_LENGTH or not key.isprintable():
        raise InvalidInputError(
            f"The idempotency key must be 1-{MAX_LENGTH} printable characters, got {key!r:.60}.",
            field="idempotency_key",
        )
    if not key.isascii():
        raise InvalidInputError(
            "The idempotency key must be ASCII (e.g. a UUID).", field="idempotency_key"
        )
    return key


@contextlib.contextmanager
def created_once(store: Store, table: type[Job] | type[Run], key: str | None) -> Iterator[None]:
    """Turn the unique-key violation of a duplicate insert into a conflict naming the winner."""
    try:
        yield
    except IntegrityError:
        if key is None:
            raise
        with store.session() as session:
            existing = session.scalar(select(table.id).where(table.idempotency_key == key))
        if existing is None:
            raise
        noun = "job" if table is Job else "run"
        raise ConflictError(
            f"A {noun} was already submitted with idempotency key {key!r}: {noun} {existing}.",
            idempotency_key=key,
            **{f"{noun}_id": existing},
        ) from None
