"""A served function's signature as its request model."""

from __future__ import annotations

import dataclasses
import warnings
from datetime import date
from typing import Annotated, Any, ClassVar, Literal

import pytest
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from nbtools.errors import InvalidInputError
from nbtools.serve.signature import call_arguments, json_strict, request_model


class Opaque:
    """A type pydantic cannot build from JSON."""


def score(
    x: float, mode: Literal["a", "b"] = "a", tags: list[str] | None = None, *, n: int = 1
) -> float:
    return x


def test_the_model_has_each_parameter_with_its_type_and_default() -> None:
    model = request_model("score_one", score)
    assert model.__name__ == "ScoreOneRequest"
    assert call_arguments(model(x=1.5)) == {"x": 1.5, "mode": "a", "tags": None, "n": 1}
    with pytest.raises(ValidationError) as raised:
        model(x="1.5", mode="c", extra=1)
    assert {e["loc"][0] for e in raised.value.errors()} == {"x", "mode", "extra"}
    with pytest.raises(ValidationError):
        model()


def test_unannotated_parameters_accept_any_json() -> None:
    def loose(value, other=2):  # type: ignore[no-untyped-def]
        return value

    body = request_model("loose", loose)(value=[1, "a"])
    assert call_arguments(body) == {"value": [1, "a"], "other": 2}


def test_any_parameter_name_is_a_field_of_the_body_under_that_name() -> None:
    """Names pydantic keeps for itself (a leading underscore, its model_ methods, a dict's
    keys) are fields like any other: in the body, the schema and the errors, under the
    parameter's own name; the model's inner field names are not accepted for them."""
    names = ["_x", "__y", "model_config", "model_dump", "model_fields", "keys", "copy", "json"]
    namespace: dict[str, Any] = {}
    exec(f"def odd({', '.join(f'{n}: int = 0' for n in names)}) -> int:\n    return 0", namespace)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "shadows an attribute" warning either
        model = request_model("odd", namespace["odd"])
    body = model.model_validate({name: index for index, name in enumerate(names)})
    assert call_arguments(body) == {name: index for index, name in enumerate(names)}
    assert list(model.model_json_schema()["properties"]) == names
    with pytest.raises(ValidationError) as raised:
        model.model_validate({"_x": "one", "p1": 2})
    assert {e["loc"][0] for e in raised.value.errors()} == {"_x", "p1"}


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


class Point(BaseModel):
    """A type of the function's own: read as pydantic reads it."""

    x: float


@pytest.mark.parametrize(
    ("annotation", "taken", "refused"),
    [
        (float, [3, -0.5, 10**300], [True, "3", None, 10**400]),
        (int, [3, -(10**40)], [True, 3.0, 2.5, "3"]),
        (bool, [True, False], [1, 0, "true", None]),
        (str, ["3", ""], [3, False, None]),
        (float | None, [None, 1], [False]),
        (list[float], [[1, 2.5]], [[1, True], ["1"]]),
        (dict[str, list[int]], [{"a": [1]}], [{"a": [1.0]}, {"a": [False]}]),
        (tuple[int, ...], [[1, 2]], [[1, "2"]]),
        (Annotated[int, Field(ge=0)], [0], [-1, True, "1"]),
        (Literal[1, 2], [1, 2], [True, "1", 2.0, 1e0]),  # as an int: no 2.0, no 1e0
        (Literal[1.5, 2], [1.5, 2], [2.0]),
        (Literal[2.0, "a"], [2, 2.0, "a"], [True, "2"]),  # as a float: an integer too
        (Literal[True, "yes"], [True, "yes"], [1]),
        (Literal[0, "a"], [0, "a"], [False]),
        (Literal["a", "b"], ["a"], ["c"]),
    ],
)
def test_json_s_own_types_take_only_values_of_that_type_at_any_depth(
    annotation: Any, taken: list[Any], refused: list[Any]
) -> None:
    strict = TypeAdapter(json_strict(annotation))
    for value in taken:
        strict.validate_python(value)
    for value in refused:
        with pytest.raises(ValidationError):
            strict.validate_python(value)
    assert strict.json_schema() == TypeAdapter(annotation).json_schema()


def test_other_types_are_read_as_pydantic_reads_them() -> None:
    """A date from its text, a tuple from a list: JSON has no other way to send them."""
    assert TypeAdapter(json_strict(date)).validate_python("2024-02-29") == date(2024, 2, 29)
    assert TypeAdapter(json_strict(tuple[int, float])).validate_python([1, 2]) == (1, 2.0)
    model = TypeAdapter(json_strict(Point))
    assert model.validate_python({"x": 1}) == Point(x=1)
    assert model.json_schema() == TypeAdapter(Point).json_schema()
    with pytest.raises(ValidationError) as refused:  # as pydantic refuses it for a dataclass
        model.validate_python({"x": 1, "\ud800": 2})
    assert refused.value.errors()[0]["type"] == "string_unicode"
    assert json_strict(Any) is Any


@dataclasses.dataclass
class Scaled:
    """A dataclass with an argument that is no field, and one holding itself."""

    x: float
    scale: dataclasses.InitVar[float] = 1.0
    inner: Scaled | None = None
    made: ClassVar[list[float]] = []

    def __post_init__(self, scale: float) -> None:
        self.x *= scale
        Scaled.made.append(self.x)


def test_a_dataclass_is_read_strictly_and_made_once_as_itself() -> None:
    reader = TypeAdapter(json_strict(Scaled))
    Scaled.made.clear()
    read = reader.validate_python({"x": 2, "scale": 3})
    assert type(read) is Scaled
    assert (read.x, Scaled.made) == (6.0, [6.0])  # its __post_init__ ran once
    for refused in ({"x": "2"}, {"x": 2, "scale": True}):
        with pytest.raises(ValidationError):
            reader.validate_python(refused)
    # where it holds itself, the inner ones are read as strictly (they took "2" for a float)
    inner = reader.validate_python({"x": 1, "inner": {"x": 2, "inner": {"x": 3}}}).inner
    assert (type(inner), inner) == (Scaled, Scaled(x=2.0, inner=Scaled(x=3.0)))
    for refused in ({"inner": {"x": "2"}}, {"inner": {"x": 2, "inner": {"x": True}}}):
        with pytest.raises(ValidationError) as read:
            reader.validate_python({"x": 1, **refused})
        assert read.value.errors()[0]["type"] == "float_type"
    assert reader.json_schema()["$defs"]["Scaled"]["properties"]["x"] == {
        "title": "X",
        "type": "number",
    }
