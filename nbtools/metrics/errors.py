"""Errors of the monitoring feature."""

from __future__ import annotations

from nbtools.errors import InvalidInputError


class InvalidMetricError(InvalidInputError):
    """A metric name, value or unit that cannot be recorded."""


class RuleSyntaxError(InvalidInputError):
    """A rule's text that does not parse; ``details`` carry the column of the problem."""
