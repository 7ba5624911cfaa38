"""The one reader of the ``parameters`` cell (``nbtools.parameters``), and jobs and extraction
describing the same notebook's parameters the same way."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

from nbtools.jobs.parameters import declared_parameters, resolve_values
from nbtools.parameters import (
    Parameter,
    ParametersCell,
    is_parameters_cell,
    parameters_cell_index,
    read_parameters,
    skipped,
)
from tests.conftest import make_notebook
from tests.unit.export_helpers import Cells, extraction

#: A papermill-style cell with every kind of statement the reader meets.
CELL = '''\
"""Report parameters."""
from datetime import date
import os
city = "Lisbon"  # where to forecast
days: int = 7
shift = -2
growth: float = 0.5
verbose = False
limit = None
regions = ("north", "south")
weights = {"a": [1, 2]}
run_date = str(date.today())  # the day to report
horizon: int = len(city)
stamp: datetime = make_stamp()
tags = {"x", "y"}
print(city)
a, b = 1, 2
a = b = 3
os.environ["X"] = "1"
days = 8
'''


def read(source: str, cell: int | None = None) -> ParametersCell:
    return read_parameters(ast.parse(source), source, cell)


def test_each_kind_of_statement() -> None:
    found = read(CELL, cell=4)
    by_name = {p.name: p for p in found.parameters}
    assert {name: (p.type, p.default, p.computed) for name, p in by_name.items()} == {
        "city": ("str", "Lisbon", None),
        "shift": ("int", -2, None),
        "growth": ("float", 0.5, None),
        "verbose": ("bool", False, None),
        "limit": ("None", None, None),
        "regions": ("list", ["north", "south"], None),  # a tuple is a list
        "weights": ("dict", {"a": [1, 2]}, None),
        "run_date": ("str", None, "str(date.today())"),  # computed, no annotation: str
        "horizon": ("int", None, "len(city)"),  # computed, typed by its annotation
        "stamp": ("str", None, "make_stamp()"),  # an annotation that is no parameter type
        "tags": ("str", None, "{'x', 'y'}"),  # a set literal is no JSON value: computed
        "days": ("int", 8, None),  # assigned twice: the last assignment, in its place
    }
    assert [p.name for p in found.parameters][-1] == "days"
    assert by_name["city"].help == "where to forecast"
    assert by_name["run_date"].help == "the day to report"
    assert (by_name["days"].annotation, by_name["days"].line) == (None, 20)
    assert (by_name["growth"].annotation, by_name["growth"].cell) == ("float", 4)
    assert [ast.unparse(node) for node in found.imports] == [
        "from datetime import date",
        "import os",
    ]
    assert [node.lineno for node in found.others] == [16, 17, 18, 19]


def test_an_empty_cell_and_a_cell_of_comments() -> None:
    assert read("") == ParametersCell([], [], [])
    assert read("# nothing here\n'''a note'''\n") == ParametersCell([], [], [])


def test_the_wire_form_is_the_same_for_jobs_and_extraction() -> None:
    parameter = Parameter("run_date", "str", None, "day", "str(date.today())", None, 2, 0)
    assert parameter.to_dict() == {
        "name": "run_date",
        "type": "str",
        "default": None,
        "help": "day",
        "computed": "str(date.today())",
    }


def test_jobs_and_extraction_describe_a_notebook_alike() -> None:
    cells = [("code", CELL, ["parameters"]), ("code", "record('n', days)", ["main"])]
    from_jobs = declared_parameters(make_notebook(cells))
    extracted = extraction(*cells)
    assert extracted.plan.parameters == from_jobs
    reported = [p for p in extracted.problems if p.code == "parameter-not-assignment"]
    # what declares no parameter: jobs run it as written, extraction says where it is
    assert [(p.cell, p.line) for p in reported] == [(0, 16), (0, 17), (0, 18), (0, 19)]
    assert "print(city)" in reported[0].message


def test_a_skipped_parameters_cell_declares_nothing_for_jobs_or_extraction() -> None:
    skipped_cell = ("code", "days = 1\nlimit = 5", ["parameters", "skip"])
    cells = [skipped_cell, ("code", "days = 2", ["parameters"]), ("code", "x = days", ["main"])]
    nb = make_notebook(cells)
    assert parameters_cell_index(nb) == 1
    declared = declared_parameters(nb)
    assert [(p.name, p.default, p.cell) for p in declared] == [("days", 2, 1)]
    extracted = extraction(*cells)
    assert extracted.plan.parameters == declared
    assert extracted.problems == []  # the skipped cell is no second parameters cell
    alone = [skipped_cell, ("code", "x = 1", ["main"])]
    assert parameters_cell_index(make_notebook(alone)) is None
    assert declared_parameters(make_notebook(alone)) == []
    assert extraction(*alone).plan.parameters == []


def test_the_parameters_cell_rule() -> None:
    def cell(cell_type: str, tags: object) -> dict[str, object]:
        return {"cell_type": cell_type, "source": "", "metadata": {"tags": tags}}

    assert is_parameters_cell(cell("code", ["x", "parameters"]))
    assert not is_parameters_cell(cell("code", ["skip", "parameters"]))
    assert not is_parameters_cell(cell("markdown", ["parameters"]))
    assert not is_parameters_cell(cell("code", "parameters"))  # tags that are no list
    assert not is_parameters_cell(cell("code", [["parameters"]]))
    assert skipped(["main", "skip"])
    assert not skipped(["main", "skipped"])


def test_run_marks_the_code_it_takes_from_the_parameters_cell() -> None:
    cells = (
        ("code", "print('setup')", []),
        ("code", "from datetime import date\nrun_date = str(date.today())", ["parameters"]),
        ("code", "record('day', run_date)", ["main"]),
    )
    pipeline = extraction(*cells).files["src/pkg/pipeline.py"]
    marker = "    # %% analysis.ipynb cell 2 (id cell-1)\n    from datetime import date\n"
    assert marker in pipeline
    assert pipeline.index(marker) < pipeline.index("        run_date = str(date.today())")
    assert "# %% analysis.ipynb cell 3 (id cell-2)" in pipeline
    literal_only = extraction(("code", "n = 1", ["parameters"]), ("code", "x = n", ["main"]))
    assert "cell 1 (id" not in literal_only.files["src/pkg/pipeline.py"]  # no code from it


def test_an_extracted_pipeline_computes_its_defaults_and_takes_given_values(
    tmp_path: Path,
) -> None:
    cells = (
        (
            "code",
            "from datetime import date\nrun_date = str(date.today())\nsizes = (1, 2)\n"
            "label: str = 'x' * 2",
            ["parameters"],
        ),
        ("code", "record('day', run_date)\nrecord('n', sum(sizes))\nrecord('l', label)", ["main"]),
        ("code", "record('year', date(2026, 1, 31).year)", ["main"]),  # the cell's import
        ("code", "assert len(run_date) == 10\nassert sizes == [1, 2]", ["test"]),
    )
    result = extraction(*cells)
    assert result.problems == []
    pipeline = result.files["src/pkg/pipeline.py"]
    assert "    run_date: str | None = None," in pipeline
    assert "    sizes: list | None = None," in pipeline
    assert "    label: str | None = None," in pipeline
    for path, text in result.files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    src = tmp_path / "src"
    today = subprocess.run(
        [sys.executable, "-c", "import datetime; print(datetime.date.today())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    run = "from pkg.pipeline import run; print(run()); print(run(run_date='2026-01-31', sizes=[5]))"
    printed = subprocess.run(
        [sys.executable, "-c", run], cwd=src, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert printed == [
        str({"day": today, "n": 3, "l": "xx", "year": 2026}),
        str({"day": "2026-01-31", "n": 5, "l": "xx", "year": 2026}),
    ]
    command = [sys.executable, "-m", "pkg", "--run-date", "2026-02-01", "--help"]
    help_text = subprocess.run(command, cwd=src, capture_output=True, text=True).stdout
    assert "computed: str(date.today())" in help_text
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path / "tests")],
        cwd=src,
        capture_output=True,
        text=True,
    )
    assert tests.returncode == 0, tests.stdout + tests.stderr


def run_package(cells: Cells, tmp_path: Path, *options: str) -> str:
    """``python -m pkg OPTIONS`` of the package extracted from ``cells``: what it prints."""
    for path, text in extraction(*cells).files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    command = [sys.executable, "-m", "pkg", *options]
    return subprocess.run(
        command, cwd=tmp_path / "src", capture_output=True, text=True, check=True
    ).stdout


def test_a_default_json_cannot_write_is_computed_as_a_set_is(tmp_path: Path) -> None:
    """``pairs = {(1, 2): 0.5}``: the REST preview answered 500 ("keys must be str…") and
    ``nbtools extract --json`` printed a traceback; jobs' form could not show it either."""
    source = "pairs = {(1, 2): 0.5}\nraw = [b'x']\nok = {1: 'a'}"
    found = read(source).parameters
    assert [(p.type, p.default, p.computed) for p in found] == [
        ("str", None, "{(1, 2): 0.5}"),
        ("str", None, "[b'x']"),
        ("dict", {1: "a"}, None),
    ]
    cells: Cells = [
        ("code", source, ["parameters"]),
        ("code", "record('pair', pairs[1, 2])", ["main"]),
    ]
    assert json.loads(run_package(cells, tmp_path)) == {"pair": 0.5}


def test_an_int_annotated_float_is_a_float_parameter(tmp_path: Path) -> None:
    """``x: float = 5`` was an int: ``python -m pkg --x 2.5`` failed ("invalid int value"),
    and a job's ``-p x=2.5`` too."""
    (x,) = read("x: float = 5").parameters
    assert (x.type, x.default, x.annotation) == ("float", 5.0, "float")
    assert resolve_values([x], {"x": "2.5"}, from_text=True) == {"x": 2.5}
    cells: Cells = [("code", "x: float = 5", ["parameters"]), ("code", "record('x', x)", ["main"])]
    assert json.loads(run_package(cells, tmp_path, "--x", "2.5")) == {"x": 2.5}
    assert json.loads(run_package(cells, tmp_path)) == {"x": 5.0}
