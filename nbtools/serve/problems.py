"""What a 422 says of a body (:func:`invalid_reply`): one ``{"field", "message"}`` per
problem found in it.

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

A reply lists the first :data:`MAX_LISTED` problems (fewer when their names and messages
would pass :data:`MAX_LISTED_CHARS` characters) and counts the rest
(``details.unlisted``): a body under the size limit holding thousands of bad items was
answered with tens of megabytes, built while the worker answered nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from nbtools.jsonplaces import encodable, escaped
from nbtools.serve.guards import ERROR_KEY

#: The most problems a 422 lists.
MAX_LISTED = 100
#: The most characters the listed problems' fields and messages take together (the first
#: one is listed whatever its size: its field's name is no longer than the body).
MAX_LISTED_CHARS = 16 * 1024

#: pydantic's errors for a value of another JSON type than the one its place takes.
_WRONG_TYPE = frozenset(
    {"bool_type", "int_type", "float_type", "string_type", "list_type", "dict_type"}
)
#: The message for a key holding a lone surrogate in an object read as fields.
_SURROGATE_NAME = "A field name holding a lone surrogate is not permitted in this object"
#: What :func:`_named` finds at a place the body does not have.
_NOTHING = object()


def invalid_reply(
    request: Request, errors: Sequence[Mapping[str, Any]], body: Any, counted: int = 0
) -> JSONResponse:
    """The 422 reply to ``body`` (what was validated) for ``errors`` (FastAPI's, each located
    under ``body``), and ``counted`` problems more, only counted
    (:mod:`nbtools.serve.large`): the problems of the first errors, as many as it may list
    (those of the others are not even worked out), and the count of the rest; its message
    names the body's fields listed, or says what is wrong with it whole."""
    setattr(request.state, ERROR_KEY, "validation")
    listed: list[dict[str, str]] = []
    size, unlisted = 0, 0
    for seen, item in enumerate(errors, 1):
        problems = _problems(item, body)
        for taken, problem in enumerate(problems):
            size += len(problem["field"]) + len(problem["message"])
            if len(listed) == MAX_LISTED or (listed and size > MAX_LISTED_CHARS):
                unlisted = len(problems) - taken + len(errors) - seen
                break
            listed.append(problem)
        if unlisted:
            break
    unlisted += counted
    details: dict[str, Any] = {"fields": listed}
    more = ""
    if unlisted:
        details["unlisted"] = unlisted
        more = f" (and {unlisted} more)"
    whole = [f["message"] for f in listed if not f["field"]]
    if whole:
        message = f"The request body is invalid. {whole[0].rstrip('.')}.{more}"
    else:
        message = f"The request body is invalid: {', '.join(f['field'] for f in listed)}{more}."
    return JSONResponse(
        {"error": "invalid-input", "message": message, "details": details}, status_code=422
    )


def _problems(item: Mapping[str, Any], body: Any) -> list[dict[str, str]]:
    """The ``{"field", "message"}`` of one of FastAPI's errors: one, or one per key holding
    a lone surrogate of the object it locates."""
    location = list(item.get("loc", ()))
    if location[:1] == ["body"]:  # FastAPI's first part (a field may be called body too)
        location = location[1:]
    message = str(item.get("msg", ""))
    if item.get("type") == "json_invalid":  # its location is a character, not a field
        reason = str(item.get("ctx", {}).get("error", message))
        at = f" at character {location[0]}" if location else ""
        return [{"field": "", "message": f"It is not JSON{at}: {reason}."}]
    if item.get("type") == "string_unicode":  # a model's: the object below it holding such a key
        location += item.get("ctx", {}).get("place", [])
    names, value = _named(location, body)
    if item.get("type") == "string_unicode" and isinstance(value, dict):
        odd = [escaped(key) for key in value if isinstance(key, str) and not encodable(key)]
        if odd:
            return [{"field": ".".join([*names, key]), "message": _SURROGATE_NAME} for key in odd]
    if item.get("type") in _WRONG_TYPE and "input" in item:
        message = _wrong_type(str(item["type"]), message, item["input"])
    return [{"field": ".".join(names), "message": message}]


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
