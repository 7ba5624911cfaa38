from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from typing import Any

import pytest

from nbtools import record
from nbtools.limits import DEFAULT_MAX_VALUE_BYTES
from nbtools.metrics.errors import InvalidMetricError
from nbtools.metrics.record import MetricRefusedWarning
from nbtools.metrics.values import (
    max_value_bytes,
    normalize_value,
    validate_name,
    value_kind,
)


@pytest.mark.parametrize("name", ["accuracy", "_x", "val.accuracy", "f1_macro", "a" * 100])
def test_identifier_like_names_are_accepted(name: str) -> None:
    assert validate_name(name) == name


@pytest.mark.parametrize(
    "name",
    ["", "1st", "has space", "a-b", "a.", ".a", "a..b", "a" * 101, "é\n", "é", "\u0663x", "x\u200b",
     "x\n", "\ud800", "a.\udc80"],
)  # fmt: skip
def test_bad_names_are_refused_with_a_clear_message(name: str) -> None:
    with pytest.raises(InvalidMetricError, match="Invalid metric name") as info:
        record(name, 1)
    assert "letters, digits and underscores" in info.value.message


def test_non_string_name_is_refused() -> None:
    with pytest.raises(InvalidMetricError, match="must be a string, not int"):
        record(3, 1)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "kind"),
    [(0.93, "number"), (3, "number"), (True, "boolean"), ("ok", "string"), (None, "null"),
     ({"a": [1, 2.5, "x"]}, "json")],
)  # fmt: skip
def test_json_values_are_kept_as_they_are(value: object, kind: str) -> None:
    assert normalize_value("m", value) == value
    assert value_kind(normalize_value("m", value)) == kind


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (float("nan"), "JSON cannot hold"),
        (float("inf"), "JSON cannot hold"),
        (Decimal("1.5"), "a Decimal is not a number"),
        ({1: "a"}, "keys of 'm' must be strings"),
        (object(), "Convert it first"),
    ],
)
def test_values_that_are_not_json_data_are_refused(value: object, message: str) -> None:
    with pytest.raises(InvalidMetricError, match=message):
        record("m", value)


def test_unit_must_be_short_text() -> None:
    with pytest.raises(InvalidMetricError, match="unit"):
        record("m", 1, unit="x" * 40)


@pytest.mark.parametrize("unit", ["a\nb", "s\r", "\tms", "m\x00", "\ud800", "\x1b[31m"])
def test_a_unit_with_a_break_a_control_character_or_a_lone_surrogate_is_refused(
    unit: str,
) -> None:
    with pytest.raises(InvalidMetricError, match="printable characters"):
        record("m", 1, unit=unit)


def test_a_unit_may_hold_any_printable_text(capsys: pytest.CaptureFixture[str]) -> None:
    record("latency", 3, unit="µs per req")
    assert capsys.readouterr().out == "latency = 3 µs per req\n"


@pytest.mark.parametrize(
    "value",
    [10**400, -(10**400), 10**5000, [1, 10**5000], {"n": -(10**4301)}, 2**1024],
    ids=["1e400", "-1e400", "5001-digits", "in-a-list", "in-a-dict", "2**1024"],
)
def test_an_integer_beyond_a_float_s_range_is_refused_anywhere_in_the_value(
    value: object,
) -> None:
    """More than 4300 digits made json.dumps raise a plain ValueError; fewer were stored and
    failed where the number is read as a float (rules, charts)."""
    with pytest.raises(InvalidMetricError, match="an integer beyond a float's range") as info:
        record("m", value)
    assert info.value.details == {"name": "m"}


def test_the_largest_numbers_a_float_holds_are_recorded(capsys: pytest.CaptureFixture[str]) -> None:
    record("top", int(sys.float_info.max))
    record("edge", sys.float_info.max)
    record("low", -sys.float_info.max)
    assert capsys.readouterr().out.splitlines() == [
        f"top = {int(sys.float_info.max)}",
        "edge = 1.7976931348623157e+308",
        "low = -1.7976931348623157e+308",
    ]


@pytest.mark.parametrize(
    "value", ["\ud800", "ok \udfff", ["a", "\udc80"], {"k": "\ud83d"}, {"\ud800": 1}]
)
def test_text_holding_a_lone_surrogate_is_refused(value: object) -> None:
    """JSON can hold one (a request's "\\ud800"), UTF-8 cannot: a plain UnicodeEncodeError."""
    with pytest.raises(InvalidMetricError, match="lone surrogate '\\\\ud") as info:
        record("m", value)
    assert info.value.details == {"name": "m"}


def test_booleans_stay_booleans_and_text_keeps_its_characters() -> None:
    assert normalize_value("m", True) is True
    assert normalize_value("m", [False, "😀 é"]) == [False, "😀 é"]
    assert value_kind(normalize_value("m", False)) == "boolean"


def test_numpy_scalars_become_python_values() -> None:
    np = pytest.importorskip("numpy")
    cases = [
        (np.int64(3), 3, int),
        (np.uint64(2**64 - 1), 2**64 - 1, int),
        (np.float32(0.5), 0.5, float),
        (np.float64(0.25), 0.25, float),
        (np.longdouble(1.5), 1.5, float),  # its item() is itself: it recursed without end
        (np.bool_(True), True, bool),
        (np.array(7), 7, int),
        (np.str_("ok"), "ok", str),
    ]
    for value, expected, kind in cases:
        plain = normalize_value("m", value)
        assert (plain, type(plain)) == (expected, kind)
    assert normalize_value("m", {"a": [np.int64(1), np.array(2.5)]}) == {"a": [1, 2.5]}


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda np: np.longdouble("1e600"), "is inf, which JSON cannot hold"),
        (lambda np: np.float32("nan"), "is nan, which JSON cannot hold"),
        (lambda np: np.clongdouble(1 + 2j), "a clongdouble is not a number"),
        (lambda np: np.complex128(1j), "a complex is not a number"),
        (lambda np: np.datetime64("2020-01-02"), "a date is not a number"),
        (lambda np: np.array([1, 2]), "a ndarray is not a number"),
        (lambda np: np.array(10**400, dtype=object), "an integer beyond a float's range"),
    ],
)
def test_numpy_values_that_are_not_json_numbers_are_refused(make: Any, message: str) -> None:
    np = pytest.importorskip("numpy")
    with pytest.raises(InvalidMetricError, match=message):
        record("m", make(np))


@pytest.mark.parametrize("limit", ["", "²", "٣", "-5", "0", "000", " 7", "1e3"])
def test_a_size_limit_that_is_no_whole_number_leaves_the_default(
    limit: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NBTOOLS_METRIC_MAX_BYTES", limit)
    assert max_value_bytes() == DEFAULT_MAX_VALUE_BYTES


@pytest.mark.parametrize(("limit", "read"), [("7", 7), ("0100", 100), ("9" * 20, 2**63 - 1),
                                             ("9" * 5000, 2**63 - 1)])  # fmt: skip
def test_a_size_limit_is_read_whole_a_huge_one_as_no_limit(
    limit: str, read: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Digits Python's int() reads ("²") raised ValueError, and so did 5000 digits."""
    monkeypatch.setenv("NBTOOLS_METRIC_MAX_BYTES", limit)
    assert max_value_bytes() == read


def test_outside_ipython_the_value_is_printed(capsys: pytest.CaptureFixture[str]) -> None:
    record("latency", 12.5, unit="ms")
    record("ok", True)
    assert capsys.readouterr().out.splitlines() == ["latency = 12.5 ms", "ok = true"]


def test_a_huge_value_is_refused_with_a_warning_not_an_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NBTOOLS_METRIC_MAX_BYTES", "100")
    with pytest.warns(
        MetricRefusedWarning, match=r"'big' was not recorded: its value is 20\d bytes"
    ):
        record("big", "x" * 200)
    record("small", "x" * 50)
    assert capsys.readouterr().out == f"small = {json.dumps('x' * 50)}\n"


def test_importing_nbtools_stays_light() -> None:
    code = (
        "import sys, nbtools; heavy = [m for m in ('IPython', 'sqlalchemy', 'nbformat', "
        "'traitlets', 'click') if m in sys.modules]; print(heavy)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "[]", result.stderr
