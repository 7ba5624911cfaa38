"""Source-text transformations that keep the notebook's code as written.

Generated files carry the cells' code verbatim wherever possible; these helpers change only what
must change: indentation into a function body (never inside multi-line strings) and imports of
the package itself made relative, as nbdev does.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator

from nbtools.export.outline import FromImport


def string_continuation_lines(code: str) -> set[int]:
    """1-based lines that start inside a multi-line string literal (as far as ``code`` can be
    tokenized)."""
    import io
    import tokenize  # only main and test cells need it: not imported on every extraction

    inside: set[int] = set()
    fstring_starts: list[int] = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(code).readline):
            kind = tokenize.tok_name[token.type]
            if kind == "FSTRING_START":
                fstring_starts.append(token.start[0])
            elif kind == "FSTRING_END" and fstring_starts:
                inside.update(range(fstring_starts.pop() + 1, token.end[0] + 1))
            elif token.type == tokenize.STRING and token.end[0] > token.start[0]:
                inside.update(range(token.start[0] + 1, token.end[0] + 1))
    except (tokenize.TokenError, SyntaxError):
        return inside
    return inside


#: A line with its end, as Python's tokenizer (and JupyterLab's editor) counts lines.
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")


def python_lines(text: str) -> list[str]:
    """``text``'s lines, each with its line end, as Python numbers them in a traceback or a
    syntax tree: only ``\\r\\n``, ``\\r`` and ``\\n`` end a line (``str.splitlines`` also splits
    at a form feed, ``\\x1c`` or ``\\u2028``, which can stand inside a line of code)."""
    return _LINE.findall(text)


def python_line_matches(text: str) -> Iterator[re.Match[str]]:
    """:func:`python_lines` one at a time, as matches (``group()`` is the line, ``end()``
    where it ends in ``text``), for a reader that stops after the first few: the lines it
    does not read are not split off (a long cell's, a long notebook's)."""
    return _LINE.finditer(text)


def indent(code: str, prefix: str = "    ") -> str:
    """Indent ``code`` by ``prefix``, leaving the insides of multi-line strings unchanged."""
    keep = string_continuation_lines(code)
    lines = python_lines(code)
    return "".join(
        line if number in keep or not line.strip() else prefix + line
        for number, line in enumerate(lines, start=1)
    )


def relative_module(module: str, package: str, module_dir: str) -> str | None:
    """The relative form of an absolute import of ``package``, seen from ``module_dir``.

    ``module_dir`` is the dotted package holding the importing module (``pkg`` or ``pkg.sub``).
    Returns ``None`` when ``module`` is not inside ``package``.
    """
    parts, here = module.split("."), module_dir.split(".")
    if parts[0] != package:
        return None
    common = 0
    while common < min(len(parts), len(here)) and parts[common] == here[common]:
        common += 1
    ups = len(here) - common
    rest = ".".join(parts[common:])
    return "." * (ups + 1) + rest


def sibling_module(package: str, module: str, module_dir: str) -> str:
    """The relative name of ``package.module`` seen from the package ``module_dir``."""
    relative = relative_module(f"{package}.{module}", package, module_dir)
    assert relative is not None
    return relative


def make_imports_relative(
    code: str, from_imports: Iterable[FromImport], package: str, module_dir: str
) -> str:
    """Rewrite top-level ``from <package>.x import y`` lines of ``code`` to relative imports.

    ``from_imports`` are the code's top-level absolute ``from`` imports (its outline's). As
    nbdev does, imports nested in functions are left absolute.
    """
    rewrites = [
        (node, relative)
        for node in from_imports
        if (relative := relative_module(node.module, package, module_dir)) is not None
    ]
    if not rewrites:  # most cells: not split into lines only to be joined again
        return code
    lines = python_lines(code)
    for node, relative in rewrites:
        row = node.line - 1
        segment = lines[row][node.column :]
        rewritten = re.sub(
            rf"^(from\s+){re.escape(node.module)}\b", rf"\g<1>{relative}", segment, count=1
        )
        lines[row] = lines[row][: node.column] + rewritten
    return "".join(lines)


#: What ends a line for Python's tokenizer (not the other characters str.splitlines splits on).
#: Only main and test cells need it: re's cache compiles it on first use.
_LINE_END = r"\r\n|\r|\n"


def replace_statements(code: str, replacements: list[tuple[ast.stmt, str]], note: str) -> str:
    """``code`` with each statement replaced by a line of code: the other statements keep
    their lines and their places on them.

    A replacement takes the first line of its statement (from its column: ``x = 1; <stmt>``
    keeps ``x = 1;``); the lines the statement continued on are left blank, or continue the
    logical line with ``\\`` when code follows the statement (``<stmt>; x = 1``).
    ``note`` is a comment put after a replacement that ends its line.
    """
    starts = [0, *(match.end() for match in re.finditer(_LINE_END, code))]

    def offset(line: int, column: int) -> int:  # ast's columns count UTF-8 bytes
        start = starts[line - 1]
        end = starts[line] if line < len(starts) else len(code)
        return start + len(code[start:end].encode()[:column].decode())

    pieces, done = [], 0
    for node, text in sorted(replacements, key=lambda r: (r[0].lineno, r[0].col_offset)):
        last = node.end_lineno or node.lineno
        begin, end = offset(node.lineno, node.col_offset), offset(last, node.end_col_offset or 0)
        rest = code[end : starts[last] if last < len(starts) else len(code)].strip()
        if rest and not rest.startswith("#") and last > node.lineno:
            text += " \\\n" + "\\\n" * (last - node.lineno - 1)
        else:
            text += ("" if rest else f"  # {note}") + "\n" * (last - node.lineno)
        pieces += [code[done:begin], text]
        done = end
    return "".join([*pieces, code[done:]])
