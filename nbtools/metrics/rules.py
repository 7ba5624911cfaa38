"""Alert rules and their evaluation: pure functions over a job's runs and metric values.

A rule never touches the store: callers hand it the facts (the run that finished, the runs
before it, or for ``late`` the time of the last success), and get back a :class:`Finding`
(the rule fired), a :class:`RuleFailure` (it could not be evaluated, e.g. a value that is
not a number) or None.
"""

from __future__ import annotations

import operator
import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any

from nbtools.durations import human_duration
from nbtools.metrics.numbers import CHANGE_DECIMALS, format_number, shown
from nbtools.metrics.values import finite, format_value

#: Run statuses, as the jobs feature writes them.
SUCCEEDED = "succeeded"
FAILED_STATES = ("failed", "timed_out")

OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}
DIRECTIONS = ("drops", "rises", "changes")
#: How a change rule compares the change with its amount: more than it, or at least it.
CHANGE_OPERATORS: dict[str, Callable[[Fraction, Fraction], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
}
DEFAULT_WINDOW = 5
MAX_WINDOW = 100


def format_duration(seconds: int) -> str:
    """The largest whole unit: ``26h``, ``2d``, ``90m``."""
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


@dataclass(frozen=True)
class Threshold:
    """``accuracy < 0.9``: the run's value compared with a constant."""

    metric: str
    op: str
    value: float
    kind = "threshold"

    @property
    def text(self) -> str:
        return f"{self.metric} {self.op} {format_number(self.value)}"


@dataclass(frozen=True)
class Change:
    """``accuracy drops > 5% over 5``: the value against the median of the last N successes
    (``>=``: by the amount or more)."""

    metric: str
    direction: str
    amount: float
    percent: bool
    window: int = DEFAULT_WINDOW
    op: str = ">"
    kind = "change"

    @property
    def text(self) -> str:
        unit = "%" if self.percent else ""
        return (
            f"{self.metric} {self.direction} {self.op} {format_number(self.amount)}{unit} "
            f"over {self.window}"
        )


@dataclass(frozen=True)
class Missing:
    """``missing accuracy``: a successful run that did not record the metric."""

    metric: str
    kind = "missing"

    @property
    def text(self) -> str:
        return f"missing {self.metric}"


@dataclass(frozen=True)
class Failed:
    """``failed``: a run that failed or timed out."""

    kind = "failed"
    metric = None

    @property
    def text(self) -> str:
        return "failed"


@dataclass(frozen=True)
class Late:
    """``late`` / ``late 26h``: no success within the schedule's interval (or the one given)."""

    interval_seconds: int | None = None
    kind = "late"
    metric = None

    @property
    def text(self) -> str:
        if self.interval_seconds is None:
            return "late"
        return f"late {format_duration(self.interval_seconds)}"


Rule = Threshold | Change | Missing | Failed | Late


@dataclass(frozen=True)
class RunFacts:
    """What rules need to know about one run."""

    run_id: int
    status: str
    metrics: Mapping[str, Any] = field(default_factory=dict)
    parameters: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Finding:
    """A rule fired: the message, the values behind it, and what makes it one occasion."""

    message: str
    observed: dict[str, Any]
    dedupe_key: str
    run_id: int | None


@dataclass(frozen=True)
class RuleFailure:
    """A rule could not be evaluated; reported on the job, other rules still run."""

    message: str


Outcome = Finding | RuleFailure | None


def evaluate_run(rule: Rule, run: RunFacts, previous: Sequence[RunFacts]) -> Outcome:
    """Evaluate a per-run rule for ``run``; ``previous`` are the job's earlier runs, newest first.

    ``late`` rules are evaluated by :func:`evaluate_late` instead and give None here.
    """
    if isinstance(rule, Failed):
        return _failed(run)
    if isinstance(rule, Missing):
        if run.status == SUCCEEDED and rule.metric not in run.metrics:
            message = f"Run {run.run_id} succeeded without recording {rule.metric!r}."
            return Finding(message, {"metric": rule.metric}, f"run:{run.run_id}", run.run_id)
        return None
    if isinstance(rule, Threshold):
        return _threshold(rule, run)
    if isinstance(rule, Change):
        return _change(rule, run, previous)
    return None


def _failed(run: RunFacts) -> Outcome:
    if run.status not in FAILED_STATES:
        return None
    how = "timed out" if run.status == "timed_out" else "failed"
    return Finding(
        f"Run {run.run_id} {how}.", {"status": run.status}, f"run:{run.run_id}", run.run_id
    )


def _numeric(rule: Threshold | Change, run: RunFacts) -> float | RuleFailure | None:
    """The run's value of the rule's metric as a float, a failure, or None when absent."""
    if rule.metric not in run.metrics:
        return None
    value = run.metrics[rule.metric]
    if not _is_number(value):
        return RuleFailure(
            f"{rule.metric} is {format_value(value)} in run {run.run_id}, not a number: the rule "
            f"'{rule.text}' cannot be evaluated. Record a number, or change the rule."
        )
    return float(value)


def _is_number(value: object) -> bool:
    """Whether ``value`` is a number rules compare: not a boolean, and finite as a float
    (``record()`` refuses the others; a store written otherwise may hold them)."""
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and finite(value) is not None
    )


def _threshold(rule: Threshold, run: RunFacts) -> Outcome:
    value = _numeric(rule, run)
    if not isinstance(value, float):
        return value
    if not OPERATORS[rule.op](value, rule.value):
        return None
    return Finding(
        f"{rule.metric} is {shown(_exact(value), _exact(rule.value))} in run {run.run_id} "
        f"(rule: {rule.text}).",
        {"metric": rule.metric, "value": value, "threshold": rule.value, "op": rule.op},
        f"run:{run.run_id}",
        run.run_id,
    )


def _exact(value: float) -> Fraction:
    """``value`` as the number written for it: an integer as it is, a float as its shortest
    decimal form (``0.9``, not the binary fraction just below 0.9 that stores it). Changes
    are computed on these exactly, so no sum overflows and 0.9 → 0.855 is a change of 5%,
    not 5.000000000000004%."""
    return Fraction(value) if isinstance(value, int) else Fraction(repr(value))


def median(numbers: Iterable[float]) -> Fraction:
    """The median of ``numbers``, exactly (:func:`_exact`): two values near a float's largest
    (1.7e308) have a median of that size, not the infinity their sum in floats would give."""
    return statistics.median(_exact(number) for number in numbers)


def _as_float(number: Fraction) -> float | None:
    """An exact change as a float for ``observed`` (JSON), None beyond a float's range."""
    try:
        return float(number)
    except OverflowError:
        return None


def _change(rule: Change, run: RunFacts, previous: Sequence[RunFacts]) -> Outcome:
    value = _numeric(rule, run)
    if not isinstance(value, float):
        return value
    baseline_values = [
        earlier.metrics[rule.metric]
        for earlier in previous
        if earlier.status == SUCCEEDED and _is_number(earlier.metrics.get(rule.metric))
    ][: rule.window]
    if not baseline_values:
        return None  # nothing to compare with yet
    baseline = median(baseline_values)
    recorded = _exact(run.metrics[rule.metric])
    delta = recorded - baseline
    if rule.percent:
        if baseline == 0:
            return RuleFailure(
                f"The median of {rule.metric} over the last {len(baseline_values)} successful "
                f"runs is 0, so a change in percent is undefined: the rule '{rule.text}' "
                "cannot be evaluated. Use an absolute change (without %)."
            )
        change = delta / abs(baseline) * 100
    else:
        change = delta
    moved = {"drops": -change, "rises": change, "changes": abs(change)}[rule.direction]
    amount = _exact(rule.amount)
    if not CHANGE_OPERATORS[rule.op](moved, amount):
        return None  # else moved >= amount > 0: the size of the change
    step = amount * abs(baseline) / 100 if rule.percent else amount
    reached = baseline + step if change > 0 else baseline - step  # the value at the amount
    unit = "%" if rule.percent else ""
    verb = {"drops": "dropped", "rises": "rose", "changes": "changed"}[rule.direction]
    return Finding(
        f"{rule.metric} {verb} {shown(moved, amount, decimals=CHANGE_DECIMALS)}{unit} in run "
        f"{run.run_id}: {shown(recorded, reached)} against a median of "
        f"{shown(baseline, recorded)} over the last {len(baseline_values)} successful runs "
        f"(rule: {rule.text}).",
        {
            "metric": rule.metric,
            "value": value,
            "baseline": float(baseline),  # between two finite floats: finite
            "baseline_runs": len(baseline_values),
            "change": _as_float(change),
            "percent": rule.percent,
        },
        f"run:{run.run_id}",
        run.run_id,
    )


def evaluate_late(
    rule: Late,
    *,
    last_success_at: datetime | None,
    since: datetime,
    now: datetime,
    expected_interval: timedelta | None,
) -> Outcome:
    """Whether a job is late: no success for longer than its interval.

    ``since`` is when the job began to be expected to run (its creation or first due
    time), used when it never succeeded; ``expected_interval`` comes from its schedule.
    """
    if rule.interval_seconds is not None:
        interval = timedelta(seconds=rule.interval_seconds)
    elif expected_interval is not None:
        interval = expected_interval
    else:
        return RuleFailure(
            "The rule 'late' needs an interval, and the job has no schedule to take it from: "
            "give one, e.g. 'late 26h'."
        )
    reference = last_success_at or since
    if now - reference <= interval:
        return None
    seconds = int(interval.total_seconds())
    what = f"since {reference.isoformat(timespec='seconds')}" if last_success_at else "yet"
    return Finding(
        f"No successful run {what}: more than {human_duration(seconds)} (rule: {rule.text}).",
        {
            "last_success_at": last_success_at.isoformat() if last_success_at else None,
            "interval_seconds": seconds,
        },
        f"late:{reference.isoformat()}",
        None,
    )
