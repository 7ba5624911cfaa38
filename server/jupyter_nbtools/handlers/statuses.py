"""The HTTP status an nbtools error is answered with, for the handlers (`NbtoolsHandler.write_error`)
and the checkpoints' contents manager alike."""

from __future__ import annotations

from nbtools.errors import (
    ConflictError,
    NbtoolsError,
    NotFoundError,
    PayloadTooLargeError,
    StoreError,
)


def http_status(error: NbtoolsError) -> int:
    """The HTTP status for an nbtools error: 403, 404, 409, 413, 503 (the store cannot be
    used: no fault of the request) or 400."""
    if isinstance(error, PermissionError):  # NotAuthorizedError, PolicyRefusedError
        return 403
    if isinstance(error, NotFoundError):
        return 404
    if isinstance(error, ConflictError):
        return 409
    if isinstance(error, PayloadTooLargeError):
        return 413
    if isinstance(error, StoreError):
        return 503
    return 400
