from __future__ import annotations

import json
import math
import re
from datetime import datetime, timedelta, timezone
from fractions import Fraction

import pytest

from nbtools.metrics.rule_parser import parse_rule
from nbtools.metrics.rules import Finding, Late, RuleFailure, RunFacts, evaluate_late, evaluate_run


def run(run_id: int, status: str = "succeeded", **metrics: object) -> RunFacts:
    return RunFacts(run_id, status, metrics)


def outcome(text: str, current: RunFacts, *previous: RunFacts) -> Finding | RuleFailure | None:
    return evaluate_run(parse_rule(text), current, previous)


@pytest.mark.parametrize(
    ("text", "value", "fires"),
    [("accuracy < 0.9", 0.85, True), ("accuracy < 0.9", 0.9, False),
     ("accuracy <= 0.9", 0.9, True), ("rows == 0", 0, True), ("rows != 0", 0, False),
     ("loss > 1", 2, True)],
)  # fmt: skip
def test_threshold(text: str, value: float, fires: bool) -> None:
    result = outcome(text, run(7, accuracy=value, rows=value, loss=value))
    assert isinstance(result, Finding) is fires
    if fires:
        assert isinstance(result, Finding)
        assert result.run_id == 7
        assert result.dedupe_key == "run:7"


def test_threshold_message_and_values() -> None:
    result = outcome("accuracy < 0.9", run(3, accuracy=0.85))
    assert result == Finding(
        "accuracy is 0.85 in run 3 (rule: accuracy < 0.9).",
        {"metric": "accuracy", "value": 0.85, "threshold": 0.9, "op": "<"},
        "run:3",
        3,
    )


def test_an_absent_metric_does_not_fire_value_rules() -> None:
    assert outcome("accuracy < 0.9", run(1)) is None
    assert outcome("accuracy drops > 5%", run(2), run(1, accuracy=0.9)) is None


@pytest.mark.parametrize(
    ("value", "shown"), [("n/a", '"n/a"'), (True, "true"), (None, "null"), ([0.5], "[0.5]")]
)
def test_a_non_numeric_value_is_a_rule_failure(value: object, shown: str) -> None:
    result = outcome("accuracy < 0.9", run(4, accuracy=value))
    assert isinstance(result, RuleFailure)
    assert f"accuracy is {shown} in run 4, not a number" in result.message  # as JSON
    assert "'accuracy < 0.9' cannot be evaluated" in result.message


def test_relative_drop_against_the_median_of_the_last_successful_runs() -> None:
    history = [
        run(9, accuracy=0.95),
        run(8, "failed", accuracy=0.1),  # failed runs are not a baseline
        run(7, accuracy=0.90),
        run(6, accuracy="oops"),  # nor are non-numbers
        run(5, accuracy=0.93),
        run(4, accuracy=0.10),  # outside a window of 3
    ]
    result = outcome("accuracy drops > 5% over 3", run(10, accuracy=0.85), *history)
    assert isinstance(result, Finding)
    assert result.observed["baseline"] == 0.93
    assert result.observed["baseline_runs"] == 3
    assert result.observed["change"] == pytest.approx(-8.602, abs=1e-3)
    assert result.message.startswith("accuracy dropped 8.6% in run 10: 0.85 against a median")
    assert outcome("accuracy drops > 10% over 3", run(10, accuracy=0.85), *history) is None
    assert outcome("accuracy rises > 5% over 3", run(10, accuracy=0.85), *history) is None
    assert isinstance(
        outcome("accuracy changes > 5% over 3", run(10, accuracy=0.85), *history), Finding
    )


def test_absolute_change_and_first_run_without_baseline() -> None:
    assert isinstance(outcome("loss rises > 0.1", run(2, loss=0.5), run(1, loss=0.3)), Finding)
    assert outcome("loss rises > 0.1", run(2, loss=0.35), run(1, loss=0.3)) is None
    assert outcome("loss rises > 0.1", run(1, loss=0.5)) is None


def test_a_percent_change_from_a_zero_median_is_a_rule_failure() -> None:
    result = outcome("errors rises > 10%", run(2, errors=3), run(1, errors=0))
    assert isinstance(result, RuleFailure)
    assert "change in percent is undefined" in result.message


def test_missing_fires_only_for_successful_runs() -> None:
    result = outcome("missing accuracy", run(5, loss=1))
    assert isinstance(result, Finding)
    assert result.message == "Run 5 succeeded without recording 'accuracy'."
    assert outcome("missing accuracy", run(5, accuracy=0.9)) is None
    assert outcome("missing accuracy", run(5, "failed")) is None


@pytest.mark.parametrize(
    ("status", "message"),
    [("failed", "Run 2 failed."), ("timed_out", "Run 2 timed out."), ("cancelled", None),
     ("succeeded", None)],
)  # fmt: skip
def test_failed(status: str, message: str | None) -> None:
    result = outcome("failed", run(2, status))
    assert (result.message if isinstance(result, Finding) else None) == message


def test_late_rules_are_not_per_run_rules() -> None:
    assert outcome("late", run(1, "failed")) is None


NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)


def test_late_uses_the_schedule_interval_and_one_occasion_per_missed_stretch() -> None:
    last = NOW - timedelta(hours=25)
    late = evaluate_late(
        Late(), last_success_at=last, since=NOW - timedelta(days=9), now=NOW,
        expected_interval=timedelta(days=1),
    )  # fmt: skip
    assert isinstance(late, Finding)
    assert late.message == (
        "No successful run since 2026-11-24T11:00:00+00:00: more than 1d (rule: late)."
    )
    assert late.dedupe_key == f"late:{last.isoformat()}"
    assert late.run_id is None
    on_time = evaluate_late(
        Late(), last_success_at=last, since=last, now=NOW, expected_interval=timedelta(days=2)
    )
    assert on_time is None


def test_late_with_its_own_interval_and_a_job_that_never_succeeded() -> None:
    since = NOW - timedelta(hours=3)
    late = evaluate_late(
        Late(2 * 3600), last_success_at=None, since=since, now=NOW, expected_interval=None
    )
    assert isinstance(late, Finding)
    assert late.message == "No successful run yet: more than 2h (rule: late 2h)."


def test_late_without_any_interval_is_a_rule_failure() -> None:
    result = evaluate_late(Late(), last_success_at=None, since=NOW, now=NOW, expected_interval=None)
    assert isinstance(result, RuleFailure)
    assert "e.g. 'late 26h'" in result.message


BIG = 1.7e308  # two of them sum to infinity in floats


@pytest.mark.parametrize(
    "text",
    ["big rises > 1% over 2", "big drops > 1% over 2", "big changes > 1 over 2",
     "big changes > 0.0001% over 3", "big changes >= 1e-300 over 2"],
)  # fmt: skip
@pytest.mark.parametrize("big", [BIG, -BIG, 1.7976931348623157e308])
def test_a_value_that_never_changed_near_a_floats_largest_never_fires(
    text: str, big: float
) -> None:
    """The median of two values near 1.8e308 was their float sum halved: infinity, so the
    change was NaN (every comparison false, so `moved <= amount` was false: fired) or
    infinite, and the alert said 'rose nan%' against 'a median of inf'."""
    history = [run(3, big=big), run(2, big=big), run(1, big=big)]
    assert outcome(text, run(4, big=big), *history) is None


def test_changes_between_the_largest_numbers_are_exact_and_their_values_json() -> None:
    """Opposite signs near 1.8e308: the median is exact (0 for -BIG and BIG, never inf), a
    change beyond a float's range fires with a readable message and `change` null."""
    result = outcome("big rises > 1% over 2", run(3, big=BIG), run(2, big=-BIG), run(1, big=-BIG))
    assert isinstance(result, Finding)
    assert result.observed["baseline"] == -BIG
    assert result.observed["change"] == 200.0
    assert result.message.startswith("big rose 200% in run 3: 1.7e+308 against a median of")
    absolute = outcome("big rises > 1 over 2", run(3, big=BIG), run(2, big=-BIG))
    assert isinstance(absolute, Finding)
    assert absolute.observed["change"] is None  # 3.4e308: no float holds it
    assert "big rose 3.4e+308 in run 3" in absolute.message  # shown exactly all the same
    middle = outcome("big rises > 1 over 2", run(4, big=1.0), run(3, big=BIG), run(2, big=-BIG))
    assert middle is None  # the median of -BIG and BIG is 0: 1 is not more than 1 above it
    for finding in (result, absolute):
        json.dumps(finding.observed, allow_nan=False)  # JSON as strict parsers read it


@pytest.mark.parametrize(
    ("text", "value", "median", "fires"),
    [("v drops > 5% over 3", 0.855, 0.9, False),  # exactly 5% (5.000000000000004 in floats)
     ("v drops >= 5% over 3", 0.855, 0.9, True),
     ("v drops > 5% over 3", 0.85499, 0.9, True),  # just beyond
     ("v drops > 10% over 3", 0.27, 0.3, False),  # exactly 10% (9.999999999999991 in floats)
     ("v drops >= 10% over 3", 0.27, 0.3, True),  # which a float comparison missed
     ("v rises > 0.1 over 3", 0.4, 0.3, False),  # exactly 0.1 (0.10000000000000003)
     ("v rises >= 0.1 over 3", 0.4, 0.3, True),
     ("v changes > 10% over 3", 0.33, 0.3, False),
     ("v changes >= 10% over 3", 0.33, 0.3, True),
     ("n rises >= 100% over 3", 2 * 10**20 + 2, 10**20 + 1, True),  # integers exactly
     ("n rises > 100% over 3", 2 * 10**20 + 2, 10**20 + 1, False)],
)  # fmt: skip
def test_a_change_exactly_at_the_amount_is_not_more_than_it(
    text: str, value: float, median: float, fires: bool
) -> None:
    """Changes are computed on the numbers as written (0.9, not the float just below it):
    exactly 5% is not "more than 5%", and `>=` takes it in."""
    history = [run(3, v=median, n=median), run(2, v=median, n=median), run(1, v=0, n=0)]
    result = outcome(text, run(4, v=value, n=value), *history)
    assert isinstance(result, Finding) is fires
    if isinstance(result, Finding) and text.startswith("v drops >= 5%"):
        assert result.message.startswith("v dropped 5% in run 4: 0.855 against a median of 0.9")
        assert result.observed["change"] == -5.0


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_a_non_finite_value_is_a_rule_failure_and_never_a_baseline(bad: float) -> None:
    """A store written by other means may hold one: the run's is an error of the rule
    (never fired on), an earlier run's is left out of the median."""
    result = outcome("v drops > 5%", run(3, v=bad), run(2, v=1.0))
    assert isinstance(result, RuleFailure)
    assert "not a number" in result.message
    assert isinstance(outcome("v < 1", run(3, v=bad)), RuleFailure)
    quiet = outcome("v drops > 5%", run(3, v=1.0), run(2, v=bad), run(1, v=1.0))
    assert quiet is None
    fired = outcome("v drops > 5%", run(3, v=0.5), run(2, v=bad), run(1, v=1.0))
    assert isinstance(fired, Finding)
    assert fired.observed["baseline_runs"] == 1


@pytest.mark.parametrize(
    ("text", "value", "shown"),
    [("v > 5", 5.0, None),  # at the threshold: not more than it
     ("v > 5", 5.004, "5.004"),
     ("v > 5", 5.000000000000001, "5.000000000000001"),  # 15 digits would read 5
     ("v >= 5", 5.0, "5"),
     ("v > 100", 101, "101"),
     ("v < 0.5", 0.1 + 0.2, "0.3"),  # no float noise where it does not matter
     ("v > 0.3", 0.1 + 0.2, "0.30000000000000004"),  # where it made the rule fire
     ("v != 0.3", 0.1 + 0.2, "0.30000000000000004"),
     ("v < -5", -5.004, "-5.004"),
     ("v < -5", -5.000000000000001, "-5.000000000000001"),
     ("v > 1e308", 1.7976931348623157e308, "1.79769313486232e+308"),
     ("v < 1.23456789012346e300", 1.2345678901234567e300, "1.234567890123457e+300"),
     ("v > 0", 5e-324, "5e-324"),
     ("v < 1e-300", 9.999999999999999e-301, "9.999999999999999e-301")],
)  # fmt: skip
def test_a_threshold_message_never_shows_a_value_that_crossed_it_as_equal_to_it(
    text: str, value: float, shown: str | None
) -> None:
    result = outcome(text, run(2, v=value))
    if shown is None:
        assert result is None
    else:
        assert isinstance(result, Finding)
        assert result.message.startswith(f"v is {shown} in run 2 (rule: ")


@pytest.mark.parametrize(
    ("text", "value", "median", "message"),
    [("v drops > 5%", 0.94996, 1, "v dropped 5.004% in run 4: 0.94996 against a median of 1"),
     ("v drops > 5%", 0.95, 1, None),  # exactly 5%
     ("v drops >= 5%", 0.95, 1, "v dropped 5% in run 4: 0.95 against a median of 1"),
     ("v drops > 5%", 0.949999999, 1, "v dropped 5.0000001% in run 4: 0.949999999 against"),
     ("v drops > 5%", -1.05004, -1, "v dropped 5.004% in run 4: -1.05004 against a median of -1"),
     ("v rises > 0.1", 0.4000001, 0.3, "v rose 0.1000001 in run 4: 0.4000001 against"),
     ("v rises > 12.5%", 1.1251, 1, "v rose 12.51% in run 4"),  # 2 decimals do
     ("v rises > 1e-300", 2e-300, 0, "v rose 2e-300 in run 4: 2e-300 against a median of 0"),
     ("v changes > 1e-17", 0.1 + 0.2, 0.3,  # the value never reads as the median either
      "v changed 4e-17 in run 4: 0.30000000000000004 against a median of 0.3 "),
     ("n rises > 100%", 2 * 10**20 + 3, 10**20 + 1,
      "n rose 100.000000000000000001% in run 4: 2.00000000000000000003e+20 against a median "
      "of 1e+20"),
     ("v drops > 5%", 0.9499999999999998, 1,  # 0.95 would read as exactly 5% below 1
      "v dropped 5.00000000000002% in run 4: 0.9499999999999998 against a median of 1 "),
     ("v drops > 5%", 0.1 + 0.2, 1, "v dropped 70% in run 4: 0.3 against a median of 1 ")],
)  # fmt: skip
def test_a_change_message_never_shows_a_change_that_crossed_the_amount_as_equal_to_it(
    text: str, value: float, median: float, message: str | None
) -> None:
    """The change is rounded to 2 decimals, with more where they would read as the amount
    ("dropped 5%" for 5.004% under a rule ``drops > 5%``); the value never reads as the
    value at which the change is the amount, nor as the median."""
    history = [run(3, v=median, n=median), run(2, v=median, n=median)]
    result = outcome(text, run(4, v=value, n=value), *history)
    if message is None:
        assert result is None
    else:
        assert isinstance(result, Finding)
        assert result.message.startswith(message)


@pytest.mark.parametrize("median", [1, 0.9, 1e-300, 1e300, -0.9])
@pytest.mark.parametrize("op", [">", ">="])
def test_a_change_just_beyond_the_amount_reads_as_beyond_it(median: float, op: str) -> None:
    """The value just beyond a drop of 5% of the median, at every scale and of either sign:
    the change shown is more than 5 (never "5"), for `>` and `>=` alike, and the value shown
    is below the one 5% under the median."""
    beyond = median - 0.05 * abs(median)
    value = math.nextafter(beyond, -math.inf)
    while outcome("v drops > 5% over 1", run(2, v=value), run(1, v=median)) is None:
        value = math.nextafter(value, -math.inf)  # 0.05 * median was rounded up: one more
    result = outcome(f"v drops {op} 5% over 1", run(2, v=value), run(1, v=median))
    assert isinstance(result, Finding)
    found = re.fullmatch(r"v dropped (.*)% in run 2: (.*) against .*", result.message)
    assert found is not None
    assert Fraction(found[1]) > 5, result.message
    exact = Fraction(repr(median))
    assert Fraction(found[2]) < exact - abs(exact) / 20, result.message
