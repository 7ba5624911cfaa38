"""A large result written in pieces (:func:`large_result_json`) is the text, and the error,
:func:`result_json` writes whole; which results are large."""

from __future__ import annotations

import dataclasses
import datetime
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

from nbtools.serve.results import (
    PIECE_BYTES,
    InvalidResultError,
    ResultTooLargeError,
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
        np.append(np.arange(200_000, dtype=np.float64), np.nan),
        [*ROWS, {"at": np.datetime64("NaT")}],
        {"rows": ROWS, "raw": b"\xff"},
    ],
    ids=["nan", "infinity", "no-form", "tuple-key", "nan-array", "nat", "bytes"],
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


#: Shapes whose large value stands where a sample of 8 items per container did not look: a
#: dict's 21st key, a list's last item; and one inside a run of rows written together.
HIDDEN = {
    "dict": {**{f"k{i}": i for i in range(20)}, "big": list(range(100_000))},
    "list": [*range(20), ["x" * 10] * 20_000],
    "rows": [*ROWS[:50], {"id": 50, "big": ROWS}, *ROWS[:50]],
}


@pytest.mark.parametrize("value", HIDDEN.values(), ids=HIDDEN.keys())
def test_a_large_value_is_found_wherever_it_stands(value: Any) -> None:
    """A dict of 20 small keys and a list of 100,000 numbers last was estimated small (from
    its first 8 items) and written in one call on the event loop: /health waited for it."""
    assert is_large(value)
    parts = large_result_json(value)
    assert b"".join(parts) == result_json(value)
    # each part joins pieces until PIECE_BYTES: a piece of the whole value would pass it
    assert max(map(len, parts)) < 3 * PIECE_BYTES


@pytest.mark.parametrize(
    "value",
    [{"x": 1}, list(range(100_000)), ROWS, "x" * 10_000],
    ids=["small", "numbers", "rows", "text"],
)
def test_a_result_over_the_limit_is_refused_naming_it_and_one_at_it_is_written(
    value: Any,
) -> None:
    size = len(result_json(value))
    write = large_result_json if is_large(value) else result_json
    with pytest.raises(ResultTooLargeError) as over:
        write(value, size - 1)
    assert over.value.code == "result-too-large"
    assert over.value.details == {"limit": size - 1, "setting": "max_result_bytes"}
    assert f"over the limit of {size - 1} bytes of JSON" in over.value.message
    assert b"".join(large_result_json(value, size)) == result_json(value, size)
    assert b"".join(large_result_json(value, 0)) == result_json(value, 0)


def test_numpy_times_of_any_unit_are_iso_text_as_python_s_are() -> None:
    """A datetime64 in nanoseconds (pandas' unit) was written as an integer of them."""
    when = np.datetime64("2026-01-02T03:04:05.123456789")
    column = np.array(["2026-01-02", "2026-01-03"], dtype="datetime64[ns]")
    assert result_json({"at": when, "days": column, "d": np.datetime64("2026-01-02")}) == (
        b'{"at": "2026-01-02T03:04:05.123456", "days": ["2026-01-02T00:00:00", '
        b'"2026-01-03T00:00:00"], "d": "2026-01-02"}'
    )
    assert result_json(np.timedelta64(90_000_000_000, "ns")) == b'"PT1M30S"'
    large = np.arange(100_000).astype("datetime64[ns]")
    assert b"".join(large_result_json(large)) == result_json(large)
    assert result_json(large)[:30] == b'["1970-01-01T00:00:00", "1970-'


@pytest.mark.parametrize(
    ("value", "field", "said"),
    [
        ({"at": [np.datetime64("NaT")]}, "at.0", "a missing time (NaT) at at.0"),
        ({"at": np.array(["2026-01-02", "NaT"], dtype="datetime64[ns]")}, "at", "(NaT) at at"),
        ({"raw": b"\xff"}, "raw", "bytes at raw that are not UTF-8 text"),
    ],
    ids=["nat", "nat-array", "bytes"],
)
def test_a_value_json_cannot_carry_is_named_for_what_it_is(
    value: Any, field: str, said: str
) -> None:
    """A NaT was sent as null from numpy (a caller took it for an answer) and refused as an
    'object of type NaTType' from pandas; bytes not UTF-8 as 'an object of type bytes'."""
    with pytest.raises(InvalidResultError) as refused:
        result_json(value)
    assert refused.value.details["field"] == field
    assert said in refused.value.message


class Counted:
    """A value whose JSON form counts how often it was asked for."""

    def __init__(self) -> None:
        self.written = 0

    def tolist(self) -> list[int]:
        self.written += 1
        return [1]


def test_a_large_result_json_cannot_carry_is_told_without_writing_it_all_again() -> None:
    """Where a NaN stood was found by writing the whole result again, in one call of the
    encoder (the GIL held for as long, every other request waiting, and as much memory
    again); the piece holding it is enough."""
    first = Counted()
    value = [first, *ROWS, {"score": [1.0, math.nan]}]
    with pytest.raises(InvalidResultError) as refused:
        large_result_json(value)
    assert refused.value.details == {"field": f"{len(ROWS) + 1}.score.1"}
    assert first.written == 1


@pytest.mark.parametrize("write", [result_json, large_result_json])
@pytest.mark.parametrize(
    ("value", "field", "said"),
    [
        ({"n": [1, 10**5000]}, "n.1", "an integer of more than 4300 digits at n.1"),
        ([*ROWS, {"n": 10**5000}], "20000.n", "an integer of more than 4300 digits at 20000.n"),
        ({"x": [1, pd.NA]}, "x.1", "a missing value (pandas.NA) at x.1"),
    ],
    ids=["long-int", "long-int-in-rows", "pandas-na"],
)
def test_a_long_integer_or_pandas_na_is_named_with_its_place(
    write: Callable[[Any], Any], value: Any, field: str, said: str
) -> None:
    """An integer over Python's 4,300 digits gave its bare error ('Exceeds the limit ... for
    integer string conversion'), without a field; pandas.NA 'an object of type NAType'."""
    with pytest.raises(InvalidResultError) as refused:
        write(value)
    assert refused.value.details == {"field": field}
    assert said in refused.value.message
    assert "should return" in refused.value.message


class Listed:
    """An object JSON writes by its ``tolist()``: a large text."""

    def tolist(self) -> list[str]:
        return ["x" * 200_000]


@pytest.mark.parametrize(
    "value",
    [
        np.array(["x" * 200_000, 1], dtype=object),
        {"a": np.array([{"text": "x" * 200_000}], dtype=object)},
        np.array([[1, "x" * 200_000], [2, "y"]], dtype=object),
        Listed(),
    ],
    ids=["object-array", "dicts-in-array", "2d-object-array", "tolist"],
)
def test_a_large_value_inside_an_array_of_objects_or_behind_tolist_is_large(value: Any) -> None:
    """An array of objects was measured by its element count (20 bytes each), an object with
    tolist() and no ndim as 64 bytes: a text of 200 KB in them was written on the event loop."""
    assert is_large(value)
    parts = large_result_json(value)
    assert b"".join(parts) == result_json(value)
    assert max(map(len, parts)) < 3 * PIECE_BYTES


def test_a_small_array_of_objects_is_small() -> None:
    assert not is_large(np.array(["a", {"b": 1}, None], dtype=object))


def test_an_array_of_objects_over_the_limit_stops_being_written_there() -> None:
    """Measured small, it was written whole (every item, past the limit too) before its
    length was checked."""
    after = Counted()
    value = np.array(["x" * 200_000, after], dtype=object)
    with pytest.raises(ResultTooLargeError):
        large_result_json(value, 100_000) if is_large(value) else result_json(value, 100_000)
    assert after.written == 0
