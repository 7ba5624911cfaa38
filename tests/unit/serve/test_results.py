"""A large result written in pieces (:func:`large_result_json`) is the text, and the error,
:func:`result_json` writes whole; which results are large."""

from __future__ import annotations

import dataclasses
import datetime
import math
from typing import Any

import numpy as np
import pytest

from nbtools.serve.results import (
    PIECE_BYTES,
    InvalidResultError,
    is_large,
    large_result_json,
    result_json,
)

ROWS = [{"id": i, "score": i / 7, "name": f"n{i}\u00e9\n"} for i in range(20_000)]


@dataclasses.dataclass
class Table:
    name: str
    rows: list[dict[str, Any]]


@pytest.mark.parametrize(
    "value",
    [
        ROWS,
        {"rows": ROWS, "count": len(ROWS), 3: "an int key", True: None},
        ("a tuple", ROWS, [ROWS[:10]] * 300),
        'x\u00e9"\\\n\ud800' * PIECE_BYTES,  # a long text, a lone surrogate in it
        [[[ROWS]]],
        np.arange(200_000, dtype=np.float64).reshape(400, 500) / 3,
        {"when": [datetime.date(2026, 1, 2)] * 30_000, "set": set(range(30_000))},
        Table("t", ROWS),
        [np.int64(3)] * 100_000,
    ],
    ids=["rows", "dict", "tuple", "text", "nested", "array", "dates", "dataclass", "scalars"],
)
def test_a_large_result_in_pieces_is_the_text_written_whole(value: Any) -> None:
    assert is_large(value)
    parts = large_result_json(value)
    assert b"".join(parts) == result_json(value)
    assert len(parts) > 1


@pytest.mark.parametrize(
    "value",
    [
        [*ROWS, {"score": math.nan}],
        {"rows": ROWS, "at": [1.0, math.inf]},
        [*ROWS, object()],
        {"rows": ROWS, ("a", "tuple"): 1},
    ],
    ids=["nan", "infinity", "no-form", "tuple-key"],
)
def test_a_large_result_json_cannot_carry_is_the_error_written_whole(value: Any) -> None:
    with pytest.raises(InvalidResultError) as whole:
        result_json(value)
    with pytest.raises(InvalidResultError) as pieces:
        large_result_json(value)
    assert (pieces.value.message, pieces.value.details) == (
        whole.value.message,
        whole.value.details,
    )


def test_a_result_holding_itself_is_a_circular_reference_in_pieces_too() -> None:
    looped: list[Any] = list(ROWS)
    looped.append(looped)
    with pytest.raises(InvalidResultError, match="Circular reference detected"):
        result_json(looped)
    with pytest.raises(InvalidResultError, match="Circular reference detected"):
        large_result_json(looped)


@pytest.mark.parametrize(
    ("value", "large"),
    [
        (3, False),
        ({"score": 0.5, "label": "churn"}, False),
        (list(range(1000)), False),
        (list(range(100_000)), True),
        ("x" * 100_000, True),
        ({"rows": ROWS}, True),
        (np.zeros(10), False),
        (np.zeros(100_000), True),
    ],
)
def test_only_a_result_of_more_than_64_kib_is_large(value: Any, large: bool) -> None:
    assert is_large(value) is large
