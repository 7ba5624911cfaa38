"""``nbtools.record(name, value, unit=None)``: a metric written by a notebook.

The value is displayed as an output of the MIME type :data:`METRIC_MIME` (with a
``text/plain`` fallback, so any frontend shows it); after a run the harvester reads those
outputs from the executed notebook. Standard library only, plus IPython when present.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from nbtools.metrics.values import (
    METRIC_MIME,
    encode_value,
    format_value,
    make_payload,
    max_value_bytes,
    normalize_value,
    size_problem,
    validate_name,
    validate_unit,
)


class MetricRefusedWarning(UserWarning):
    """A metric was not recorded (too large); the notebook goes on running."""


#: Where ``record()`` sends checked values instead of displaying them: set by the HTTP
#: service for the duration of one request (see :mod:`nbtools.serve`), unset elsewhere.
RECORD_SINK: ContextVar[Callable[[str, Any, str | None], None] | None] = ContextVar(
    "nbtools_record_sink", default=None
)


def record(name: str, value: Any, unit: str | None = None) -> None:
    """Record metric ``name`` with ``value`` (number, string, boolean or small JSON).

    A bad name or a value that is not JSON data raises :class:`InvalidMetricError`; a
    value over the size limit is refused with a :class:`MetricRefusedWarning` and the
    notebook continues. Recording a name twice keeps the last value.
    """
    name = validate_name(name)
    unit = validate_unit(unit)
    value = normalize_value(name, value)
    problem = size_problem(name, encode_value(value), max_value_bytes())
    if problem is not None:
        warnings.warn(problem, MetricRefusedWarning, stacklevel=2)
        return
    sink = RECORD_SINK.get()
    if sink is not None:
        sink(name, value, unit)
        return
    text = f"{name} = {format_value(value, unit)}"
    bundle = {METRIC_MIME: make_payload(name, value, unit), "text/plain": text}
    _display(bundle, text)


def _display(bundle: dict[str, Any], text: str) -> None:
    """Show the bundle in IPython, or print the text line outside of it."""
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:
        print(text)
        return
    if get_ipython() is None:
        print(text)
        return
    display(bundle, raw=True)
