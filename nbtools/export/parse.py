"""Parsing exported cells, and rejecting what only works inside IPython.

IPython syntax (``%magic``, ``!shell``, ``x = !cmd``, ``obj?``) makes parsing fail;
those lines are reported as notebook-only constructs with a hint, never silently dropped, and
so is a top-level ``await``, which parses but which only IPython runs. Any other parse failure
is a syntax error at the notebook cell's line.
"""

import ast
import re

from nbtools.export.model import Cell, Problem
from nbtools.export.names import Names, analyze
from nbtools.export.outline import Outline, outline
from nbtools.export.source import string_continuation_lines
from nbtools.pycode import parse_code

# Only a cell that fails to parse, or an untagged cell read for a hint, needs these patterns:
# re's own cache compiles them on first use, so an extraction without one does not.
_IPYTHON_LINE = r"^\s*(?:[%!]|[\w.,\s\[\]]+=\s*[%!]|[\w.]+\?\??\s*$)"
_SHELL = r"^!|=\s*!"
_HELP = r"^[\w.]+\?\??$"

#: Names that exist only inside IPython, with what to do instead.
NOTEBOOK_ONLY_NAMES = {
    "display": "display() exists only in IPython: return or record() the value, or print() it.",
    "get_ipython": "get_ipython() is None outside IPython: remove the IPython-specific code.",
}


#: The message and hint of an ``await`` outside a function, which only IPython runs.
TOP_LEVEL_AWAIT = (
    "'await' (or 'async for', 'async with') outside a function runs only in IPython (its "
    "top-level await): Python refuses it in a module, and in run() or a test, which are "
    "plain functions.",
    "Outside IPython no event loop is running: call a synchronous API, or put the code in an "
    "async def and run it with asyncio.run(...).",
)


class Parsed:
    """An exported cell with its name analysis, its outline and its syntax tree.

    A cell analysed in another process comes back without its tree (:mod:`.parallel`); the
    tree is then parsed again on first use, which rendering never needs for such a cell.
    """

    __slots__ = ("_tree", "cell", "names", "outline")

    def __init__(
        self, cell: Cell, names: Names, outline: Outline, tree: ast.Module | None = None
    ) -> None:
        self.cell, self.names, self.outline, self._tree = cell, names, outline, tree

    @property
    def tree(self) -> ast.Module:
        if self._tree is None:
            self._tree = parse_code(self.cell.code)
        return self._tree


def problem_at(
    cell: Cell, line: int, code: str, message: str, hint: str = "", severity: str = "error"
) -> Problem:
    """A problem at ``line`` of the cell's code (0: the cell, at no line), as the notebook
    numbers the cell's lines."""
    return Problem(
        cell.index, cell.id, cell.notebook_line(line) if line else 0, code, message, hint, severity
    )


def _ipython_lines(code: str) -> list[int]:
    """The lines of ``code`` that look like IPython syntax, but for those inside a string
    (a docstring's ``!important``)."""
    found = [n for n, line in enumerate(code.splitlines(), 1) if re.search(_IPYTHON_LINE, line)]
    if not found:
        return found
    inside = string_continuation_lines(code)
    return [n for n in found if n not in inside]


def _describe_ipython(line: str) -> tuple[str, str]:
    text = line.strip()
    if re.search(_SHELL, text):
        return (
            f"'{text}' runs a shell command, which only works in IPython.",
            "Use subprocess.run([...], check=True) in exported code, or move the line to an "
            "untagged cell.",
        )
    if re.match(_HELP, text):
        return (f"'{text}' is IPython help syntax.", "Remove it from the exported cell.")
    return (
        f"'{text}' is an IPython magic.",
        "Magics do not run in a Python package: remove the line, or move it to an untagged cell.",
    )


def parse_cell(cell: Cell) -> tuple[Parsed | None, list[Problem]]:
    """Parse one exported cell; on failure, the problems say where and why."""
    try:
        tree = parse_code(cell.code)
        names = analyze(tree)
        parts = outline(tree)
    except SyntaxError as error:
        return None, _syntax_problems(cell, error)
    except RecursionError:
        return None, [too_deep(cell)]
    problems = [
        problem_at(cell, line, "notebook-only", f"'{name}' is not defined outside IPython.", hint)
        for name, hint in NOTEBOOK_ONLY_NAMES.items()
        if (line := names.free.get(name)) is not None
    ]
    if names.awaits:
        problems.append(problem_at(cell, names.awaits, "notebook-only", *TOP_LEVEL_AWAIT))
    return Parsed(cell, names, parts, tree), problems


def too_deep(cell: Cell) -> Problem:
    """The problem of a cell nesting an expression deeper than its analysis recurses (a few
    hundred levels; Python itself compiles up to about 3000)."""
    return problem_at(
        cell,
        1,
        "too-deep",
        "The cell nests an expression too deeply to be analysed (hundreds of levels, such as "
        "a chain of a thousand '+').",
        "Split it: intermediate variables, sum() or a loop over a list.",
    )


def _syntax_problems(cell: Cell, error: SyntaxError) -> list[Problem]:
    lines = cell.code.splitlines()
    ipython = _ipython_lines(cell.code)
    problems = []
    for number in ipython:
        message, hint = _describe_ipython(lines[number - 1])
        problems.append(problem_at(cell, number, "notebook-only", message, hint))
    if ipython:
        blanked = [
            re.sub(r"\S.*", "pass", line) if n in ipython else line
            for n, line in enumerate(lines, 1)
        ]
        try:
            parse_code("\n".join(blanked))
        except SyntaxError as remaining:
            error = remaining
        except RecursionError:
            return [*problems, too_deep(cell)]
        else:
            return problems
    message = f"Syntax error: {error.msg}."
    problems.append(problem_at(cell, error.lineno or 1, "syntax-error", message))
    return problems


def parse_untagged(code: str) -> Names | None:
    """Names bound by a cell that is not exported, for hints; ``None`` if it cannot be parsed."""
    lines = code.splitlines()
    ipython = set(_ipython_lines(code))
    cleaned = "\n".join("" if n in ipython else line for n, line in enumerate(lines, 1))
    try:
        return analyze(parse_code(cleaned))
    except (SyntaxError, RecursionError):
        return None
