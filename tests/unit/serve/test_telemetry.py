"""Per-minute aggregates: what a minute of traffic becomes in the store's series."""

from __future__ import annotations

from nbtools.serve.telemetry import MinuteAggregates, percentile


def test_percentiles_are_nearest_rank() -> None:
    values = [float(n) for n in range(1, 101)]
    assert percentile(values, 0.5) == 50.0
    assert percentile(values, 0.95) == 95.0
    assert percentile([7.0], 0.95) == 7.0


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
        "latency_p50": (0.020, "s"),
        "latency_p95": (0.030, "s"),
        "mean.score": (3.0, None),  # strings and booleans are not averaged
    }
    assert list(aggregates.take()) == [minute // 60 + 1]
    assert aggregates.take() == {}
