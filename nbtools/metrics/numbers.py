"""How rules and alert messages write numbers.

A rule's own numbers read as written (:func:`format_number`). A number an alert reports — the
run's value, the median, the change — is rounded (:func:`shown`), but never so far that it
reads as equal to the number it is compared with, or as on its other side: a drop of 5.004%
under a rule ``drops > 5%`` reads ``5.004%``, never ``5%``.
"""

from __future__ import annotations

from fractions import Fraction

#: Significant digits a value shows unless more are needed: a float's own precision, so the
#: noise of float arithmetic does not show (0.1 + 0.2, 0.30000000000000004, reads 0.3).
VALUE_DIGITS = 15
#: Decimals a change shows unless more are needed (``dropped 8.6%``).
CHANGE_DECIMALS = 2


def format_number(value: float) -> str:
    """``5`` for whole numbers below 1e16, the shortest exact form otherwise (``0.9``,
    ``1e+16``): as :func:`shown` writes them, with no trailing ``.0``."""
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e16 else repr(value)


def shown(number: Fraction, against: Fraction, *, decimals: int | None = None) -> str:
    """``number`` rounded to ``decimals`` places (by default to :data:`VALUE_DIGITS`
    significant digits), with as many more places as it takes to compare with ``against``
    as ``number`` itself does: above it, equal to it or below it."""
    if decimals is None:
        decimals = VALUE_DIGITS - 1 - _exponent(number) if number else 0
    side = _compare(number, against)
    while True:
        rounded = round(number, decimals)
        if _compare(rounded, against) == side:
            return _written(rounded, decimals)
        decimals += 1


def _compare(number: Fraction, other: Fraction) -> int:
    return (number > other) - (number < other)


def _exponent(number: Fraction) -> int:
    """The power of ten of the leading digit of ``number`` (not 0): 2 for 123, -2 for 0.05."""
    size = abs(number)
    guess = len(str(size.numerator)) - len(str(size.denominator))  # the power, or one more
    return guess if size >= Fraction(10) ** guess else guess - 1


def _written(number: Fraction, decimals: int) -> str:
    """``number``, which has at most ``decimals`` places, as Python writes a float: without
    trailing zeros, in scientific notation below 1e-4 and from 1e16 (``1.7e+308``, ``1e-05``)."""
    mantissa = int(number * Fraction(10) ** decimals)  # exact: it has no more places
    if mantissa == 0:
        return "0"
    sign = "-" if mantissa < 0 else ""
    digits = str(abs(mantissa)).rstrip("0")
    exponent = len(str(abs(mantissa))) - len(digits) - decimals  # digits * 10**exponent
    leading = len(digits) - 1 + exponent
    if not -4 <= leading < 16:
        fraction = f".{digits[1:]}" if len(digits) > 1 else ""
        return f"{sign}{digits[0]}{fraction}e{leading:+03d}"
    if exponent >= 0:
        return sign + digits + "0" * exponent
    padded = digits.rjust(1 - exponent, "0")
    return f"{sign}{padded[:exponent]}.{padded[exponent:]}"
