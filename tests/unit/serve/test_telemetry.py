"""What the service counts: the numbers /metrics shows, and what a minute of traffic becomes
in the store's series."""

from __future__ import annotations

import logging
import math

import pytest
from prometheus_client import generate_latest

from nbtools.serve.telemetry import (
    Minute,
    MinuteAggregates,
    PrometheusMetrics,
    bucket_seconds,
    latency_bucket,
    percentile,
)


def test_percentiles_are_nearest_rank_within_one_percent() -> None:
    buckets: dict[int, int] = {}
    for n in range(1, 101):
        bucket = latency_bucket(n / 1000)
        buckets[bucket] = buckets.get(bucket, 0) + 1
    assert percentile(buckets, 0.5) == pytest.approx(0.050, rel=0.01)
    assert percentile(buckets, 0.95) == pytest.approx(0.095, rel=0.01)
    assert percentile({latency_bucket(7.0): 1}, 0.95) == pytest.approx(7.0, rel=0.01)
    # a bucket's bound is never below what it counts; sub-microsecond calls count as 1 µs
    for seconds in (1e-6, 3.3e-5, 0.2, 0.25, 59.9):
        assert seconds <= bucket_seconds(latency_bucket(seconds)) <= seconds * 1.01 + 1e-12
    assert latency_bucket(0.0) == latency_bucket(1e-9) == 0


def test_minutes_of_two_workers_add_up_and_survive_json() -> None:
    first, second = MinuteAggregates(), MinuteAggregates()
    now = 29_000_000 * 60.0
    for seconds in (0.010, 0.010, 0.010):
        first.add(now, seconds, False, [("score", 1.0)])
    second.add(now, 0.500, True, [("score", 5.0), ("other", 2)])
    merged = Minute()
    for share in (first.take()[29_000_000], second.take()[29_000_000]):
        merged.merge(Minute.from_json(share.to_json()))
    found = merged.metrics()
    assert found["requests"] == (4, None)
    assert found["error_rate"] == (0.25, None)
    assert found["mean.score"] == (2.0, None)  # (1 + 1 + 1 + 5) / 4, not the mean of means
    assert found["mean.other"] == (2.0, None)
    assert found["latency_p50"][0] == pytest.approx(0.010, rel=0.01)
    assert found["latency_p95"][0] == pytest.approx(0.500, rel=0.01)


def test_a_minute_counts_calls_errors_latencies_and_means_of_recorded_numbers() -> None:
    aggregates = MinuteAggregates()
    minute = 29_000_000 * 60
    numbers = PrometheusMetrics().observe_recorded([("score", 2), ("label", "a"), ("flag", True)])
    aggregates.add(minute + 1, 0.010, False, numbers)
    aggregates.add(minute + 2, 0.030, True, [("score", 4.0)])
    aggregates.add(minute + 3, 0.020, False, [])
    aggregates.add(minute + 61, 0.5, False, [])  # the next minute
    done = aggregates.take(before=minute // 60 + 1)
    assert list(done) == [minute // 60]
    assert done[minute // 60].metrics() == {
        "requests": (3, None),
        "errors": (1, None),
        "error_rate": (1 / 3, None),
        "latency_p50": (pytest.approx(0.020, rel=0.01), "s"),
        "latency_p95": (pytest.approx(0.030, rel=0.01), "s"),
        "mean.score": (3.0, None),  # strings and booleans are not averaged
    }
    assert list(aggregates.take()) == [minute // 60 + 1]
    assert aggregates.take() == {}


def test_numbers_with_no_finite_value_are_dropped_counted_and_told_once_per_name(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """As record() takes only finite numbers in a notebook: NaN, the infinities and integers
    beyond a float's range never reach a sum (one would spoil it for the process's life)."""
    prometheus = PrometheusMetrics()
    recorded = [
        ("score", 1),
        ("score", math.nan),
        ("score", 2.5),
        ("loss", math.inf),
        ("loss", -math.inf),
        ("size", 10**400),
        ("size", -(10**400)),
        ("flag", True),
        ("label", "a"),
    ]
    with caplog.at_level(logging.WARNING, logger="nbtools.serve"):
        numbers = prometheus.observe_recorded(recorded)
        prometheus.observe_recorded([("score", math.nan)])
    assert numbers == [("score", 1.0), ("score", 2.5)]
    text = generate_latest(prometheus.registry).decode()
    assert 'nbtools_serve_recorded_value_sum{name="score"} 3.5' in text
    assert 'nbtools_serve_recorded_value_count{name="score"} 2.0' in text
    assert 'nbtools_serve_recorded_value_count{name="loss"}' not in text
    for name, dropped in (("score", 2.0), ("loss", 2.0), ("size", 2.0)):
        assert f'nbtools_serve_recorded_dropped_total{{name="{name}"}} {dropped}' in text
    samples = [line for line in text.splitlines() if not line.startswith("#")]
    assert not [line for line in samples if "NaN" in line or ("Inf" in line and "le=" not in line)]
    told = [record.getMessage() for record in caplog.records]
    assert len(told) == 3  # once per name, not once per value
    assert told[0].startswith("the value recorded as 'score' is nan, which is no finite number")
    assert "'loss' is inf" in told[1]
    assert "'size' is an integer beyond a float's range" in told[2]


def test_a_sum_that_would_overflow_leaves_its_values_out_so_a_mean_is_finite(
    caplog: pytest.LogCaptureFixture,
) -> None:
    aggregates = MinuteAggregates()
    now = 29_000_000 * 60.0
    for _ in range(2):
        aggregates.add(now, 0.01, False, [("huge", 1e308), ("small", 1.0)])
    minute = aggregates.take()[29_000_000]
    assert minute.metrics()["mean.huge"] == (1e308, None)
    assert minute.counts == {"huge": 1, "small": 2}
    # another worker's share, or one an earlier version stored with a NaN in it
    minute.merge(
        Minute(count=1, sums={"huge": 1e308, "small": math.nan}, counts={"huge": 1, "small": 1})
    )
    found = minute.metrics()
    assert (found["mean.huge"], found["mean.small"], found["requests"]) == (
        (1e308, None),
        (1.0, None),
        (3, None),
    )
    assert "the sum of the values recorded as 'huge' overflows: 1 left out" in caplog.text


def test_run_results_count_as_record_would_take_them(caplog: pytest.LogCaptureFixture) -> None:
    """run()'s results reach the counters unchecked: a numpy scalar counts as its number, a
    number under a name record() refuses is left out (no label, no ``mean.<name>``), logged
    once per name, and /metrics still renders."""
    np = pytest.importorskip("numpy")
    prometheus = PrometheusMetrics()
    recorded = [
        ("rows", np.int64(2)),
        ("share", np.float32(0.5)),
        ("flag", np.bool_(True)),
        ("bad name", 1.0),
        ("\ud800", 2.0),
        (3, 4.0),
        ("bad name", 5.0),
        ("label", "a b"),  # not a number: its name does not matter
    ]
    with caplog.at_level(logging.WARNING, logger="nbtools.serve"):
        numbers = prometheus.observe_recorded(recorded)
    assert numbers == [("rows", 2.0), ("share", 0.5)]
    assert all(type(number) is float for _, number in numbers)
    text = generate_latest(prometheus.registry).decode()
    assert 'nbtools_serve_recorded_value_sum{name="rows"} 2.0' in text
    for absent in ("bad name", 'name="3"', "dropped_total{"):
        assert absent not in text
    told = [record.getMessage() for record in caplog.records]
    assert len(told) == 3
    assert "Invalid metric name 'bad name'" in told[0]
    assert "Invalid metric name '\\ud800'" in told[1]
    assert "A metric name must be a string, not int" in told[2]


def test_a_name_whose_mean_no_rule_could_name_has_no_mean(caplog: pytest.LogCaptureFixture) -> None:
    """Names of 96 to 100 characters, which record() takes, made ``mean.<name>`` series of
    101 to 105 characters that no rule could name (and PostgreSQL's column refused): every
    stored series name is at most 100 characters. Such a name is still in /metrics."""
    longest, over = "m" * 95, "n" * 96
    prometheus = PrometheusMetrics()
    with caplog.at_level(logging.WARNING, logger="nbtools.serve"):
        numbers = prometheus.observe_recorded([(longest, 1.0), (over, 2.0), ("o" * 100, 3.0)])
        prometheus.observe_recorded([(over, 4.0)])  # told once per name
    assert numbers == [(longest, 1.0)]
    minute = Minute()
    for name, number in numbers:
        minute.add_values(name, number, 1)
    found = minute.metrics()
    assert found[f"mean.{longest}"] == (1.0, None)
    assert len(f"mean.{longest}") == 100
    assert all(len(name) <= 100 for name in found)
    text = generate_latest(prometheus.registry).decode()
    assert f'nbtools_serve_recorded_value_sum{{name="{over}"}} 6.0' in text
    told = [record.getMessage() for record in caplog.records]
    assert len(told) == 2
    assert f"the name '{over}' is 96 characters long" in told[0]
    assert "record it under a name of at most 95 characters" in told[0]
    # a share an earlier version's worker wrote with such a name stores no such series
    minute.add_values(over, 2.0, 1)
    assert f"mean.{over}" not in minute.metrics()
