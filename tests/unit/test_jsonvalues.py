"""The one serialiser of wire models: REST replies and ``--json`` write the same JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import pytest

from nbtools.jsonvalues import WireModel, dumps, dumps_text, json_default


@dataclass(frozen=True)
class Inner(WireModel):
    done: int


@dataclass(frozen=True)
class Outer(WireModel):
    id: int
    at: datetime
    inner: Inner | None
    extra: dict[str, Any] = field(default_factory=dict)


def test_a_model_is_one_object_with_extra_merged_and_nested_models_as_objects() -> None:
    at = datetime(2026, 3, 29, 1, 30, tzinfo=timezone.utc)
    model = Outer(1, at, Inner(2), extra={"lineage": {"summary": "s"}})
    wire = {"id": 1, "at": at, "inner": {"done": 2}, "lineage": {"summary": "s"}}
    assert model.to_wire() == wire
    assert json.loads(json.dumps([model], default=json_default)) == [
        {**wire, "at": "2026-03-29T01:30:00+00:00"}
    ]


def test_no_extra_and_no_nested_model() -> None:
    at = datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert Outer(3, at, None).to_wire() == {"id": 3, "at": at, "inner": None}


class Float64(float):
    """A float subclass (as numpy's float64 is): a number, not its text."""


@dataclass(frozen=True)
class Plain:
    """A dataclass that is no wire model: written as its text, by either encoder."""

    n: int


def test_the_rest_encoder_writes_what_json_dumps_writes() -> None:
    aware = datetime(2026, 3, 29, 1, 30, 5, 120, tzinfo=timezone.utc)
    value = {
        "model": Outer(1, aware, Inner(2), extra={"lineage": None}),
        "times": [aware, aware.replace(microsecond=0), datetime(2026, 1, 2), aware.date()],
        "keys": {1: "one", "é": ["ü", 1.5, True, None]},
        "plain": Plain(3),
        "set": {"x"},
        "float subclass": Float64(1.5),
        "past 64 bits": 2**70,
    }
    assert json.loads(dumps(value)) == json.loads(json.dumps(value, default=json_default))


def test_the_rest_encoder_writes_numbers_as_numbers() -> None:
    assert dumps([Float64(0.5), 2**70]) == b"[0.5,1180591620717411303424]"


def test_the_rest_encoder_writes_utf8() -> None:
    assert dumps({"name": "café"}) == '{"name":"café"}'.encode()


def test_no_encoder_ever_writes_nan_or_an_infinity(capsys: pytest.CaptureFixture[str]) -> None:
    """JSON has no NaN: strict parsers refuse the ``NaN`` token ``json.dumps`` writes by
    default. orjson writes null, and so do the fallback for integers past 64 bits (which
    raised ValueError) and the text every other writer uses: ``--json`` (which raised too),
    webhooks and e-mails (which wrote ``NaN`` and ``Infinity``)."""
    from nbtools.cli.output import print_json

    assert dumps({"x": float("nan")}) == b'{"x":null}'
    cases = [
        ({"past 64 bits": 2**70, "x": float("nan")}, {"past 64 bits": 2**70, "x": None}),
        ([2**70, {"y": (float("inf"), -float("inf"))}], [2**70, {"y": [None, None]}]),
        (Outer(1, datetime(2026, 1, 1), None, extra={"change": Float64("nan")}),
         {"id": 1, "at": "2026-01-01T00:00:00", "inner": None, "change": None}),
    ]  # fmt: skip
    for value, written in cases:
        assert json.loads(dumps(value)) == written
        assert json.loads(dumps_text(value)) == written
        assert json.loads(dumps_text(value, indent=2)) == written
        print_json(value)
        assert json.loads(capsys.readouterr().out) == written
        for text in (dumps(value).decode(), dumps_text(value)):
            assert "NaN" not in text
            assert "Infinity" not in text
    assert dumps_text({"x": 1.5}, separators=(",", ":")) == '{"x":1.5}'
