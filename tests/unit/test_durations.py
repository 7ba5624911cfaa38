"""The doubling wait between retries (scheduler ticks, run retries, notifications)."""

from __future__ import annotations

import pytest

from nbtools.durations import doubling_wait


@pytest.mark.parametrize(
    ("first", "attempt", "longest", "expected"),
    [
        (30.0, 1, 3600.0, 30.0),  # the first retry waits the first wait
        (30.0, 2, 3600.0, 60.0),
        (30.0, 7, 3600.0, 1920.0),
        (30.0, 8, 3600.0, 3600.0),  # 3840 s is past the longest
        (30.0, 1025, 3600.0, 3600.0),  # 2 ** 1024 is past the largest float
        (1e300, 5000, 3600.0, 3600.0),  # the product is inf, which the longest caps
        (0.0, 5000, 3600.0, 0.0),  # no wait doubles to none
        (7200.0, 1, 3600.0, 3600.0),  # a first wait past the longest is the longest
    ],
)
def test_the_wait_doubles_per_attempt_up_to_the_longest_and_never_overflows(
    first: float, attempt: int, longest: float, expected: float
) -> None:
    assert doubling_wait(first, attempt, longest) == expected
