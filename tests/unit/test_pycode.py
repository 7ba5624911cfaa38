"""The one parser of a user's Python code: what nests too deeply is a RecursionError, however
CPython refuses it, and what is no Python a SyntaxError."""

from __future__ import annotations

import ast

import pytest

from nbtools.pycode import parse_code

#: A chain of unary operators overflowing the parser's stack: a MemoryError from ast.parse.
UNARY = "x = " + "-" * 100_000 + "1"


@pytest.mark.parametrize("code", [UNARY, "y = 1\n" + UNARY])
def test_code_nested_too_deeply_is_a_recursion_error(code: str) -> None:
    """Not the MemoryError of the parser's stack, which every reader let through (a 500 over
    REST, a traceback in the CLI)."""
    with pytest.raises(RecursionError, match="nests too deeply to be parsed"):
        parse_code(code)


def test_a_deep_but_parsable_chain_is_parsed() -> None:
    tree = parse_code("x = " + "-" * 500 + "1")
    assert isinstance(tree.body[0], ast.Assign)


@pytest.mark.parametrize(
    ("code", "line"), [("x = (", 1), ("x = 1\ny = 2\x00", None), ("%time f()", 1)]
)
def test_what_is_no_python_is_a_syntax_error(code: str, line: int | None) -> None:
    with pytest.raises(SyntaxError) as info:
        parse_code(code)
    if line is not None:
        assert info.value.lineno == line
