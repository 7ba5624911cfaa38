"""Places in a value read from JSON, and the text and numbers there that JSON's readers
cannot take.

A place is the keys and indexes leading to a value (``("parameters", "x")``), named as a field
by :func:`field_name` (``parameters.x``). JSON can write half of a UTF-16 pair alone, a *lone
surrogate* (``"\\ud800"``), and Python reads it as a character of the string, but it is no
character: UTF-8 has no bytes for it, so no file, database or terminal takes it.
:func:`lone_surrogate` finds the first one in a value (in a key or a string), cheaply when the
JSON text it was read from cannot hold one, which is almost always. A number written out
beyond a float's range (``1e999``) Python reads as an infinity, and the tokens ``NaN`` and
``Infinity`` (no JSON) as what they say: :func:`read_marked` reads each as a
:class:`NonFinite`, which :func:`marked_places` finds, for the REST API and ``nbtools serve``
alike.
"""

from __future__ import annotations

import json
import math
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterator

#: The keys and indexes leading to a value inside another.
Place = tuple[str | int, ...]

# Patterns compiled on first use (re's cache), not by every command's start-up:
#: UTF-8's bytes of a surrogate, which Python's ``json`` reads from bytes ("surrogatepass").
_SURROGATE_BYTES = b"\xed[\xa0-\xbf]"
#: A surrogate code point: in a string read from JSON, always a lone one (JSON joins pairs).
_SURROGATE = "[\ud800-\udfff]"
#: What every number beyond a float's range (about 1.8e308) has, written as JSON writes numbers
#: (no leading zeros): an exponent of three digits or more, or 200 digits before it (with an
#: exponent of at most 99). Text without it is read at the C parser's full speed.
_MAY_OVERFLOW = r"[eE][+-]?[0-9]{3}|[0-9]{200}"


class NonFinite(str):
    """A number JSON cannot carry, as its text, where :func:`read_marked` read it."""


def read_marked(raw: bytes | str, *, constants: bool = False) -> tuple[Any, list[NonFinite]]:
    """``raw`` read as :func:`json.loads` reads it (raising what it raises), each number
    written out beyond a float's range (``1e999``, an infinity to Python) read as a
    :class:`NonFinite` holding its text, and with ``constants`` each ``NaN``, ``Infinity``
    and ``-Infinity`` too (else Python's floats); and every one read, in order, one a
    repeated key replaced included. Text that cannot hold one is read by the C parser alone."""
    text = raw.decode(json.detect_encoding(raw), "surrogatepass") if isinstance(raw, bytes) else raw
    if re.search(_MAY_OVERFLOW, text) is None and not (
        constants and ("NaN" in text or "Infinity" in text)
    ):
        return json.loads(text), []
    found: list[NonFinite] = []

    def mark(written: str) -> NonFinite:
        found.append(NonFinite(written))
        return found[-1]

    def number(written: str) -> float | NonFinite:
        value = float(written)
        return value if math.isfinite(value) else mark(written)

    def constant(written: str) -> float | NonFinite:
        return mark(written) if constants else float(written)

    return json.loads(text, parse_float=number, parse_constant=constant), found


def marked_places(value: Any, marks: list[NonFinite]) -> list[tuple[Place, NonFinite]]:
    """The place of each of ``marks`` (:func:`read_marked`'s) in ``value``, in the order JSON
    writes them; one that no place holds (a repeated key replaced it) at the value's, ``()``."""
    if not marks:
        return []
    wanted = {id(mark) for mark in marks}
    placed = [(place, item) for place, item in places(value) if id(item) in wanted]
    held = {id(item) for _, item in placed}
    return placed + [((), mark) for mark in marks if id(mark) not in held]


def places(value: Any) -> Iterator[tuple[Place, Any]]:
    """Each value inside ``value`` (itself first, at ``()``) with its place, in the order JSON
    writes them. Not recursive: what was read nests as deeply as the decoder allows."""
    stack: list[tuple[Place, Any]] = [((), value)]
    while stack:
        place, item = stack.pop()
        yield place, item
        if isinstance(item, dict):
            stack.extend(((*place, key), inner) for key, inner in reversed(item.items()))
        elif isinstance(item, list):
            stack.extend(((*place, index), item[index]) for index in reversed(range(len(item))))


def field_name(place: Place) -> str:
    """``place`` as a field: its parts joined by dots (``features.1.name``), a key holding a
    lone surrogate written with its escape (``features.\\ud800``)."""
    return ".".join(escaped(part) if isinstance(part, str) else str(part) for part in place)


def encodable(text: str) -> bool:
    """Whether UTF-8 encodes ``text``: it holds no lone surrogate."""
    if text.isascii():
        return True
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def escaped(text: str) -> str:
    """``text`` with each lone surrogate written as its escape (``\\ud800``)."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def first_surrogate(text: str) -> tuple[int, str]:
    """Where ``text`` (not :func:`encodable`) holds its first lone surrogate, and its escape
    (``\\ud800``)."""
    found = re.search(_SURROGATE, text)
    assert found is not None, "only text that UTF-8 cannot encode holds one"
    return found.start(), escaped(found.group())


def lone_surrogate(value: Any, raw: bytes | str | None = None) -> tuple[Place, str] | None:
    """The place of the first key or string of ``value`` that holds a lone surrogate, and
    that text; None when none does. ``raw``, the JSON text ``value`` was read from, is
    searched first (milliseconds for megabytes): ``value`` is walked only when it may hold one."""
    if raw is not None and not _may_hold_one(raw):
        return None
    for place, item in places(value):
        if place and isinstance(place[-1], str) and not encodable(place[-1]):
            return place, place[-1]
        if isinstance(item, str) and not encodable(item):
            return place, item
    return None


def _may_hold_one(raw: bytes | str) -> bool:
    """Whether JSON text ``raw`` may read as text holding a lone surrogate: it writes a
    surrogate's escape (``\\ud800``; a pair's two escapes read as one character), or holds a
    surrogate itself (bytes that are not UTF-8's are looked for in what was read)."""
    if isinstance(raw, str):
        return "\\ud" in raw or "\\uD" in raw or not encodable(raw)
    if json.detect_encoding(raw) not in ("utf-8", "utf-8-sig"):
        return True  # UTF-16 or UTF-32, as json reads them
    if b"\\ud" in raw or b"\\uD" in raw:
        return True
    # 0xED leads UTF-8's U+D000-U+DFFF only: most notebooks have none, and no pattern runs
    return b"\xed" in raw and re.search(_SURROGATE_BYTES, raw) is not None
