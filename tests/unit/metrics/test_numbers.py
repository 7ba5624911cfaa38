"""Numbers as alert messages write them (nbtools.metrics.numbers): rounded, never across the
number they are set against."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from nbtools.metrics.numbers import shown


@pytest.mark.parametrize(
    "written",
    ["0", "0.1", "0.3", "-2.5", "123.456", "1234567890.12345", "0.0001", "1e-05", "1.5e-07",
     "5e-324", "1000000000000000", "1e+16", "1.7e+308", "-1.5e+300"],
)  # fmt: skip
def test_a_number_of_up_to_15_digits_reads_as_python_writes_it(written: str) -> None:
    """As ``repr`` writes the float (scientific notation below 1e-4 and from 1e16)."""
    assert shown(Fraction(written), Fraction(written) + 1) == written


@pytest.mark.parametrize(
    ("number", "decimals", "text"),
    [(Fraction(1, 3), None, "0.333333333333333"), (Fraction(2, 3), 2, "0.67"),
     (Fraction("8.602"), 2, "8.6"), (Fraction(1, 200), 2, "0"), (Fraction(-1, 3), 2, "-0.33"),
     (Fraction(10**21 + 1), None, "1e+21"), (Fraction(123), None, "123"),
     (Fraction("-1.7976931348623157e+308"), None, "-1.79769313486232e+308"),
     (Fraction("0.30000000000000004"), None, "0.3")],
)  # fmt: skip
def test_a_number_far_from_the_other_is_rounded(
    number: Fraction, decimals: int | None, text: str
) -> None:
    """To 15 significant digits (no float noise), or to the decimals asked for."""
    assert shown(number, number + 1, decimals=decimals) == text


@pytest.mark.parametrize(
    ("number", "against", "decimals", "text"),
    [(Fraction("5.004"), Fraction(5), 2, "5.004"),
     (Fraction("4.996"), Fraction(5), 2, "4.996"),
     (Fraction(5), Fraction(5), 2, "5"),
     (Fraction(1, 200), Fraction(0), 2, "0.005"),
     (Fraction("5.123"), Fraction("5.1234"), 2, "5.12"),  # below it, as 5.123 is
     (Fraction("5.1235"), Fraction("5.1234"), 2, "5.124"),  # 5.12 would read as below it
     (Fraction("0.30000000000000004"), Fraction("0.3"), None, "0.30000000000000004"),
     (Fraction("0.3"), Fraction("0.30000000000000004"), None, "0.3"),
     (Fraction("-5.000000000000001"), Fraction(-5), None, "-5.000000000000001"),
     (Fraction(10**20 + 2, 10**20 + 1) * 100, Fraction(100), 2, "100.000000000000000001")],
)  # fmt: skip
def test_against_another_number_it_takes_the_digits_to_compare_as_it_does(
    number: Fraction, against: Fraction, decimals: int | None, text: str
) -> None:
    assert shown(number, against, decimals=decimals) == text


NEAR = [0, 5e-324, 1e-300, 1e-5, 0.3, 1, 5, 100, 1e15, 1e16, 1e300, 1.7976931348623155e308]


@pytest.mark.parametrize("decimals", [None, 0, 2])
@pytest.mark.parametrize("sign", [1, -1])
@pytest.mark.parametrize("threshold", NEAR)
def test_a_number_next_to_another_never_reads_as_equal_to_it_or_across_it(
    threshold: float, sign: int, decimals: int | None
) -> None:
    """The floats just below and just above a threshold, at every scale and of either sign:
    what is shown stands on the same side of the threshold as the number."""
    bound = Fraction(repr(sign * threshold))
    for step in (-math.inf, math.inf):
        number = Fraction(repr(math.nextafter(sign * threshold, step)))
        text = shown(number, bound, decimals=decimals)
        assert (Fraction(text) > bound) == (number > bound), text
        assert Fraction(text) != bound, text
    assert Fraction(shown(bound, bound, decimals=decimals)) == bound
