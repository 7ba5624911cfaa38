"""Code that runs at a notebook's top level but not where the package puts it: a problem of its
cell, at its line, before anything is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from nbtools.export.api import ExtractRequest, run_extract
from tests.conftest import NotebookFactory
from tests.unit.export_helpers import extraction, only, problems

FETCH = ("code", "async def fetch():\n    return 1", ["export"])


@pytest.mark.parametrize(
    ("code", "tag", "line"),
    [
        ("x = 1\nCONFIG = await fetch()", "export", 2),
        ("value = await fetch()", "main", 1),
        ("assert await fetch() == 1", "test", 1),
        ("async for item in fetch():\n    pass", "main", 1),
        ("async with fetch() as f:\n    pass", "test", 1),
        ("items = [x async for x in fetch()]", "main", 1),
        ("if True:\n    value = [await fetch()]", "main", 2),
    ],
)
def test_a_top_level_await_is_notebook_only(code: str, tag: str, line: int) -> None:
    """IPython runs it; Python refuses it in a module (``import pkg`` failed with "'await'
    outside function"), and run() and the tests are plain functions."""
    result = extraction(FETCH, ("code", code, [tag]))
    problem = only(result.problems, "notebook-only")
    assert (problem.cell, problem.line) == (1, line)
    assert "top-level await" in problem.message
    assert "asyncio.run" in problem.hint
    assert not compiles(result.files)


def test_an_await_inside_an_async_function_is_no_problem() -> None:
    result = extraction(
        FETCH,
        ("code", "async def twice():\n    return 2 * await fetch()", ["export"]),
        ("code", "f = lambda: fetch()\nrecord('f', f)", ["main"]),
    )
    assert result.problems == []


@pytest.mark.parametrize(
    ("cells", "where"),
    [
        (
            [
                ("code", "x = 1", ["export"]),
                ("code", "from __future__ import annotations", ["export"]),
            ],
            (1, 1),
        ),
        (
            [("code", "import os\nfrom __future__ import annotations", ["export"])],
            (0, 2),
        ),
        (
            [
                ("code", "from __future__ import annotations", ["export"]),
                ("code", "'''A note.'''\nfrom __future__ import division", ["export"]),
            ],
            (1, 2),
        ),
        (
            [
                ("markdown", "# T\n\n> Sum.", []),
                ("code", '"""Doc."""\nfrom __future__ import annotations', ["export"]),
            ],
            (1, 2),
        ),
        ([FETCH, ("code", "from __future__ import annotations\nx = 1", ["main"])], (1, 1)),
        ([FETCH, ("code", "from __future__ import annotations", ["test"])], (1, 1)),
        (
            [FETCH, ("code", "from __future__ import annotations\nn = 1", ["parameters"])],
            (1, 1),
        ),
    ],
)
def test_a_future_import_must_open_its_module(
    cells: list[tuple[str, str, list[str]]], where: tuple[int, int]
) -> None:
    """After other code of its module (a second cell exported to it, or after a docstring the
    module's file already has), or in a cell whose code goes into a function: Python refuses
    the file ("from __future__ imports must occur at the beginning of the file")."""
    result = extraction(*cells)
    problem = only(result.problems, "future-import")
    assert (problem.cell, problem.line) == where
    assert not compiles(result.files)


def compiles(files: dict[str, str]) -> bool:
    """Whether Python compiles every generated Python file."""
    try:
        for path, text in files.items():
            if path.endswith(".py"):
                compile(text, path, "exec")
    except SyntaxError:
        return False
    return True


def test_future_imports_opening_their_module_pass() -> None:
    """The first cells of a module, a docstring of its own before them (no notebook summary)."""
    result = extraction(
        ("code", '"""Doc."""\nfrom __future__ import annotations', ["export"]),
        ("code", "from __future__ import division", ["export"]),
        ("code", "def f() -> int:\n    return 1", ["export"]),
        ("code", "from __future__ import annotations\ny = 2", ["export:other"]),
    )
    assert result.problems == []
    assert compiles(result.files)


def test_main_cells_reading_an_exported_name_they_then_bind_are_refused() -> None:
    """In the notebook the main cell changes the global; in run() the name is a local, read
    before it is bound (UnboundLocalError), as in ``counter += 1`` or ``df = df.dropna()``,
    also when a later main cell binds it."""
    result = extraction(
        ("code", "counter = 0\nrows = [1]", ["export"]),
        ("code", "counter += 1", ["main"]),
        ("code", "first = rows[0]", ["main"]),
        ("code", "rows = rows + [2]", ["main"]),
    )
    assert [(p.cell, p.line, p.code) for p in result.problems] == [
        (1, 1, "rebound-name"),
        (2, 1, "rebound-name"),
    ]
    assert "UnboundLocalError" in result.problems[0].message
    assert "bound by cell 4" in result.problems[1].message


def test_main_cells_binding_an_exported_name_exported_code_reads_are_refused() -> None:
    """The notebook's exported function sees the main cell's value; the package's its own."""
    result = extraction(
        ("code", "LIMIT = 0.5\n\ndef over(x):\n    return x > LIMIT", ["export"]),
        ("code", "n = 1", ["parameters"]),
        ("code", "x = n\nLIMIT = 0.9\nrecord('over', over(0.7))", ["main"]),
    )
    problem = only(result.problems, "rebound-name")
    assert (problem.cell, problem.line) == (2, 2)
    assert "keeps its own" in problem.message


def test_main_and_test_cells_may_bind_names_exported_code_leaves_alone() -> None:
    """Bound first, not read by exported code, or imported as exported code imports it (`import
    os` and `import os.path` both bind the module os): the same in both."""
    result = extraction(
        (
            "code",
            "import math\nimport os.path\nscale = 2\n\n"
            "def area(r):\n    return math.pi * r * r * len(os.sep)",
            ["export"],
        ),
        ("code", "n = 1", ["parameters"]),
        ("code", "import math, os\nscale = 3\nrecord('a', area(scale))", ["main"]),
        ("code", "import math\nscale = 4\nn = 3\nassert area(n) > 0", ["test"]),
        ("code", "for n in range(3):\n    assert area(n) >= 0", ["test"]),
    )
    assert result.problems == []


def test_a_test_cell_reading_a_parameter_it_then_binds_is_refused() -> None:
    found = problems(
        ("code", "n = 1", ["parameters"]),
        ("code", "def f(x):\n    return x", ["export"]),
        ("code", "n += 1\nassert f(n) == 2", ["test"]),
    )
    assert found == [(2, 1, "rebound-name")]


@pytest.mark.parametrize(
    ("code", "line"),
    [
        ("total = 0\ndef bump():\n    global total\n    total += 1\nbump()", 3),
        ("global total\ntotal = 1", 1),
    ],
)
@pytest.mark.parametrize("tag", ["main", "test"])
def test_global_in_main_and_test_cells_is_refused(code: str, line: int, tag: str) -> None:
    """The global of the generated file is not the cell's variable: NameError in run()."""
    problem = only(extraction(FETCH, ("code", code, [tag])).problems, "global-in-function")
    assert (problem.cell, problem.line) == (1, line)


@pytest.mark.parametrize("tag", ["main", "test"])
def test_a_main_guard_in_main_and_test_cells_is_refused(tag: str) -> None:
    """Its block runs in the notebook; in run() or a test, __name__ is the module's."""
    code = "x = 1\nif '__main__' == __name__:\n    x = 2"
    problem = only(extraction(FETCH, ("code", code, [tag])).problems, "main-guard")
    assert (problem.cell, problem.line) == (1, 2)
    exported = extraction(("code", "if __name__ == '__main__':\n    print(1)", ["export"]))
    assert exported.problems == []


def test_a_class_in_a_main_cell_is_a_warning() -> None:
    """``pickle.dumps(Scaler(2))`` works in the notebook; a local class of run() cannot be
    pickled ("Can't pickle local object 'run.<locals>.Scaler'")."""
    result = extraction(
        ("code", "class Scaler:\n    def __init__(self, k):\n        self.k = k", ["main"]),
    )
    problem = only(result.problems, "local-class")
    assert (problem.cell, problem.line, problem.severity) == (0, 1, "warning")
    assert "exported cell" in problem.hint
    assert result.errors == []


def test_what_is_not_refused_runs_in_the_package(
    notebook_factory: NotebookFactory, tmp_path: Path
) -> None:
    """The names main and test cells may bind do run as they did in the notebook."""
    nb = notebook_factory(
        "ok.ipynb",
        [
            ("code", "n = 2", ["parameters"]),
            (
                "code",
                "import math\nscale = 2\n\ndef area(r):\n    return math.pi * r * r",
                ["export"],
            ),
            ("code", "import math\nscale = 3\nrecord('a', round(area(scale)))", ["main"]),
            ("code", "n = 3\nassert round(area(n)) == 28", ["test"]),
            ("code", "assert n == 2\nassert run(n=1) == {'a': 28}", ["test"]),
        ],
    )
    report = run_extract(ExtractRequest(nb, tmp_path / "out", mode="write", test=True))
    assert report.extraction.problems == []
    assert report.tests.ok, report.tests.output
    assert report.tests.counts()["passed"] == 2
