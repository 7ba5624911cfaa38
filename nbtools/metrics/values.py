"""What a metric may be: identifier-like names and small JSON values.

Shared by :func:`nbtools.record` (in the kernel) and the harvester (after a run), so a value
refused at ``record()`` time is refused the same way when read back from a notebook.
Standard library only: this module is imported inside users' kernels.
"""

from __future__ import annotations

import json
import math
import os
import re
from typing import Any

from nbtools.metrics.errors import InvalidMetricError

#: The MIME type of the display output ``record()`` writes and the harvester reads.
METRIC_MIME = "application/vnd.nbtools.metric+json"
PAYLOAD_VERSION = 1

#: Default largest encoded size of one value; ``MetricsSettings.max_value_bytes`` overrides it,
#: and runs pass that setting to the kernel as ``NBTOOLS_METRIC_MAX_BYTES``.
DEFAULT_MAX_VALUE_BYTES = 16 * 1024
MAX_BYTES_ENV = "NBTOOLS_METRIC_MAX_BYTES"

MAX_NAME_LENGTH = 100
MAX_UNIT_LENGTH = 32
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_MAX_DEPTH = 20

JsonValue = Any


def validate_name(name: object) -> str:
    """Return ``name`` if it is identifier-like (dotted segments allowed), else raise."""
    if not isinstance(name, str):
        raise InvalidMetricError(
            f"A metric name must be a string, not {type(name).__name__}.", name=repr(name)
        )
    if len(name) > MAX_NAME_LENGTH or not _NAME.fullmatch(name):
        raise InvalidMetricError(
            f"Invalid metric name {name!r}: use letters, digits and underscores, not starting "
            f"with a digit (dots may separate parts, e.g. 'val.accuracy'), at most "
            f"{MAX_NAME_LENGTH} characters.",
            name=name,
        )
    return name


def validate_unit(unit: object) -> str | None:
    """Return a short unit label (or None), else raise."""
    if unit is None:
        return None
    if not isinstance(unit, str) or len(unit) > MAX_UNIT_LENGTH or "\n" in unit:
        raise InvalidMetricError(
            f"A metric unit must be a one-line string of at most {MAX_UNIT_LENGTH} characters, "
            f"got {unit!r}.",
            unit=repr(unit),
        )
    return unit


def normalize_value(name: str, value: object) -> JsonValue:
    """The value as plain JSON data: numbers, strings, booleans, None, lists and dicts.

    Numeric scalars of other libraries (e.g. ``numpy.float64``) become Python numbers.
    """
    return _normalize(name, value, 0)


def _normalize(name: str, value: object, depth: int) -> JsonValue:
    if depth > _MAX_DEPTH:
        raise InvalidMetricError(f"The value of {name!r} is nested too deeply.", name=name)
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidMetricError(
                f"The value of {name!r} is {value}, which JSON cannot hold: record a finite "
                "number, or None when there is no value.",
                name=name,
            )
        return float(value)
    if isinstance(value, (list, tuple)):
        return [_normalize(name, item, depth + 1) for item in value]
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise InvalidMetricError(f"The keys of {name!r} must be strings.", name=name)
        return {key: _normalize(name, item, depth + 1) for key, item in value.items()}
    item = getattr(value, "item", None)  # numpy and similar scalars
    if callable(item) and getattr(value, "ndim", None) == 0:
        return _normalize(name, item(), depth)
    raise InvalidMetricError(
        f"Cannot record {name!r}: a {type(value).__name__} is not a number, string, boolean "
        "or small JSON value (list or dict). Convert it first, e.g. float(x) or x.tolist().",
        name=name,
        type=type(value).__name__,
    )


def encode_value(value: JsonValue) -> str:
    """The compact JSON text of a normalized value (what the size limit measures)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def max_value_bytes() -> int:
    """The size limit in force in this process: ``$NBTOOLS_METRIC_MAX_BYTES`` or the default."""
    raw = os.environ.get(MAX_BYTES_ENV, "")
    return int(raw) if raw.isdigit() and int(raw) > 0 else DEFAULT_MAX_VALUE_BYTES


def size_problem(name: str, encoded: str, limit: int) -> str | None:
    """A message when an encoded value is over ``limit`` bytes, else None."""
    size = len(encoded.encode())
    if size <= limit:
        return None
    return (
        f"Metric {name!r} was not recorded: its value is {size} bytes, over the limit of "
        f"{limit} bytes. Record a summary (a number or a short string) instead, or raise "
        "MetricsSettings.max_value_bytes."
    )


def value_kind(value: JsonValue) -> str:
    """``number``, ``boolean``, ``string``, ``null`` or ``json`` (lists and dicts)."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if value is None:
        return "null"
    return "json"


def make_payload(name: str, value: JsonValue, unit: str | None) -> dict[str, Any]:
    """The body of a metric display output."""
    return {"name": name, "value": value, "unit": unit, "version": PAYLOAD_VERSION}


def format_value(value: JsonValue, unit: str | None = None) -> str:
    """A short human form: ``0.93``, ``'ok'``, ``12.5 s``."""
    text = value if isinstance(value, (int, float)) and not isinstance(value, bool) else None
    shown = repr(text) if text is not None else encode_value(value)
    return f"{shown} {unit}" if unit else shown
