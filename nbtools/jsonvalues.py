"""Values JSON has no type for, as nbtools writes them everywhere (REST, ``--json``, webhooks).

This is the one serialiser of the wire models: the REST handlers write :func:`dumps` (orjson
with :func:`json_default`), the CLI's ``--json`` ``json.dumps(model, default=json_default)``
(indented); both give the same JSON values.
"""

from __future__ import annotations

import json
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
    """``value`` as compact UTF-8 JSON, as the REST handlers reply: ``json.dumps(value,
    default=json_default)``'s values, written several times faster (orjson; dates and times
    in ISO 8601 as :func:`json_default` writes them, by orjson itself)."""
    import orjson  # not at import: the CLI's fast path imports this module

    # dataclasses through json_default (a wire model's ``extra`` merged in, as to_wire
    # does), keys that are not strings written as strings (as json.dumps does)
    options = orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_NON_STR_KEYS
    try:
        return orjson.dumps(value, default=json_default, option=options)
    except orjson.JSONEncodeError:  # what only json.dumps writes: an integer past 64 bits
        # never NaN or an infinity (orjson writes them as null): a ValueError, not invalid JSON
        text = json.dumps(value, default=json_default, separators=(",", ":"), allow_nan=False)
        return text.encode()
