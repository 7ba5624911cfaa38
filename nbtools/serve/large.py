"""A large request body (over :data:`LARGE_BYTES`): read and validated in a worker thread,
its problems worked out up to the first ones a 422 lists.

FastAPI validates a body on the event loop, and pydantic works out every problem of it before
the service lists the first :data:`~nbtools.serve.problems.MAX_LISTED`: a body under the size
limit holding a bad item in every place (a megabyte of them) held the worker's event loop for
seconds, every other request (``/health`` too) waiting. Such a body is read
(:func:`~nbtools.serve.body.read_json`) and validated here instead, in a thread, by a reading
of the request model whose every item of a list, tuple, set or dict is :func:`counted`: once
the first problems are found, the items after them are validated only to count theirs
(``details.unlisted``), and between two items the event loop answers the other requests. The
function then gets the values validated there, which FastAPI takes as they are. A smaller
body is validated by FastAPI on the event loop, as it takes less time than handing it over.
The members of a union of several types (``list[int] | list[str]``; ``X | None`` is not one)
and the fields of the function's own pydantic models are validated by pydantic whole, here
too: their items are not counted one by one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, TypeAdapter, ValidationError, ValidationInfo, WrapValidator
from pydantic_core.core_schema import ValidatorFunctionWrapHandler

from nbtools.serve.body import escaped_names, read_json
from nbtools.serve.problems import MAX_LISTED

#: A body larger than this (bytes) is validated in a worker thread.
LARGE_BYTES = 64 * 1024


class TrimmedValidationError(RequestValidationError):
    """A large body's problems: the first ones, and how many others there are (``unlisted``)."""

    def __init__(self, errors: Sequence[Any], *, body: Any, unlisted: int) -> None:
        super().__init__(errors, body=body)
        self.unlisted = unlisted


class Tally:
    """The problems found so far in one body (the validation's context)."""

    def __init__(self) -> None:
        #: Those raised (to be listed); once :data:`MAX_LISTED`, the others are only counted.
        self.raised = 0
        #: Those only counted.
        self.unlisted = 0


def _count(value: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo) -> Any:
    tally = info.context
    if not isinstance(tally, Tally):
        return handler(value)
    before = tally.raised
    if before >= MAX_LISTED:  # enough to list: this item's problems are only counted
        try:
            return handler(value)
        except ValidationError as error:
            tally.unlisted += error.error_count()
            return value
    try:
        return handler(value)
    except ValidationError as error:  # those of the items inside it counted too, once
        tally.raised = before + error.error_count()
        raise


def counted(annotation: Any) -> Any:
    """``annotation``, an item of a container, validated by :func:`_count`."""
    return Annotated[annotation, WrapValidator(_count)]


class LargeBody:
    """Reads a large body of an endpoint taking ``tallied`` (``batch``: a list of them): its
    request model with its containers' items :func:`counted`
    (:func:`nbtools.serve.signature.request_model`), a subclass of the one FastAPI validates
    with, which FastAPI then takes as it is."""

    def __init__(self, tallied: type[BaseModel], *, batch: bool) -> None:
        self.tallied: TypeAdapter[Any] = TypeAdapter(list[tallied] if batch else tallied)  # type: ignore[valid-type]

    def read(self, body: bytes) -> Any:
        """``body`` read and validated (run it in a worker thread); raises
        :class:`RequestValidationError` (422). An item's problems are only counted once
        :data:`MAX_LISTED` were raised, and raised ones always reach the top (no counted
        item stands inside a union's member, which could drop them), so a body with problems
        is never taken."""
        value = escaped_names(read_json(body))
        tally = Tally()
        try:
            return self.tallied.validate_python(value, context=tally)
        except ValidationError as error:
            raise TrimmedValidationError(
                _located(error), body=value, unlisted=tally.unlisted
            ) from None


def _located(error: ValidationError) -> list[dict[str, Any]]:
    """``error``'s problems, located under ``body`` as FastAPI locates them."""
    return [
        {**problem, "loc": ("body", *problem["loc"])} for problem in error.errors(include_url=False)
    ]
