from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal

import pytest

from nbtools import record
from nbtools.metrics.errors import InvalidMetricError
from nbtools.metrics.record import MetricRefusedWarning
from nbtools.metrics.values import normalize_value, validate_name, value_kind


@pytest.mark.parametrize("name", ["accuracy", "_x", "val.accuracy", "f1_macro", "a" * 100])
def test_identifier_like_names_are_accepted(name: str) -> None:
    assert validate_name(name) == name


@pytest.mark.parametrize("name", ["", "1st", "has space", "a-b", "a.", ".a", "a" * 101, "é\n"])
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
