"""Errors specific to jobs and runs (all part of the one :mod:`nbtools.errors` hierarchy)."""

from __future__ import annotations

from nbtools.errors import InvalidInputError


class InvalidParameterError(InvalidInputError):
    """A run parameter is unknown, badly named or of the wrong type."""


class InvalidScheduleError(InvalidInputError):
    """A cron expression, timezone or schedule option cannot be used."""
