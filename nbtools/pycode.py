"""Parsing the Python code a user wrote (a notebook cell): the one call to :func:`ast.parse`
on it, for extraction, jobs' parameters and the data check alike.

CPython refuses code nested deeper than it can read in more than one way: a ``SyntaxError``
for brackets (``too many nested parentheses``), a ``RecursionError`` (3.12: a chain of a
hundred thousand ``+``), or, for a long chain of unary operators (``x = ------…1``), a
``MemoryError`` when its parser's stack overflows. The last two are one fault of the code,
not of the machine: :func:`parse_code` raises both as a ``RecursionError``, as the analyses
walking a tree raise when it is too deep for them, so that every reader tells the user the
same way that the code nests too deeply. A NUL byte is a ``SyntaxError`` on every version
(Python 3.10 raised ``ValueError``).
"""

from __future__ import annotations

import ast


def parse_code(code: str) -> ast.Module:
    """The syntax tree of ``code``; ``SyntaxError`` when it is no Python, ``RecursionError``
    when it nests too deeply to be parsed."""
    try:
        return ast.parse(code)
    except MemoryError:  # the parser's stack overflowed: nested, not out of memory
        raise RecursionError("the code nests too deeply to be parsed") from None
    except ValueError as error:  # Python 3.10 refuses a NUL byte so
        if "\0" not in code:
            raise
        line = code[: code.index("\0")].count("\n") + 1
        raise SyntaxError(str(error), ("<unknown>", line, 1, None)) from None
