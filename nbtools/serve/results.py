"""A served function's result as the JSON of its reply, or :class:`InvalidResultError`
saying why JSON cannot carry it (a 500 ``invalid-result``: :mod:`nbtools.serve.app`)."""

from __future__ import annotations

import json
from typing import Any

from pydantic_core import to_jsonable_python

from nbtools.errors import NbtoolsError
from nbtools.jsonplaces import Place, field_name, marked_places, places, read_marked
from nbtools.metrics.values import plain_scalar


class InvalidResultError(NbtoolsError):
    """A served function returned what JSON cannot carry; the message says what (and
    ``details["field"]`` where, for a NaN or an infinity)."""


def _default(value: Any) -> Any:
    """JSON for common non-JSON results: numpy scalars (``numpy.longdouble`` as a float: its
    ``tolist()`` is itself) and arrays; else as pydantic writes it, which is what the OpenAPI
    document built from the return annotation says: pydantic models, dataclasses, sets, dates
    and times (ISO 8601 text), ``Decimal`` and ``UUID`` as text, an ``Enum`` as its value,
    ``bytes`` as UTF-8 text."""
    plain = plain_scalar(value)
    if plain is not value:
        return plain
    tolist = getattr(value, "tolist", None)
    if callable(tolist):
        return tolist()
    try:
        return to_jsonable_python(value)
    except ValueError:  # no form pydantic knows, or bytes that are not UTF-8
        raise TypeError(_not_json(value)) from None


def _not_json(value: Any, at: str = "") -> str:
    """What the function returned that JSON has no form for (``at``: where, `` at a.1``)."""
    kind = type(value).__name__
    return f"the function returned an object of type {kind}{at}, which is not JSON data"


def _place_without_form(value: Any) -> tuple[Place, Any] | None:
    """The first value inside ``value`` that :func:`_default` cannot convert, with its place
    (``()`` for ``value`` itself), in the order JSON writes them; ``None`` when it is inside
    a tuple (which :func:`places` does not open) or a dict or list met twice (a cycle)."""
    seen: set[int] = set()
    for place, item in places(value):
        if isinstance(item, (dict, list)):
            if id(item) in seen:
                return None
            seen.add(id(item))
        elif not isinstance(item, (str, int, float, tuple)) and item is not None:
            try:
                _default(item)
            except TypeError:
                return place, item
    return None


def result_json(value: Any) -> bytes:
    """``value`` as JSON; :class:`InvalidResultError` when JSON cannot carry it: never
    ``null`` for a NaN or an infinity, which a caller would take for an answer. A lone
    surrogate (which JSON holds, as a request may send it: ``"\\ud800"``, and no UTF-8
    encodes) is written as its escape, as it came."""
    try:
        text = json.dumps(value, default=_default, allow_nan=False, ensure_ascii=False)
        return text.encode("utf-8", "backslashreplace")
    except ValueError as error:  # a NaN or an infinity; or a circular reference
        reason = str(error)
        try:
            found = marked_places(
                *read_marked(
                    json.dumps(value, default=_default, ensure_ascii=False), constants=True
                )
            )
        except ValueError:
            found = []
        if found:
            place, number = found[0]
            field = ".".join(str(part) for part in place)
            at = f" at {field}" if field else ""
            raise InvalidResultError(
                f"The function returned {number}{at}, which JSON cannot carry: it should "
                "return a finite number, or None for no number.",
                field=field,
            ) from None
    except TypeError as error:  # a value _default cannot convert, a key that is not text
        reason = str(error)
        found_at = _place_without_form(value)
        if found_at is not None:
            field = field_name(found_at[0])
            at = f" at {field}" if field else ""
            raise InvalidResultError(
                f"The function's result cannot be sent as JSON: {_not_json(found_at[1], at)}.",
                field=field,
            ) from None
    except RecursionError:
        reason = "it nests lists or dicts too deeply"
    raise InvalidResultError(f"The function's result cannot be sent as JSON: {reason}.")
