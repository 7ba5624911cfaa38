"""Free text a person gives (a description, an owner, a version's message): the one check of
what a database column can hold, shared by every field of that kind; the one check of a name
shown on one line (a job's, a kernel's, an imported file's: :func:`check_name_text`); the
one check of a search's words (:func:`check_search_text`); and the
one check that text given on the command line or in the environment is UTF-8
(:func:`require_utf8`); and the one way a long list is shortened on a line a person reads
(:func:`first_few`)."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import Any

from nbtools.errors import InvalidInputError

#: How many items of a list a line names before saying how many more there are.
SHOWN_ITEMS = 5

#: The characters that reorder the text around them (right-to-left marks, embeddings,
#: overrides such as U+202E and isolates): a name holding one can read as another name.
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


def parse_text(value: str | None, field: str, limit: int) -> str:
    """Free text without NUL (which PostgreSQL's text cannot hold), at most ``limit``
    characters, with its surrounding spaces dropped; ``None`` is ``""``."""
    value = value or ""
    if not isinstance(value, str) or "\0" in value or len(value) > limit:
        raise InvalidInputError(
            f"The {field} must be text of at most {limit} characters, without NUL.", field=field
        )
    return value.strip()


def check_name_text(name: str, field: str, what: str) -> str:
    """``name``, the ``what`` (``A job's name``) given as the input ``field``, once it holds
    no NUL (which PostgreSQL's text cannot hold), no other control character (a line break,
    a tab, an escape, which would break or recolour the line it is shown on) and no
    bidirectional control (:data:`BIDI_CONTROLS`, which would show it as another name)."""
    for index, char in enumerate(name, 1):
        kind = _control(char)
        if kind is None and char in BIDI_CONTROLS:
            kind = "a bidirectional control, which shows the text around it reordered"
        if kind is not None:
            raise InvalidInputError(
                f"{what} cannot hold {kind} (U+{ord(char):04X}, character {index}): a name is "
                "shown on one line as it is written; remove it.",
                field=field,
            )
    return name


def check_search_text(text: str, field: str) -> str:
    """``text``, the words of a search given as the input ``field`` (a query's ``q``), once
    it holds no NUL and no other control character: none is in what is searched, and a web
    server may read one as a space (tornado does), which would search for other words."""
    for index, char in enumerate(text, 1):
        kind = _control(char)
        if kind is not None:
            raise InvalidInputError(
                f"A search cannot hold {kind} (U+{ord(char):04X}, character {index}): search "
                "for words as they are written; remove it.",
                field=field,
            )
    return text


def _control(char: str) -> str | None:
    """What ``char`` is called when it is NUL or another control character (None if not)."""
    if char == "\0":
        return "NUL"
    return "a control character" if unicodedata.category(char) == "Cc" else None


def require_utf8(
    named: str, text: str, read_from: str = "this command line", **details: Any
) -> None:
    """Refuse ``text``, given as ``named`` (an option, ``--root``; an argument, ``NOTEBOOK``;
    an environment variable, ``$NBTOOLS_ROOT``) in ``read_from`` (this command line, the
    environment), when it holds bytes that are not UTF-8: a file name in another encoding,
    which Python reads byte by byte as lone surrogates (``\\udcff``). nbtools keeps paths,
    names and values as UTF-8, which has no character for them, so whatever took it would
    fail later, with a traceback. UTF-8 that Python read in the locale's encoding instead
    (ASCII, Python's UTF-8 mode off) is refused for what it is, saying what to do.
    ``details``: the error's (``field``, ``variable``). A URL's login is not shown."""
    from nbtools.jsonplaces import encodable

    if encodable(text):
        return
    from nbtools.urls import without_login  # only to refuse: it is no light import

    typed = _utf8_read_otherwise(text)
    if typed is not None:
        import sys

        raise InvalidInputError(
            f"{named}: {without_login(typed)} is UTF-8 text, but Python reads {read_from} as "
            f"{sys.getfilesystemencoding()}, its locale's encoding, and could not open a file "
            "of that name: run nbtools in a UTF-8 locale (LC_ALL=C.UTF-8) or with "
            "PYTHONUTF8=1.",
            **details,
        )
    raise InvalidInputError(
        f"{named} must be UTF-8 text, as nbtools keeps paths, names and values: "
        f"{without_login(as_typed(text))} holds bytes that are not UTF-8 (shown as \\xNN). "
        "Give it in UTF-8 (rename a file whose name is not).",
        **details,
    )


def _utf8_read_otherwise(text: str) -> str | None:
    """``text`` as UTF-8 reads its bytes, when they are UTF-8 that Python read otherwise (a
    locale whose encoding is not UTF-8, Python's UTF-8 mode off); None when they are not."""
    import os

    try:
        return os.fsencode(text).decode("utf-8")
    except UnicodeError:
        return None


def as_typed(text: str) -> str:
    """``text`` as its bytes were typed, each byte that is not UTF-8 as ``\\xff``."""
    from nbtools.jsonplaces import escaped

    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a surrogate no byte was read as
        return escaped(text)


def first_few(items: Sequence[str], shown: int = SHOWN_ITEMS) -> str:
    """``items`` joined by commas; past ``shown`` of them, the first ``shown`` and how many
    more (``a, b, c, d, e and 195 more``), so that a line stays readable."""
    listed = ", ".join(items[:shown])
    return f"{listed} and {len(items) - shown} more" if len(items) > shown else listed
