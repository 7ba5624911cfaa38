"""What an artifact may be called, and how big it and a run's artifacts may be.

A name is also the file's name in the run's storage and in a download, so it is a single
identifier-like word: a letter or digit, then letters, digits, ``_``, ``-`` or ``.`` (for an
extension: ``model.json``), at most 128 characters, never ``..``. Nothing else reaches a
path: no separator, no leading dot, no traversal.
"""

from __future__ import annotations

import re

from nbtools.errors import InvalidInputError

#: The form of a name.
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")
#: The size of one artifact (1 GiB): ``save`` refuses more; a bigger file left in the
#: directory is not recorded.
MAX_BYTES = 1 << 30
#: The artifacts one run may keep; files beyond (in name order) are not recorded.
MAX_PER_RUN = 100


def is_valid_name(name: str) -> bool:
    return NAME.fullmatch(name) is not None and ".." not in name


def check_name(name: object, field: str = "name") -> str:
    """``name`` if it is a valid artifact name, else :class:`InvalidInputError` naming ``field``."""
    if isinstance(name, str) and is_valid_name(name):
        return name
    raise InvalidInputError(
        f"Invalid artifact name {name!r}: use a letter or digit, then letters, digits, "
        "'_', '-' or '.' (at most 128 characters, no '..', no '/'), e.g. 'model' or "
        "'model.json'.",
        field=field,
    )
