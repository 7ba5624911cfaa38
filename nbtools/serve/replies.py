"""What a served function's endpoints answer, as its OpenAPI document describes them; and
the reply of a large result, sent in parts (:func:`streamed`).

Every error reply has one shape, ``{"error", "message", "details"}``
(:func:`nbtools.serve.guards.error_body`); the document names each status a function's
endpoints can answer with that shape, so a client generated from ``/openapi.json`` reads the
service's errors as the service writes them (not FastAPI's own ``{"detail": [...]}``, which
this service never sends).
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field, TypeAdapter

log = logging.getLogger("nbtools.serve")


class ErrorReply(BaseModel):
    """An error reply of the service."""

    error: str = Field(description="A stable code for programs, such as 'invalid-input'.")
    message: str = Field(description="What went wrong and what to do, for people.")
    details: dict[str, Any] = Field(description="Facts about this error, by name.")


class FieldProblem(BaseModel):
    """What is wrong with one field of the body."""

    field: str = Field(
        description="The field's dotted path in the body, after the item's index for /batch; "
        "empty for the body as a whole (not JSON, not an object, too many items)."
    )
    message: str


class FieldProblems(BaseModel):
    fields: list[FieldProblem] = Field(description="The first problems found, one each.")
    unlisted: int = Field(
        0, description="How many more problems the body has (present only when some are)."
    )


class InvalidInputReply(ErrorReply):
    """The reply to a body that is JSON but not what the function takes."""

    details: FieldProblems  # type: ignore[assignment]


def result_annotation(function: Callable[..., Any]) -> Any | None:
    """The function's return annotation if pydantic can describe it, else None (the result's
    schema then stays open)."""
    try:
        annotation = inspect.signature(function, eval_str=True).return_annotation
        if annotation is inspect.Signature.empty:
            return None
        TypeAdapter(annotation).json_schema()
    except Exception:  # an annotation pydantic cannot describe
        log.debug("no response schema for %s", function)
        return None
    return annotation


def error_responses(*, keyed: bool, max_batch: int | None) -> dict[int | str, dict[str, Any]]:
    """The error replies of a served function's endpoint: ``keyed`` when an API key guards
    it, ``max_batch`` for its /batch endpoint."""
    too_many = f"; or more than {max_batch} items" if max_batch is not None else ""
    documented = {
        401: "No API key, or a wrong one (details: none).",
        403: "The call used data that the service's purpose does not allow (error "
        "'data-use-refused'; details: error_id, under which the service log has the reason, "
        "and purpose).",
        408: "The body did not arrive within the time limit: the client stalled (error "
        "'request-timeout'; details: timeout_seconds).",
        413: "The body is over the size limit (details: limit, in bytes).",
        415: "The body was not sent as JSON: another Content-Type, or none (details: "
        "content_type); or it was sent compressed (details: content_encoding).",
        422: f"The body is not JSON the function takes{too_many}: not JSON, a NaN or "
        "infinity, a missing, unknown or mistyped field (details: fields, one problem each, "
        "the first 100 at most; unlisted, how many more when there are).",
        500: "The function raised an error (error 'internal-error'; details: error_id, under "
        "which the service log has the traceback), or returned what JSON cannot carry, such "
        "as NaN (error 'invalid-result'; details: error_id, and field where it stands), or a "
        "result over the size limit (error 'result-too-large'; details: error_id, limit, in "
        "bytes of JSON, and setting).",
        503: "What the function loads through nbtools is not there yet, such as the model of "
        "a training job that has not run (error 'not-available'; the message names it, the "
        "details are its).",
        504: "The call took longer than the time limit (details: timeout_seconds).",
    }
    if not keyed:
        del documented[401]
    return {
        status: {"model": InvalidInputReply if status == 422 else ErrorReply, "description": text}
        for status, text in documented.items()
    }


def streamed(parts: list[bytes]) -> StreamingResponse:
    """The reply carrying a large result's JSON ``parts``
    (:func:`nbtools.serve.results.large_result_json`), sent one by one with their whole
    length: the event loop answers other requests between two of them."""

    async def sent() -> AsyncIterator[bytes]:
        for part in parts:
            yield part

    length = str(sum(len(part) for part in parts))
    return StreamingResponse(
        sent(), media_type="application/json", headers={"content-length": length}
    )
