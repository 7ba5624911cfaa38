"""What a request body may hold: each handler method declares its fields, and the base
handler refuses any other before the method runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

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
