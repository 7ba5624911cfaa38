"""A failure in the generated package leads back to the notebook cell and the line as the user
sees it there, directive and blank lines included: the line a problem found before writing
names too."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nbtools.export.build import ExtractOptions, extract
from nbtools.export.source import indent, python_lines
from nbtools.export.sourcemap import locate
from nbtools.export.testrun import run_tests
from nbtools.export.writer import write
from tests.unit.export_helpers import extraction, notebook

#: Exported cells whose code is not their first line, each dividing by zero at the line
#: given (1-based, as JupyterLab numbers the cell's lines).
EXPORTED: list[tuple[str | list[str], int]] = [
    # leading blank line and two directives (the explorer's report)
    ("\n#| hide\n#| export\ndef f1(x):\n    y = 2\n    return y / x\n", 6),
    # Windows line ends, and a blank line between the directives and the code
    ("#| export\r\n\r\n#| hide\r\ndef f2(x):\r\n    y = 2\r\n    return y / x\r\n", 6),
    # the list of lines nbformat allows on disk
    (["#| exports\n", "#|hide\n", "\n", "def f3(x):\n", "    return 2 / x\n"], 5),
    # a form feed: a line of its own is blank, inside a line it ends nothing
    ("#| export\n\x0c\ndef f4(x):\n    y = 2  # page\x0cbreak\n    return y / x\n", 5),
]


def _cell_of(source: str | list[str], tags: list[str]) -> tuple[str, Any, list[str]]:
    return ("code", source, tags)


def _notebook(*, undefined: bool = False) -> dict[str, Any]:
    """Cells 0-3 exported (as :data:`EXPORTED`), 4 parameters, then one test cell per exported
    cell and two of their own; ``undefined``: each failing line also reads an undefined name."""
    cells = []
    for source, _ in EXPORTED:
        if undefined:
            source = (
                [*source[:-1], source[-1].replace("/ x", "/ missing")]
                if isinstance(source, list)
                else source.replace("/ x", "/ missing")
            )
        cells.append(_cell_of(source, []))
    cells.append(
        _cell_of(
            "from datetime import date\n\nday = str(date.fromisoformat('bad'))", ["parameters"]
        )
    )
    cells += [_cell_of(f"assert f{n}(0)", ["test"]) for n in range(1, 5)]
    cells.append(_cell_of("#| eval: false\n\r\nassert 1 == 2", ["test"]))  # cell 9, line 3
    cells.append(_cell_of("assert run()", ["test"]))  # run() computes the default: fails
    return notebook(*cells)


def test_test_failures_name_the_cell_line_the_problems_would_name(tmp_path: Path) -> None:
    result = extract(_notebook(), "lines.ipynb", ExtractOptions(package="lines"))
    assert result.errors == []
    write(result, tmp_path / "out")
    report = run_tests(tmp_path / "out", result.files, result.plan.cells)
    failures = {t.cell: t.to_dict() for t in report.tests}
    assert {cell: t["outcome"] for cell, t in failures.items()} == dict.fromkeys(
        range(5, 11), "failed"
    )
    where = {cell: (t["failure_cell"], t["failure_line"]) for cell, t in failures.items()}
    assert where == {
        **{5 + index: (index, line) for index, (_, line) in enumerate(EXPORTED)},
        9: (9, 3),
        10: (4, None),  # run() rebuilds the parameters cell's lines: the cell, at no line
    }
    assert failures[5]["failure_cell_id"] == "cell-0"
    # The same notebook with an undefined name read on each failing line: the problems found
    # before writing name the same lines.
    problems = extract(_notebook(undefined=True), "lines.ipynb", ExtractOptions(package="lines"))
    assert [(p.cell, p.line) for p in problems.errors if p.code == "undefined-name"] == [
        (index, line) for index, (_, line) in enumerate(EXPORTED)
    ]


def test_a_line_of_a_block_maps_to_its_cell_or_nowhere() -> None:
    result = extraction(
        ("code", "\n\n#| export\ndef f():\n    return 1\n", []),
        ("code", "#| export\n\ndef g():\n    return 2\n", []),
    )
    core = result.files["src/pkg/core.py"]
    lines = python_lines(core)
    cells = result.plan.cells
    assert locate(core, lines.index("    return 1\n") + 1, cells) == (0, "cell-0", 5)
    assert locate(core, lines.index("    return 2\n") + 1, cells) == (1, "cell-1", 4)
    assert locate(core, 1, cells) is None  # the header: no cell above it
    generated = lines.index("# %% generated: the names this module exports\n") + 2
    assert locate(core, generated, cells) is None  # __all__ is no cell's
    assert locate(core, lines.index("    return 2\n") + 1, {}) is None  # not this extraction's


def test_indenting_keeps_a_line_with_a_form_feed_or_line_separator_whole() -> None:
    """Python ends a line at \\n, \\r\\n and \\r only: text after a form feed or U+2028 inside
    a string stays as it is (and on its line) in run() and in the tests."""
    code = "s = 'a\x0cb\u2028c'\r\nt = 1\n"
    assert indent(code) == "    s = 'a\x0cb\u2028c'\r\n    t = 1\n"
    assert python_lines(code) == ["s = 'a\x0cb\u2028c'\r\n", "t = 1\n"]
    assert python_lines("a\rb") == ["a\r", "b"]
    assert python_lines("") == []
