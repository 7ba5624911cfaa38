"""What a 422 says of a body: one ``{"field", "message"}`` per problem found in it.

``field`` is the problem's place in the body, its keys and indexes joined by dots
(``features.name``; ``1.x`` for the second item of a batch), or ``""`` for the body as a
whole (not JSON, not the object or list the endpoint takes). The message is pydantic's; where
a value has the wrong JSON type (the request model takes JSON's own types strictly:
:func:`nbtools.serve.signature.json_strict`) it also says what came instead (``Input should be
a valid integer, not true``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

#: pydantic's errors for a value of another JSON type than the one its place takes.
_WRONG_TYPE = frozenset(
    {"bool_type", "int_type", "float_type", "string_type", "list_type", "dict_type"}
)


def field_problems(errors: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """One ``{"field", "message"}`` per problem of ``errors`` (FastAPI's, each located
    under ``body``)."""
    fields = []
    for item in errors:
        location = [str(part) for part in item.get("loc", ())]
        if location[:1] == ["body"]:  # FastAPI's first part (a field may be called body too)
            location = location[1:]
        message = str(item.get("msg", ""))
        if item.get("type") == "json_invalid":  # its location is a character, not a field
            reason = str(item.get("ctx", {}).get("error", message))
            at = f" at character {location[0]}" if location else ""
            fields.append({"field": "", "message": f"It is not JSON{at}: {reason}."})
            continue
        if item.get("type") in _WRONG_TYPE and "input" in item:
            message = _wrong_type(str(item["type"]), message, item["input"])
        fields.append({"field": ".".join(location), "message": message})
    return fields


def _wrong_type(kind: str, message: str, value: object) -> str:
    """``message`` saying what came: an integer for a float is one beyond a float's range
    (JSON integers have as many digits as they like), the only one a float refuses."""
    if kind == "float_type" and isinstance(value, int) and not isinstance(value, bool):
        digits = len(str(abs(value)))
        return (
            "Input should be a number within a float's range (up to about 1.8e308), not an "
            f"integer of {digits} digits"
        )
    return f"{message}, not {_json_type(value)}"


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number with a fraction or an exponent"
    if isinstance(value, str):
        return "a string"
    return "an array" if isinstance(value, list) else "an object"
