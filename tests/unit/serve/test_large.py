"""A large body, validated in a worker thread with each container item counted, is answered
as pydantic answers it whole: the same problems in the same places, in the same order; past
the first 100 only counted."""

from __future__ import annotations

import dataclasses
import json
from typing import Any, Literal

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError

from nbtools.serve.large import LargeBody, TrimmedValidationError, counted
from nbtools.serve.signature import call_arguments, request_model


@dataclasses.dataclass
class Tree:
    x: float
    kids: list[Tree] | None = None


class Model(BaseModel):
    a: int
    tags: list[str] = []


def served(
    x: float,
    either: list[int] | list[str] | None = None,
    trees: list[Tree] | None = None,
    model: Model | None = None,
    pairs: dict[str, tuple[int, float]] | None = None,
    picks: list[Literal[1, 2]] | None = None,
) -> None:
    """Every kind of place a problem can stand in."""


BODIES = [
    {"x": 1, "either": [1, "a", 2]},  # a union's members named in the place: list[int]
    {"x": "1", "trees": [{"x": 1, "kids": [{"x": "2"}]}]},
    {"x": 1, "model": {"a": "1", "tags": [1, 2]}},
    {"x": 1, "pairs": {"k": [1, "2"], "j": ["1", 2.5, 3]}},
    {"x": 1, "picks": [1, 3, True]},
    {"y": 1},
    {"x": 1, "trees": [{"x": "1"}] * 150},  # past 100: counted
    {"x": 1, "either": [1] * 50 + ["a"] * 60},
]


@pytest.mark.parametrize("batch", [False, True])
@pytest.mark.parametrize("body", BODIES)
def test_a_large_body_s_problems_are_pydantic_s_first_ones_and_the_count_of_the_rest(
    body: dict[str, Any], batch: bool
) -> None:
    exact = request_model("served", served)
    large = LargeBody(request_model("served", served, counted, exact), batch=batch)
    value = [body, body] if batch else body
    with pytest.raises(ValidationError) as whole:
        TypeAdapter(list[exact] if batch else exact).validate_python(value)  # type: ignore[valid-type]
    with pytest.raises(TrimmedValidationError) as read:
        large.read(json.dumps(value).encode())
    expected = [(("body", *e["loc"]), e["msg"]) for e in whole.value.errors()]
    listed = [(e["loc"], e["msg"]) for e in read.value.errors()]
    assert listed == expected[: len(listed)]
    assert len(listed) >= min(len(expected), 100)
    assert len(listed) + read.value.unlisted == len(expected)


def test_a_large_valid_body_gives_the_function_what_a_small_one_does() -> None:
    body = {"x": 2, "either": ["a"], "trees": [{"x": 1, "kids": [{"x": 3}]}], "model": {"a": 1}}
    exact = request_model("served", served)
    large = LargeBody(request_model("served", served, counted, exact), batch=False)
    read = large.read(json.dumps(body).encode())
    assert isinstance(read, exact)  # FastAPI takes it as it is
    assert call_arguments(read) == call_arguments(exact.model_validate(body))
    assert call_arguments(read)["trees"] == [Tree(x=1.0, kids=[Tree(x=3.0)])]
