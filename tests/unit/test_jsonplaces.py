"""Places in values read from JSON, and the lone surrogates found there."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from nbtools.jsonplaces import (
    encodable,
    escaped,
    field_name,
    first_surrogate,
    lone_surrogate,
    marked_places,
    places,
    read_marked,
)


def test_places_are_every_value_in_the_order_json_writes_them() -> None:
    value = {"a": [1, {"b": None}], "c": "x"}
    assert list(places(value)) == [
        ((), value),
        (("a",), [1, {"b": None}]),
        (("a", 0), 1),
        (("a", 1), {"b": None}),
        (("a", 1, "b"), None),
        (("c",), "x"),
    ]


def test_places_walk_what_nests_deeper_than_recursion_goes() -> None:
    deep: Any = "end"
    for _ in range(5000):
        deep = [deep]
    assert list(places(deep))[-1] == ((0,) * 5000, "end")


def test_a_place_is_named_as_a_field_with_a_lone_surrogate_escaped() -> None:
    assert field_name(("parameters", "x")) == "parameters.x"
    assert field_name(("rows", 1, "a\ud800")) == "rows.1.a\\ud800"
    assert field_name(()) == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [("plain", True), ("é 😀", True), ("a\ud800", False), ("\udcff", False), ("", True)],
)
def test_encodable_is_whether_utf8_holds_the_text(text: str, expected: bool) -> None:
    assert encodable(text) is expected


def test_the_first_lone_surrogate_is_found_and_escaped() -> None:
    assert first_surrogate("ab\ud83d c\udc00") == (2, "\\ud83d")
    assert escaped("x\ud800y") == "x\\ud800y"


@pytest.mark.parametrize(
    ("raw", "place", "text"),
    [
        (b'{"a": "x\\ud800"}', ("a",), "x\ud800"),  # an escape, as JSON writes one
        (b'{"a": "x\\uDC00"}', ("a",), "x\udc00"),  # in capitals
        (b'{"a": ["ok", {"\\ud800": 1}]}', ("a", 1, "\ud800"), "\ud800"),  # a key
        (b'{"a": "x\xed\xa0\x80"}', ("a",), "x\ud800"),  # UTF-8's bytes, as json reads them
        (b'\xef\xbb\xbf{"a": "\\ud800"}', ("a",), "\ud800"),  # after a byte-order mark
        ('{"a": "\\ud800"}'.encode("utf-16-le"), ("a",), "\ud800"),
        ('{"a": "\ud800"}'.encode("utf-16-be", "surrogatepass"), ("a",), "\ud800"),
        ('{"a": "\\ud800"}', ("a",), "\ud800"),  # JSON text
        ('{"a": "\ud800"}', ("a",), "\ud800"),  # text holding one itself
    ],
)
def test_a_lone_surrogate_is_found_wherever_it_stands(
    raw: bytes | str, place: tuple[Any, ...], text: str
) -> None:
    value = json.loads(raw.decode("utf-8-sig") if raw[:3] == b"\xef\xbb\xbf" else raw)
    assert lone_surrogate(value, raw) == (place, text)
    assert lone_surrogate(value) == (place, text)  # the value walked without its text


@pytest.mark.parametrize(
    "raw",
    [
        b'{"a": "plain", "b": [1, 2.5, null]}',
        b'{"a": "\\ud83d\\ude00 \xf0\x9f\x98\x80"}',  # a pair's escapes, and its UTF-8
        b'{"a": "C:\\\\ud\\\\uD800"}',  # a backslash, then "ud": no escape
        b'{"a": "\xed\x9f\xbf"}',  # U+D7FF, the last character before the surrogates
        '{"a": "\\ud83d\\ude00"}'.encode("utf-16-le"),
    ],
)
def test_text_without_a_lone_surrogate_has_none(raw: bytes) -> None:
    value = json.loads(raw)
    assert lone_surrogate(value, raw) is None
    assert lone_surrogate(value) is None


def test_a_value_is_walked_only_when_its_text_may_hold_one() -> None:
    """The text is searched first: a value its text cannot hold one in is never walked."""
    value = {"a": "\ud800"}  # what no such text reads as: it shows the walk was skipped
    assert lone_surrogate(value, b'{"a": "plain"}') is None
    assert lone_surrogate(value, '{"a": "plain"}') is None


def test_numbers_json_cannot_carry_are_marked_where_they_stand() -> None:
    """Read once for the REST API (numbers beyond a float) and nbtools serve (the tokens
    too), where each read them with a decoder of its own."""
    raw = b'{"a": [1.5, -1E+400], "b": NaN, "c": ' + b"2" * 250 + b"e99, " + b'"d": Infinity}'
    value, marks = read_marked(raw)
    assert (value["a"], math.isnan(value["b"]), value["d"]) == ([1.5, "-1E+400"], True, math.inf)
    assert [(place, str(mark)) for place, mark in marked_places(value, marks)] == [
        (("a", 1), "-1E+400"),
        (("c",), "2" * 250 + "e99"),
    ]
    value, marks = read_marked(raw.decode(), constants=True)
    assert [place for place, _ in marked_places(value, marks)] == [("a", 1), ("b",), ("c",), ("d",)]
    assert [str(mark) for mark in marks] == ["-1E+400", "NaN", "2" * 250 + "e99", "Infinity"]


def test_a_marked_number_no_place_holds_is_the_whole_value_s() -> None:
    """A repeated key replaced it: still found, at ``()``, as the value itself would be."""
    value, marks = read_marked(b'{"x": 1e999, "x": 1}')
    assert (value, marked_places(value, marks)) == ({"x": 1}, [((), "1e999")])
    value, marks = read_marked("1e999")
    assert marked_places(value, marks) == [((), "1e999")]


@pytest.mark.parametrize("raw", [b'{"x": 1e308, "y": [1, 2.5e-300], "z": "NaN Infinity"}', b"7"])
def test_text_without_such_numbers_is_read_as_json_reads_it(raw: bytes) -> None:
    assert read_marked(raw) == (json.loads(raw), [])
    assert read_marked(b'{"y": Infinity}') == ({"y": math.inf}, [])
