"""What a request body may hold: the fields each handler method declares (the base handler
refuses any other before the method runs), text UTF-8 can hold only, and no number a float
cannot hold (refused where the body is read: :func:`read_json`)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

from nbtools.errors import InvalidInputError
from nbtools.jsonplaces import (
    Place,
    escaped,
    field_name,
    first_surrogate,
    lone_surrogate,
    marked_places,
    read_marked,
)

F = TypeVar("F", bound=Callable[..., Any])

#: The attribute :func:`body_fields` sets on a handler method.
_BODY_FIELDS = "nbtools_body_fields"


def body_fields(*names: str) -> Callable[[F], F]:
    """The fields a handler method's JSON body may have. Any other field, and any field at
    all for a method without this, is refused before the method runs (400 naming it), so a
    misspelt field (``timeout_second``) is never silently ignored."""

    def declare(method: F) -> F:
        setattr(method, _BODY_FIELDS, frozenset(names))
        return method

    return declare


def body_passed_on(method: F) -> F:
    """For a method that passes its body on as it is (a call to a service): any field."""
    setattr(method, _BODY_FIELDS, None)
    return method


def fields_taken(method: Callable[..., Any]) -> frozenset[str] | None:
    """The fields ``method``'s body takes (:func:`body_fields`); None: any."""
    taken: frozenset[str] | None = getattr(method, _BODY_FIELDS, frozenset())
    return taken


#: The body fields whose values are named entries, and what a refusal calls an entry.
_NAMED_ENTRIES = {"parameters": "parameter"}


def read_json(raw: bytes) -> Any:
    """``raw`` read as :func:`json.loads` reads it (raising what it raises), except that a
    number written out beyond a float's range (``1e999``), which Python reads as an infinity,
    is refused (400) naming where it is, as a number that long written without a fraction is:
    a typo never becomes an infinity. The tokens ``Infinity`` and ``NaN`` say what they are."""
    body, marks = read_marked(raw)
    if marks:
        raise _beyond_float(*marked_places(body, marks)[0])
    return body


def _beyond_float(path: Place, number: str) -> InvalidInputError:
    """The refusal of ``number``, beyond a float's range, at ``path`` in the body, naming its
    field (and, in ``parameters``, the parameter), or the body when it is in no field (the
    body is that number, or a repeated key replaced it)."""
    text = number if len(number) <= 40 else f"{number[:30]}… ({len(number)} characters)"
    said = f"{text}, beyond a float's range (±{sys.float_info.max:.1e})"
    if not path:
        return InvalidInputError(f"The request body holds {said}.", field="body")
    field = str(path[0])
    entry = _NAMED_ENTRIES.get(field)
    if entry is None or len(path) < 2 or not isinstance(path[1], str):
        return InvalidInputError(f"The field {field[:80]!r} holds {said}.", field=field)
    hint = '; an infinity is written "inf" or "-inf"' if len(path) == 2 else ""
    return InvalidInputError(
        f"{entry.capitalize()} {str(path[1])[:80]!r} holds {said}{hint}.",
        field=field,
        **{entry: path[1]},
    )


def refuse_lone_surrogates(body: dict[str, Any], raw: bytes) -> None:
    """Refuse a body with text UTF-8 cannot hold (a lone surrogate: JSON can write one,
    ``"\\ud800"``) in a key or a value at any depth, naming its place (``parameters.x``; a
    parameter's name also as ``details.parameter``, as every refused parameter has it): no
    path, name or value nbtools keeps can hold it, and a run could not use it."""
    found = lone_surrogate(body, raw)
    if found is None:
        return
    place, text = found
    field = field_name(place)
    message = (
        f"'{field}' holds the lone surrogate {first_surrogate(text)[1]}, half of a UTF-16 pair "
        "that JSON can write as an escape but that is no character: text is kept as UTF-8, "
        "which cannot hold it. Send the text without it."
    )
    if place[0] == "parameters" and len(place) > 1 and isinstance(place[1], str):
        raise InvalidInputError(message, field=field, parameter=escaped(place[1]))
    raise InvalidInputError(message, field=field)


#: How a refusal names each JSON type a field may be declared as.
JSON_KINDS: dict[type, str] = {
    str: "a string",
    int: "a whole number",
    float: "a number",
    bool: "true or false",
    dict: "a JSON object",
    list: "a JSON array",
}


def is_kind(value: object, kind: type) -> bool:
    """JSON's types, strictly: ``true`` is not a number, ``1`` is a float but ``1.5`` no int."""
    if isinstance(value, bool):
        return kind is bool
    if kind is float:
        return isinstance(value, (int, float))
    return isinstance(value, kind)
