"""What the service counts: Prometheus metrics for ``/metrics`` and per-minute aggregates
for ``--record-to``.

Each app has its own Prometheus registry (several apps in one process do not mix). The
aggregates keep, per minute, the number of calls of served functions, how many failed, their
latencies in 1% buckets (for the median and 95th percentile) and the sum and count of every
value the functions ``record()``ed (for the mean): sums and counts only, so the minutes of
several workers add up to the minute of the service.

Only finite numbers under metric names are counted, as ``record()`` takes only those in a
notebook (``run()``'s results are not checked by its own ``record``): a value with no finite
float (NaN or an infinity that ``run()`` returns, an integer beyond a float's range) is left
out of both, counted in ``nbtools_serve_recorded_dropped_total`` and logged once per name; one
such value would otherwise turn a name's sum into NaN or infinity for as long as the process
lives, and its stored means with it. A number under a name ``record()`` refuses is left out
and logged once per name (it is no label of that counter); a numpy scalar counts as the
number it holds. A number under a name longer than 95 characters is counted in ``/metrics``
but has no mean, logged once per name: its series ``mean.<name>`` would be longer than a
metric's name may be (:func:`nbtools.metrics.values.mean_series`).

A minute also keeps the datasets its calls used through ``nbtools.data`` (each dataset and
mode once: :mod:`nbtools.serve.uses`), which the minute's run stores as a run's uses.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Summary

from nbtools.metrics.errors import InvalidMetricError
from nbtools.metrics.values import (
    MAX_NAME_LENGTH,
    MEAN_PREFIX,
    finite,
    mean_series,
    plain_scalar,
    validate_name,
)

log = logging.getLogger("nbtools.serve")

#: Latency buckets (seconds): from a fast model call to the default time limit.
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


class PrometheusMetrics:
    """The service's Prometheus metrics, in a registry of their own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "nbtools_serve_requests",
            "HTTP requests answered, by endpoint and status code.",
            ["endpoint", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "nbtools_serve_request_duration_seconds",
            "Time to answer a request, by endpoint.",
            ["endpoint"],
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.errors = Counter(
            "nbtools_serve_errors",
            "Requests that failed, by endpoint and error type (an exception's class name, "
            "timeout, request-timeout, validation, unsupported-media-type, body-too-large, "
            "unauthorized, "
            "data-use-refused, invalid-result).",
            ["endpoint", "type"],
            registry=self.registry,
        )
        self.recorded = Summary(
            "nbtools_serve_recorded_value",
            "Values the served functions record()ed during requests (finite numbers only).",
            ["name"],
            registry=self.registry,
        )
        self.dropped = Counter(
            "nbtools_serve_recorded_dropped",
            "Numbers recorded during requests that were not counted, having no finite value "
            "(NaN, an infinity, an integer beyond a float's range), by name.",
            ["name"],
            registry=self.registry,
        )
        self.ready = Gauge(
            "nbtools_serve_ready", "1 once start-up is done.", registry=self.registry
        )
        self._told: set[object] = set()

    def observe_recorded(self, recorded: Iterable[tuple[object, Any]]) -> list[tuple[str, float]]:
        """Observe the numbers among ``recorded`` (``(name, value)``, as ``record()``ed or
        as ``run()`` returns them) and return them as floats; a number with no finite value
        is counted in :attr:`dropped` instead, one under a name ``record()`` refuses is left
        out, each logged the first time its name drops one."""
        numbers: list[tuple[str, float]] = []
        for key, recorded_value in recorded:
            value = plain_scalar(recorded_value)
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                continue  # text, booleans and JSON values are not averaged
            try:
                name = validate_name(key)
            except InvalidMetricError as error:
                self._tell_name(key, error.message)
                continue
            number = finite(value)
            if number is None:
                self.dropped.labels(name).inc()
                self._tell(name, value)
                continue
            self.recorded.labels(name).observe(number)
            if mean_series(name) is None:
                self._tell_long(name)
                continue
            numbers.append((name, number))
        return numbers

    def _tell_long(self, name: str) -> None:
        if (MEAN_PREFIX, name) in self._told:
            return
        self._told.add((MEAN_PREFIX, name))
        log.warning(
            "the name %r is %d characters long: its mean would be the series %s<name>, "
            "longer than the %d characters a metric's name may have, which no rule could name. "
            "Counted in /metrics, not in the recorded means: record it under a name of at "
            "most %d characters (logged once per name).",
            name,
            len(name),
            MEAN_PREFIX,
            MAX_NAME_LENGTH,
            MAX_NAME_LENGTH - len(MEAN_PREFIX),
        )

    def _tell_name(self, key: object, reason: str) -> None:
        if key in self._told:
            return
        self._told.add(key)
        log.warning(
            "a number was recorded under a name record() refuses: %s Not counted in "
            "/metrics or the recorded means (logged once per name).",
            reason,
        )

    def _tell(self, name: str, value: float) -> None:
        if name in self._told:
            return
        self._told.add(name)
        shown = repr(value) if isinstance(value, float) else "an integer beyond a float's range"
        log.warning(
            "the value recorded as %r is %s, which is no finite number: not counted in "
            "/metrics or the recorded means (nbtools_serve_recorded_dropped_total counts such "
            "values; logged once per name)",
            name,
            shown,
        )


#: Latencies are counted in buckets growing by this ratio (so a percentile is exact to 1%),
#: which keeps a minute's size bounded and lets the minutes of several workers merge.
LATENCY_RATIO = 1.01
#: The smallest latency told apart (seconds); anything faster counts as this.
LATENCY_FLOOR = 1e-6


def latency_bucket(seconds: float) -> int:
    """The bucket of a latency: ``LATENCY_FLOOR * LATENCY_RATIO ** bucket`` bounds it above."""
    if seconds <= LATENCY_FLOOR:
        return 0
    return math.ceil(math.log(seconds / LATENCY_FLOOR) / math.log(LATENCY_RATIO) - 1e-9)


def bucket_seconds(bucket: int) -> float:
    """The upper bound of a latency bucket (seconds): what its percentiles report."""
    return LATENCY_FLOOR * LATENCY_RATIO**bucket


def percentile(buckets: dict[int, int], fraction: float) -> float:
    """The nearest-rank percentile of the latencies counted in ``buckets`` (not empty)."""
    rank = max(1, math.ceil(fraction * sum(buckets.values())))
    seen = 0
    for bucket in sorted(buckets):
        seen += buckets[bucket]
        if seen >= rank:
            return bucket_seconds(bucket)
    raise ValueError("no latencies")


@dataclass
class Minute:
    """One minute of calls to served functions (of one worker, or merged over several)."""

    count: int = 0
    errors: int = 0
    latencies: dict[int, int] = field(default_factory=dict)  # bucket → calls
    sums: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    #: The datasets used (``nbtools.data``'s use records), each dataset and mode once.
    uses: list[dict[str, str]] = field(default_factory=list)

    def metrics(self) -> dict[str, tuple[float, str | None]]:
        """The minute's series values: ``{name: (value, unit)}``."""
        found: dict[str, tuple[float, str | None]] = {
            "requests": (self.count, None),
            "errors": (self.errors, None),
            "error_rate": (self.errors / self.count if self.count else 0.0, None),
        }
        if self.latencies:
            found["latency_p50"] = (percentile(self.latencies, 0.5), "s")
            found["latency_p95"] = (percentile(self.latencies, 0.95), "s")
        for name, total in sorted(self.sums.items()):
            series = mean_series(name)  # None: a share an earlier version wrote
            if series is not None:
                found[series] = (total / self.counts[name], None)
        return found

    def merge(self, other: Minute) -> None:
        """Add ``other`` (the same minute of another worker, or a later share) to this one."""
        self.count += other.count
        self.errors += other.errors
        for bucket, calls in other.latencies.items():
            self.latencies[bucket] = self.latencies.get(bucket, 0) + calls
        for name, total in other.sums.items():
            self.add_values(name, total, other.counts[name])
        self.add_uses(other.uses)

    def add_uses(self, uses: Iterable[Mapping[str, str]]) -> None:
        """Add the uses of datasets not among this minute's yet (by dataset and mode)."""
        held = {(use["dataset"], use["mode"]) for use in self.uses}
        for use in uses:
            if (use["dataset"], use["mode"]) not in held:
                held.add((use["dataset"], use["mode"]))
                self.uses.append(dict(use))

    def add_values(self, name: str, total: float, count: int) -> None:
        """Add ``count`` values of ``name`` summing to ``total``, unless the sum would
        overflow a float (numbers near 1e308): those are left out (logged), so a stored mean
        is always a finite number."""
        summed = self.sums.get(name, 0.0) + total
        if not math.isfinite(summed):
            log.warning("the sum of the values recorded as %r overflows: %d left out", name, count)
            return
        self.sums[name] = summed
        self.counts[name] = self.counts.get(name, 0) + count

    def to_json(self) -> dict[str, Any]:
        """The minute as JSON data (a worker's share in the store)."""
        return {
            "count": self.count,
            "errors": self.errors,
            "latencies": {str(bucket): calls for bucket, calls in self.latencies.items()},
            "sums": self.sums,
            "counts": self.counts,
            "uses": self.uses,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Minute:
        return cls(
            count=int(data["count"]),
            errors=int(data["errors"]),
            latencies={int(b): int(n) for b, n in data["latencies"].items()},
            sums={str(k): float(v) for k, v in data["sums"].items()},
            counts={str(k): int(v) for k, v in data["counts"].items()},
            uses=list(data.get("uses", [])),  # a share an earlier version wrote has none
        )


class MinuteAggregates:
    """Calls grouped by the minute they ended in (UTC epoch minutes); thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._minutes: dict[int, Minute] = {}

    def add(
        self,
        now: float,
        seconds: float,
        failed: bool,
        numbers: Iterable[tuple[str, float]],
        uses: Iterable[Mapping[str, str]] = (),
    ) -> None:
        """One call that ended at ``now`` (epoch seconds), with the finite numbers it
        recorded (:meth:`PrometheusMetrics.observe_recorded`) and the datasets it used."""
        with self._lock:
            minute = self._minutes.setdefault(int(now // 60), Minute())
            minute.count += 1
            minute.errors += failed
            bucket = latency_bucket(seconds)
            minute.latencies[bucket] = minute.latencies.get(bucket, 0) + 1
            for name, number in numbers:
                minute.add_values(name, number, 1)
            minute.add_uses(uses)

    def take(self, before: int | None = None) -> dict[int, Minute]:
        """Remove and return the minutes before epoch minute ``before`` (all when None)."""
        with self._lock:
            done = [m for m in self._minutes if before is None or m < before]
            return {m: self._minutes.pop(m) for m in sorted(done)}
