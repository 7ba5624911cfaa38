"""What a 422 says of a body: one ``{"field", "message"}`` per problem found in it.

``field`` is the problem's place in the body, its keys and indexes joined by dots
(``features.name``; ``1.x`` for the second item of a batch), or ``""`` for the body as a
whole (not JSON, not the object or list the endpoint takes). A key holding a lone surrogate
(JSON holds one, UTF-8 does not) is written as its escape (``features.\\ud800``), at any
depth: pydantic names it by replacement characters, and refuses an object it reads as fields
(a pydantic model, a dataclass) whole when one of its keys holds one, naming the object's
place only; each such key is named instead. The message is pydantic's; where
a value has the wrong JSON type (the request model takes JSON's own types strictly:
:func:`nbtools.serve.signature.json_strict`) it also says what came instead (``Input should be
a valid integer, not true``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from nbtools.jsonplaces import encodable, escaped

#: pydantic's errors for a value of another JSON type than the one its place takes.
_WRONG_TYPE = frozenset(
    {"bool_type", "int_type", "float_type", "string_type", "list_type", "dict_type"}
)
#: The message for a key holding a lone surrogate in an object read as fields.
_SURROGATE_NAME = "A field name holding a lone surrogate is not permitted in this object"
#: What :func:`_named` finds at a place the body does not have.
_NOTHING = object()


def field_problems(errors: Sequence[Mapping[str, Any]], body: Any) -> list[dict[str, str]]:
    """One ``{"field", "message"}`` per problem of ``errors`` (FastAPI's, each located
    under ``body``) in ``body`` (what was validated)."""
    fields = []
    for item in errors:
        location = list(item.get("loc", ()))
        if location[:1] == ["body"]:  # FastAPI's first part (a field may be called body too)
            location = location[1:]
        message = str(item.get("msg", ""))
        if item.get("type") == "json_invalid":  # its location is a character, not a field
            reason = str(item.get("ctx", {}).get("error", message))
            at = f" at character {location[0]}" if location else ""
            fields.append({"field": "", "message": f"It is not JSON{at}: {reason}."})
            continue
        names, value = _named(location, body)
        if item.get("type") == "string_unicode" and isinstance(value, dict):
            odd = [escaped(key) for key in value if isinstance(key, str) and not encodable(key)]
            for key in odd:
                fields.append({"field": ".".join([*names, key]), "message": _SURROGATE_NAME})
            if odd:
                continue
        if item.get("type") in _WRONG_TYPE and "input" in item:
            message = _wrong_type(str(item["type"]), message, item["input"])
        fields.append({"field": ".".join(names), "message": message})
    return fields


def _named(location: list[Any], body: Any) -> tuple[list[str], Any]:
    """The names of ``location``'s parts as the body has them, each key holding a lone
    surrogate as its escape (pydantic gives it with U+FFFD for each of its UTF-8 bytes), and
    the value found there."""
    names, value = [], body
    for part in location:
        if isinstance(value, dict):
            key = part if part in value else _key_read_as(value, part)
            value = value.get(key, _NOTHING)
            names.append(escaped(key) if isinstance(key, str) else str(key))
        elif isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value):
            value = value[part]
            names.append(str(part))
        else:
            value = _NOTHING
            names.append(str(part))
    return names, value


def _key_read_as(mapping: dict[str, Any], shown: object) -> object:
    """The key of ``mapping`` pydantic shows as ``shown``, or ``shown`` itself."""
    for key in mapping:
        if not encodable(key) and _lossy(key) == shown:
            return key
    return shown


def _lossy(text: str) -> str:
    return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


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
