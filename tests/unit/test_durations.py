"""The doubling wait between retries (scheduler ticks, run retries, notifications)."""

from __future__ import annotations

import pytest

from nbtools.durations import age_days, doubling_wait
from nbtools.errors import InvalidInputError


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


@pytest.mark.parametrize("value", ["1234567d", "9999999y", "00000001w"])
def test_an_age_of_more_than_six_digits_is_refused_as_too_long(value: str) -> None:
    """It was "is not valid: a number of days, weeks or years such as 30d", which it is;
    ``audit list --since`` already said "too long" for its own ages."""
    with pytest.raises(InvalidInputError) as refused:
        age_days(value, "retention")
    assert refused.value.message == (
        f"Retention {value!r} is too long: give at most 6 digits, from 1 (999999y is longer "
        "than any data is kept)."
    )
    assert refused.value.details == {"field": "retention"}


def test_an_age_of_up_to_six_digits_is_read() -> None:
    assert [age_days(value, "keep_runs") for value in ("1d", "2w", "1y", "999999d")] == [
        1,
        14,
        365,
        999999,
    ]
