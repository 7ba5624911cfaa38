"""Reading the metrics an executed notebook recorded.

Three output forms are read, in cell order, the last value of a name winning:
- ours: a display output of :data:`METRIC_MIME` holding ``{name, value, unit, version}``;
- scrapbook's ``glue``: ``application/scrapbook.scrap.<encoder>+json`` holding
  ``{name, data, encoder, version}`` (the ``json`` and ``text`` encoders; values kept in
  external stores, such as pandas frames, are reported as skipped);
- papermill's older ``record``: ``application/papermill.record+json`` holding ``{name: value}``.

Values are checked exactly as ``record()`` checks them; a bad one becomes a *problem* (kept
with the run) instead of failing the harvest, so a run is never lost to one odd output.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nbtools.limits import DEFAULT_MAX_VALUE_BYTES
from nbtools.metrics.errors import InvalidMetricError
from nbtools.metrics.values import (
    METRIC_MIME,
    JsonValue,
    encode_value,
    normalize_value,
    size_problem,
    validate_name,
    validate_unit,
)

SCRAPBOOK_PREFIX = "application/scrapbook.scrap."
SCRAPBOOK_ENCODERS = ("json", "text")
PAPERMILL_RECORD = "application/papermill.record+json"

SOURCE_NBTOOLS, SOURCE_SCRAPBOOK, SOURCE_PAPERMILL = "nbtools", "scrapbook", "papermill"


@dataclass(frozen=True)
class HarvestedMetric:
    """One metric found in a notebook."""

    name: str
    value: JsonValue
    unit: str | None
    source: str
    #: None for values not read from a notebook (a service's per-minute aggregates).
    cell_index: int | None


@dataclass
class Harvest:
    """The metrics of one notebook (last value per name) and what could not be read."""

    metrics: dict[str, HarvestedMetric] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def harvest_notebook(nb: dict[str, Any], max_value_bytes: int = DEFAULT_MAX_VALUE_BYTES) -> Harvest:
    """Collect the metrics recorded in the outputs of ``nb`` (a parsed notebook)."""
    result = Harvest()
    for cell_index, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        for output in cell.get("outputs", []):
            data = output.get("data") if isinstance(output, dict) else None
            if not isinstance(data, dict):
                continue
            for source, raw in _raw_metrics(data, result.problems, cell_index):
                _accept(result, source, raw, cell_index, max_value_bytes)
    return result


RawMetric = tuple[object, object, object]  # name, value, unit (unchecked)


def _raw_metrics(
    data: dict[str, Any], problems: list[str], cell_index: int
) -> list[tuple[str, RawMetric]]:
    """The (source, (name, value, unit)) triples in one output's MIME bundle."""
    found: list[tuple[str, RawMetric]] = []
    ours = data.get(METRIC_MIME)
    if isinstance(ours, dict):
        found.append((SOURCE_NBTOOLS, (ours.get("name"), ours.get("value"), ours.get("unit"))))
    for mime, payload in data.items():
        if not mime.startswith(SCRAPBOOK_PREFIX) or not isinstance(payload, dict):
            continue
        encoder = mime[len(SCRAPBOOK_PREFIX) :].removesuffix("+json")
        if encoder in SCRAPBOOK_ENCODERS and "data" in payload:
            found.append((SOURCE_SCRAPBOOK, (payload.get("name"), payload["data"], None)))
        else:
            problems.append(
                f"Cell {cell_index}: scrap {payload.get('name')!r} uses scrapbook's "
                f"{encoder!r} encoder (data kept outside the notebook); it was skipped."
            )
    legacy = data.get(PAPERMILL_RECORD)
    if isinstance(legacy, dict):
        found.extend((SOURCE_PAPERMILL, (name, value, None)) for name, value in legacy.items())
    return found


def _accept(
    result: Harvest, source: str, raw: RawMetric, cell_index: int, max_value_bytes: int
) -> None:
    name, value, unit = raw
    try:
        checked_name = validate_name(name)
        checked_unit = validate_unit(unit)
        checked_value = normalize_value(checked_name, value)
    except InvalidMetricError as error:
        result.problems.append(f"Cell {cell_index}: {error.message}")
        return
    problem = size_problem(checked_name, encode_value(checked_value), max_value_bytes)
    if problem is not None:
        result.problems.append(f"Cell {cell_index}: {problem}")
        return
    result.metrics[checked_name] = HarvestedMetric(
        checked_name, checked_value, checked_unit, source, cell_index
    )
