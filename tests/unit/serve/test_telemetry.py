"""Per-minute aggregates: what a minute of traffic becomes in the store's series."""

from __future__ import annotations

import pytest

from nbtools.serve.telemetry import (
    Minute,
    MinuteAggregates,
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
    aggregates.add(minute + 1, 0.010, False, [("score", 2), ("label", "a"), ("flag", True)])
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
