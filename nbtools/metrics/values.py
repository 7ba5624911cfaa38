"""What a metric may be: identifier-like names and small JSON values.

Shared by :func:`nbtools.record` (in the kernel) and the harvester (after a run), so a value
refused at ``record()`` time is refused the same way when read back from a notebook.
Standard library only: this module is imported inside users' kernels.
"""

from __future__ import annotations

import json
import math
import numbers
import os
import re
from typing import Any

from nbtools.ids import MAX_INTEGER, whole_number
from nbtools.limits import DEFAULT_MAX_VALUE_BYTES, MAX_BYTES_ENV
from nbtools.metrics.errors import InvalidMetricError

#: The MIME type of the display output ``record()`` writes and the harvester reads.
METRIC_MIME = "application/vnd.nbtools.metric+json"
PAYLOAD_VERSION = 1


#: The longest name of a metric, and of every series a job stores (rules name them).
MAX_NAME_LENGTH = 100
#: A served package's traffic stores the mean of each name its functions record as the
#: series ``mean.<name>`` (:mod:`nbtools.serve.telemetry`).
MEAN_PREFIX = "mean."
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


def mean_series(name: str) -> str | None:
    """The series a service stores the mean of ``name``'s values under, ``mean.<name>``;
    None when that is longer than :data:`MAX_NAME_LENGTH` (a name over 95 characters): no
    rule could name it, and no column holds it."""
    series = MEAN_PREFIX + name
    return series if len(series) <= MAX_NAME_LENGTH else None


def validate_unit(unit: object) -> str | None:
    """Return a short unit label (or None), else raise."""
    if unit is None:
        return None
    if not isinstance(unit, str) or len(unit) > MAX_UNIT_LENGTH or not unit.isprintable():
        raise InvalidMetricError(
            f"A metric unit must be a string of at most {MAX_UNIT_LENGTH} printable characters "
            f"(no line break, tab or control character), got {unit!r}.",
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
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return _text(name, value)
    if isinstance(value, int):
        if finite(value) is None:
            raise InvalidMetricError(
                f"The value of {name!r} is an integer beyond a float's range (about 1.8e308), "
                "which rules and charts cannot compare: record it as a string, or a float.",
                name=name,
            )
        return int(value)
    if isinstance(value, float):
        if finite(value) is None:
            raise InvalidMetricError(
                f"The value of {name!r} is {value}, which JSON cannot hold: record a finite "
                "number (within a float's range, about 1.8e308), or None when there is no "
                "value.",
                name=name,
            )
        return float(value)
    if isinstance(value, (list, tuple)):
        return [_normalize(name, item, depth + 1) for item in value]
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise InvalidMetricError(f"The keys of {name!r} must be strings.", name=name)
        return {_text(name, key): _normalize(name, item, depth + 1) for key, item in value.items()}
    plain = plain_scalar(value)
    if plain is not value:
        return _normalize(name, plain, depth + 1)
    raise InvalidMetricError(
        f"Cannot record {name!r}: a {type(value).__name__} is not a number, string, boolean "
        "or small JSON value (list or dict). Convert it first, e.g. float(x) or x.tolist().",
        name=name,
        type=type(value).__name__,
    )


def _text(name: str, text: str) -> str:
    """``text`` (a string of the value, or a key) when UTF-8 can encode it: a lone surrogate
    (``"\\ud800"``, which JSON text can hold) cannot be shown, saved in a notebook or stored."""
    if not text.isascii():
        try:
            text.encode()
        except UnicodeEncodeError as error:
            raise InvalidMetricError(
                f"The value of {name!r} holds the lone surrogate "
                f"{text[error.start : error.end]!r}, which UTF-8 cannot encode: record text "
                "without it.",
                name=name,
            ) from None
    return str(text)


def plain_scalar(value: object) -> object:
    """A numpy-like scalar (``numpy.int64``, ``numpy.float32``, a 0-d array) as the Python
    value its ``item()`` gives (``numpy.longdouble``, whose ``item()`` is itself, as a
    float); anything else as it is."""
    item = getattr(value, "item", None)
    if not callable(item) or getattr(value, "ndim", None) != 0:
        return value
    plain = item()
    if type(plain) is not type(value):
        return plain
    return float(value) if isinstance(value, numbers.Real) else value


def finite(value: float) -> float | None:
    """``value`` as a float, or None when it has no finite one (NaN, an infinity, an integer
    beyond a float's range)."""
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def encode_value(value: JsonValue) -> str:
    """The compact JSON text of a normalized value (what the size limit measures)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def max_value_bytes() -> int:
    """The size limit in force in this process: ``$NBTOOLS_METRIC_MAX_BYTES`` or the default."""
    raw = os.environ.get(MAX_BYTES_ENV, "")
    if not (raw.isascii() and raw.isdigit()) or not raw.strip("0"):
        return DEFAULT_MAX_VALUE_BYTES
    return whole_number(raw) or MAX_INTEGER  # a larger limit is no limit either


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


#: Significant digits of a fractional number as people read it (:func:`format_value`).
SHOWN_DIGITS = 4


def format_value(value: JsonValue, unit: str | None = None) -> str:
    """A short human form: ``0.93``, ``'ok'``, ``12.5 s``. A float's fraction is rounded to
    :data:`SHOWN_DIGITS` significant digits, its whole part kept (``0.0007043``, ``12346.0``,
    ``1.7e+308``); an int is shown whole. The exact value is the JSON's (``--json``, the REST
    API)."""
    if isinstance(value, float) and math.isfinite(value) and value:
        decimals = SHOWN_DIGITS - 1 - math.floor(math.log10(abs(value)))
        shown = repr(round(value, max(decimals, 0)))
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        shown = repr(value)  # an int, 0.0, nan or inf
    else:
        shown = encode_value(value)
    return f"{shown} {unit}" if unit else shown
