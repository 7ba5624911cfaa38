"""A served function's body read by the service's rules (:mod:`nbtools.serve.body`); over
real HTTP in tests/integration/serve/test_json_bodies.py."""

from __future__ import annotations

import pytest
from fastapi.exceptions import RequestValidationError

from nbtools.serve.body import read_json

NOT_FINITE = "is not a finite number: JSON has no NaN or infinity."


def test_numbers_json_cannot_carry_are_422_naming_each_field() -> None:
    with pytest.raises(RequestValidationError) as info:
        read_json(b'{"x": 1e999, "rows": [1, -1E+400], "y": NaN, "z": 2.5}')
    assert [(problem["loc"], problem["msg"]) for problem in info.value.errors()] == [
        (("body", "x"), f"1e999 {NOT_FINITE}"),
        (("body", "rows", 1), f"-1E+400 {NOT_FINITE}"),
        (("body", "y"), f"NaN {NOT_FINITE}"),
    ]
    assert read_json(b'{"x": 1e308, "y": -2.5e-300}') == {"x": 1e308, "y": -2.5e-300}


def test_one_a_repeated_key_replaced_is_refused_at_the_body() -> None:
    """It was refused with no problem at all: a 422 naming no field."""
    with pytest.raises(RequestValidationError) as info:
        read_json(b'{"x": 1e999, "x": 1}')
    assert [(problem["loc"], problem["msg"]) for problem in info.value.errors()] == [
        (("body",), f"1e999 {NOT_FINITE}")
    ]
