"""A served function's signature as its request model."""

from __future__ import annotations

from typing import Literal

import pytest
from pydantic import ValidationError

from nbtools.errors import InvalidInputError
from nbtools.serve.signature import request_model


class Opaque:
    """A type pydantic cannot build from JSON."""


def score(
    x: float, mode: Literal["a", "b"] = "a", tags: list[str] | None = None, *, n: int = 1
) -> float:
    return x


def test_the_model_has_each_parameter_with_its_type_and_default() -> None:
    model = request_model("score_one", score)
    assert model.__name__ == "ScoreOneRequest"
    assert dict(model(x="1.5")) == {"x": 1.5, "mode": "a", "tags": None, "n": 1}
    with pytest.raises(ValidationError) as raised:
        model(x="no", mode="c", extra=1)
    assert {e["loc"][0] for e in raised.value.errors()} == {"x", "mode", "extra"}
    with pytest.raises(ValidationError):
        model()


def test_unannotated_parameters_accept_any_json() -> None:
    def loose(value, other=2):  # type: ignore[no-untyped-def]
        return value

    assert dict(request_model("loose", loose)(value=[1, "a"])) == {"value": [1, "a"], "other": 2}


def test_what_json_cannot_carry_is_refused_with_the_reason() -> None:
    def star(*values: int) -> int:
        return 0

    def positional(x: int, /) -> int:
        return x

    def undefined(x: Missing) -> int:  # type: ignore[name-defined]  # noqa: F821
        return 0

    def opaque(x: Opaque) -> int:
        return 0

    with pytest.raises(InvalidInputError, match=r"parameter \*values cannot come from a JSON"):
        request_model("star", star)
    with pytest.raises(InvalidInputError, match="parameter x cannot come from a JSON"):
        request_model("positional", positional)
    with pytest.raises(InvalidInputError, match="annotations cannot be resolved"):
        request_model("undefined", undefined)
    with pytest.raises(InvalidInputError, match="type cannot be read from JSON"):
        request_model("opaque", opaque)
