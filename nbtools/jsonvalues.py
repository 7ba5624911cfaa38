"""Values JSON has no type for, as nbtools writes them everywhere (REST, ``--json``, webhooks).

This is the one serialiser of the wire models: the REST handlers write :func:`dumps` (orjson
with :func:`json_default`), the CLI's ``--json``, webhooks and e-mails :func:`dumps_text`
(``json.dumps`` with :func:`json_default`); all give the same JSON values. JSON has no NaN
and no infinity (strict parsers refuse the ``NaN`` token ``json.dumps`` writes by default):
every one of them writes such a float as null, as orjson does.
"""

from __future__ import annotations

import json
import math
from typing import Any


class WireModel:
    """A dataclass written as one JSON object: its fields, with ``extra`` (the fields other
    features add, e.g. a run's ``lineage``) merged in when it has one."""

    def to_wire(self) -> dict[str, Any]:
        values = {name: _wire(getattr(self, name)) for name in _field_names(type(self))}
        extra = values.pop("extra", None) or {}
        return {**values, **extra}


def _wire(value: object) -> Any:
    """Nested wire models as dicts too (a run's ``progress``): readers of ``to_wire()`` get
    plain data all the way down, as JSON would give them."""
    return value.to_wire() if isinstance(value, WireModel) else value


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(cls: type) -> tuple[str, ...]:
    """The dataclass's field names, looked up once per class (lists write thousands)."""
    names = _FIELD_NAMES.get(cls)
    if names is None:
        from dataclasses import fields  # not at import: the CLI's fast path imports this module

        names = _FIELD_NAMES[cls] = tuple(field.name for field in fields(cls))
    return names


def json_default(value: object) -> Any:
    """``json.dumps``'s ``default``: wire models as objects, dates and times in ISO 8601,
    anything else as its text.

    Duck-typed (``to_wire``, ``isoformat``) so that callers on the CLI's fast path import
    no datetime.
    """
    to_wire = getattr(value, "to_wire", None)
    if callable(to_wire):
        return to_wire()
    if isinstance(value, float):  # a subclass (numpy's float64): orjson asks, json.dumps does not
        return float(value)
    isoformat = getattr(value, "isoformat", None)
    return isoformat() if callable(isoformat) else str(value)


def dumps(value: object) -> bytes:
    """``value`` as compact UTF-8 JSON, as the REST handlers reply: :func:`dumps_text`'s
    values, written several times faster (orjson; dates and times in ISO 8601 as
    :func:`json_default` writes them, by orjson itself; NaN and the infinities as null)."""
    import orjson  # not at import: the CLI's fast path imports this module

    # dataclasses through json_default (a wire model's ``extra`` merged in, as to_wire
    # does), keys that are not strings written as strings (as json.dumps does)
    options = orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_NON_STR_KEYS
    try:
        return orjson.dumps(value, default=json_default, option=options)
    except orjson.JSONEncodeError:  # what only json.dumps writes: an integer past 64 bits
        return dumps_text(value, separators=(",", ":")).encode()


def dumps_text(
    value: object,
    *,
    indent: int | None = None,
    separators: tuple[str, str] | None = None,
    ensure_ascii: bool = True,
) -> str:
    """``value`` as JSON text (``json.dumps``'s ``indent``, ``separators`` and
    ``ensure_ascii``), wire models and dates through :func:`json_default`, and a float JSON
    cannot hold (NaN, an infinity) as null."""
    options: dict[str, Any] = {
        "indent": indent,
        "separators": separators,
        "ensure_ascii": ensure_ascii,
    }
    try:
        return json.dumps(value, default=json_default, allow_nan=False, **options)
    except ValueError:  # a NaN or an infinity somewhere: rare, so looked for only then
        return json.dumps(_finite(value), default=json_default, allow_nan=False, **options)


def _finite(value: object) -> Any:
    """``value`` with each float that is NaN or an infinity as None, in lists, tuples, dicts
    and wire models (as plain data) alike."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    to_wire = getattr(value, "to_wire", None)
    return _finite(to_wire()) if callable(to_wire) else value


def shown(value: object, limit: int = 80) -> str:
    """``value`` quoted in a message refusing it, as JSON writes it (``null``, ``true``,
    ``"text"``, ``["a"]``: what a request sent, never Python's ``None`` or ``True``), its
    first 60 characters when it is longer than ``limit`` (a number of 5000 digits, a long
    text), saying how long it is."""
    try:
        text = json.dumps(value, ensure_ascii=False, default=repr)
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: written as JSON's escape
        text = json.dumps(value, default=repr)
    except (ValueError, RecursionError):  # an integer past Python's digits, nested too deep
        return f"a {type(value).__name__} too large to show"
    return text if len(text) <= limit else f"{text[: limit - 20]}… ({len(text)} characters)"
