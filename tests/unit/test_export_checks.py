"""Checks before writing: each problem is reported at its notebook cell and line."""

from __future__ import annotations

import gc

import pytest

from nbtools.errors import CheckFailedError, InvalidInputError
from nbtools.export.parameters import OWN_OPTIONS, option_name
from tests.unit.export_helpers import extraction, only, problems


def test_syntax_error_names_the_cell_line_counting_directives() -> None:
    found = problems(("code", "#| export\nx = 1\ndef f(:\n    pass", []))
    assert found == [(0, 3, "syntax-error")]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("%timeit f()", "IPython magic"),
        ("!pip install pandas", "shell command"),
        ("files = !ls", "shell command"),
        ("len?", "help syntax"),
    ],
)
def test_ipython_syntax_is_rejected_with_a_hint(line: str, expected: str) -> None:
    result = extraction(("code", f"def f():\n    return 1\n{line}", ["export"]))
    problem = only(result.problems, "notebook-only")
    assert (problem.cell, problem.line) == (0, 3)
    assert expected in problem.message
    assert problem.hint
    assert not [p for p in result.problems if p.code == "syntax-error"]


def test_a_real_syntax_error_after_a_magic_is_still_reported() -> None:
    found = problems(("code", "%load_ext autoreload\nx = (", ["export"]))
    assert found == [(0, 1, "notebook-only"), (0, 2, "syntax-error")]


def test_ipython_looking_lines_inside_a_string_are_no_ipython() -> None:
    """A docstring's ``!important`` was reported as "runs a shell command" when the cell had
    another syntax error (the only time these lines are looked for)."""
    code = 'def f():\n    """Note:\n!important\n%bold\n"""\n    return 1\n%timeit f()\nx = ('
    found = extraction(("code", code, ["export"])).problems
    assert [(p.line, p.code) for p in found] == [(7, "notebook-only"), (8, "syntax-error")]
    assert "%timeit" in found[0].message


def test_display_and_get_ipython_are_notebook_only() -> None:
    result = extraction(
        ("code", "def show(x):\n    display(x)\n", ["export"]),
        ("code", "ip = get_ipython()", ["main"]),
    )
    assert [(p.cell, p.line, p.code) for p in result.problems] == [
        (0, 2, "notebook-only"),
        (1, 1, "notebook-only"),
    ]
    assert "display()" in result.problems[0].hint


def test_undefined_name_in_main_points_at_the_untagged_cell_defining_it() -> None:
    result = extraction(
        ("code", "df = load()", []),
        ("code", "def load():\n    return [1]", ["export"]),
        ("code", "x = 1\nsummary = len(df)", ["main"]),
    )
    problem = only(result.problems, "undefined-name")
    assert (problem.cell, problem.line) == (2, 2)
    assert "'df'" in problem.message
    assert "Cell 1 defines it but is not exported" in problem.hint


def test_a_cell_refused_for_its_module_is_one_problem_not_one_per_name_it_defines() -> None:
    """A cell exported to a module the package writes itself (service.py here, which would
    replace it) is refused; the cells using its names are not told to tag it."""
    result = extraction(
        ("code", "def helper() -> int:\n    return 1", ["export:service"]),
        ("code", "def predict(x: int) -> int:\n    return x + helper()", ["export", "serve"]),
        ("code", "y = helper()", ["main"]),
    )
    assert [(p.cell, p.code) for p in result.problems] == [(0, "module-name")]
    assert "def helper" not in result.files["src/pkg/service.py"]


def test_undefined_name_in_test_and_in_exported_code() -> None:
    result = extraction(
        ("code", "def f():\n    return helper()", ["export"]),
        ("code", "assert f() == expected", ["test"]),
    )
    assert [(p.cell, p.line, p.code) for p in result.problems] == [
        (0, 2, "undefined-name"),
        (1, 1, "undefined-name"),
    ]
    assert "Nothing exported defines it" in result.problems[1].hint


def test_names_of_runs_own_are_refused_in_parameters_and_main_cells() -> None:
    """The names run() keeps its own variables under (``_nbtools_…``): each name used by a
    parameters or main cell is one problem at the line binding or reading it."""
    result = extraction(
        ("code", "n = 3\n_nbtools_results = 1", ["parameters"]),
        ("code", "#| export\n_nbtools_free = 1", []),
        ("code", "y = n\nif y:\n    _nbtools_record = 2\nprint(_nbtools_other)", ["main"]),
    )
    assert [(p.cell, p.line, p.code) for p in result.problems] == [
        (0, 2, "reserved-name"),
        (2, 2, "reserved-name"),
        (2, 4, "reserved-name"),
    ]
    assert "'_nbtools_record' is a name of the generated run() itself" in (
        result.problems[1].message
    )


def test_public_names_the_package_binds_itself_are_refused_at_their_definition() -> None:
    """``import pkg`` binds run (the pipeline's), pipeline, service and each module: the main
    module may not export a name of these, whichever cell defines or lists it."""
    result = extraction(
        ("code", "def run() -> int:\n    return 1", ["export"]),
        ("code", "x = 1\npipeline = [1]\n_all_ = ['data']", ["export"]),
        ("code", "def service(x: int) -> int:\n    return x", ["export", "serve"]),
        ("code", "def load() -> int:\n    return 2", ["export:data.load"]),
        ("code", "n = 3", ["parameters"]),
        ("code", "record('n', n)", ["main"]),
    )
    assert [(p.cell, p.line, p.code) for p in result.problems] == [
        (0, 1, "reserved-name"),
        (1, 0, "reserved-name"),
        (1, 2, "reserved-name"),
        (2, 1, "reserved-name"),
    ]
    messages = [p.message for p in result.problems]
    assert messages[0] == (
        "The package cannot export 'run' from its main module core: 'pkg.run' is the "
        "pipeline's run()."
    )
    assert "'pkg.data' is the package's module data" in messages[1]
    assert "'pkg.pipeline' is the generated module pipeline.py" in messages[2]
    assert "'pkg.service' is the generated module service.py" in messages[3]
    init = result.files["src/pkg/__init__.py"]
    assert init.endswith('__all__ = ["x", "pipeline", "run", "service", "data"]\n')  # once each


def test_names_the_package_does_not_take_or_keeps_out_of_all_are_exported() -> None:
    """Without a pipeline nor a service, run, pipeline and service are free; a private name
    or an exporti cell stays out of __init__; a main cell may define its own run."""
    alone = extraction(
        ("code", "def run() -> int:\n    return 1\npipeline = service = 2", ["export"]),
    )
    assert alone.problems == []
    kept_out = extraction(
        ("code", "#| exporti\ndef run() -> int:\n    return 1\npipeline = 2", []),
        ("code", "n = 3", ["parameters"]),
        ("code", "def run(k):\n    return k\nrecord('n', run(n))", ["main"]),
    )
    assert kept_out.problems == []


def test_a_main_cell_reading_an_exported_run_is_refused() -> None:
    """In pipeline.py, 'run' is the generated function: an exported run (imported or
    defined in any module) would be hidden by it."""
    result = extraction(
        ("code", "from subprocess import run", ["export:tools"]),
        ("code", "n = 3", ["parameters"]),
        ("code", "done = run(['true'])\nrecord('n', n)", ["main"]),
    )
    problem = only(result.problems, "reserved-name")
    assert (problem.cell, problem.line) == (2, 1)
    assert "run as run_command" in problem.hint
    assert "from .tools import run" not in result.files["src/pkg/pipeline.py"]


def test_main_cells_see_parameters_exports_and_earlier_main_cells() -> None:
    result = extraction(
        ("code", "n = 3", ["parameters"]),
        ("code", "import json\ndef double(x):\n    return 2 * x", ["export"]),
        ("code", "value = double(n)", ["main"]),
        ("code", "text = json.dumps(value)\nrecord('text', text)", ["main"]),
        ("code", "assert double(n) == 6", ["test"]),
    )
    assert result.problems == []


def test_parameter_read_by_exported_code_is_reported() -> None:
    result = extraction(
        ("code", "rate = 0.1", ["parameters"]),
        ("code", "def grow(x):\n    return x * (1 + rate)", ["export"]),
    )
    problem = only(result.problems, "parameter-in-export")
    assert (problem.cell, problem.line) == (1, 2)
    assert "Pass rate to the function" in problem.hint


def test_parameters_are_assignments_and_imports() -> None:
    result = extraction(
        ("code", "a = 1\nb = a + 1\nimport os\nc: list[int] = [1, 2]\nprint(a)", ["parameters"]),
        ("code", "print(a, b, c)", ["main"]),
    )
    assert [(p.line, p.code) for p in result.problems] == [(5, "parameter-not-assignment")]
    assert [(p.name, p.computed) for p in result.plan.parameters] == [
        ("a", None),
        ("b", "a + 1"),
        ("c", None),
    ]


def test_only_the_first_parameters_cell_declares_parameters() -> None:
    result = extraction(
        ("code", "a = 1", ["parameters"]),
        ("code", "b = 2", ["parameters"]),
        ("code", "print(a)", ["main"]),
    )
    problem = only(result.problems, "parameters-cell-twice")
    assert (problem.cell, problem.line) == (1, 1)
    assert "cell 1" in problem.hint
    assert [p.name for p in result.plan.parameters] == ["a"]


def test_a_computed_default_reading_an_unknown_name_is_reported() -> None:
    result = extraction(("code", "day = today()", ["parameters"]), ("code", "day", ["main"]))
    problem = only(result.problems, "undefined-name")
    assert (problem.cell, problem.line) == (0, 1)


def test_main_name_used_by_a_test_and_star_imports_in_main() -> None:
    result = extraction(
        ("code", "from math import *\ntotal = 5", ["main"]),
        ("code", "assert total == 5", ["test"]),
    )
    assert [(p.cell, p.code) for p in result.problems] == [
        (0, "star-import"),
        (1, "main-name-in-test"),
    ]


def test_no_exported_cells_says_how_to_tag() -> None:
    with pytest.raises(InvalidInputError, match=r"no exported cells.*Tag the cells"):
        extraction(("code", "x = 1", []), ("code", "y = 2", ["parameters"]))


def test_no_cell_left_to_export_says_why_each_tagged_one_was_refused() -> None:
    """A notebook whose only tagged cells were refused is told their problems, not how to
    tag cells: a check that failed, with the problems as a notebook with one cell left to
    export has them (it was bad input, with the problems joined in one string)."""
    with pytest.raises(CheckFailedError) as raised:
        extraction(("code", "x = 1", ["export:__init__"]), ("code", "y = 2", ["export", "main"]))
    assert raised.value.message == (
        "The notebook has no cell that can be exported:\n"
        "error: cell 1: The cell cannot be exported: '__init__' is a module the generated "
        "package writes itself. Export it to a module of another name: the package writes "
        "__init__.py, __main__.py, pipeline.py, service.py itself.\n"
        "error: cell 2: The cell is tagged both export and main. A cell has one role: remove "
        "all but one of these tags."
    )
    assert [(p["cell"], p["code"]) for p in raised.value.details["problems"]] == [
        (0, "module-name"),
        (1, "conflicting-roles"),
    ]


def test_invalid_package_name_suggests_a_valid_one() -> None:
    with pytest.raises(InvalidInputError, match="Try 'my_pkg'") as info:
        extraction(("code", "x = 1", ["export"]), package="my-pkg")
    assert info.value.details["suggestion"] == "my_pkg"
    with pytest.raises(InvalidInputError, match="standard-library"):
        extraction(("code", "x = 1", ["export"]), package="json")


def test_a_name_a_star_import_may_provide_is_a_warning_at_its_cell_and_line() -> None:
    result = extraction(
        ("code", "from math import *\n\ndef area(r):\n    return pi * r ** 2", ["export"]),
        ("code", "x = 1\nprint(sqrt(x))", ["main"]),
        ("code", "assert floor(area(1)) == 3", ["test"]),
        ("code", "print(undefined_anywhere)", []),
    )
    found = [(p.cell, p.line, p.code, p.severity) for p in result.problems]
    assert found == [
        (0, 4, "name-from-star-import", "warning"),
        (1, 2, "name-from-star-import", "warning"),
        (2, 1, "name-from-star-import", "warning"),
    ]
    assert result.errors == []
    assert "'from math import *' (cell 1) may provide it" in result.problems[1].message
    assert "'sqrt'" in result.problems[1].message
    assert "from .core import sqrt" in result.files["src/pkg/pipeline.py"]
    assert "from pkg.core import area, floor" in result.files["tests/test_pkg.py"]


def test_a_star_import_nested_in_a_try_may_provide_names_like_a_top_level_one() -> None:
    result = extraction(
        ("code", "x = 1", ["export"]),
        (
            "code",
            "try:\n    from cmath import *\nexcept ImportError:\n    from math import *\n\n"
            "def area(r):\n    return pi * r ** 2",
            ["export:geometry"],
        ),
        ("code", "print(sqrt(2))", ["main"]),
    )
    found = [(p.cell, p.line, p.code, p.severity) for p in result.problems]
    assert found == [
        (1, 7, "name-from-star-import", "warning"),
        (2, 1, "name-from-star-import", "warning"),
    ]
    assert "'from cmath import *' (cell 2) may provide it" in result.problems[1].message
    assert "from .geometry import sqrt" in result.files["src/pkg/pipeline.py"]


def test_without_a_star_import_an_unknown_name_is_still_an_error() -> None:
    found = problems(
        ("code", "import math\n\ndef area(r):\n    return pi * r ** 2", ["export"]),
        ("code", "print(sqrt(2))", ["main"]),
    )
    assert found == [(0, 4, "undefined-name"), (1, 1, "undefined-name")]


def test_a_star_import_in_an_untagged_cell_provides_nothing_to_the_package() -> None:
    found = problems(
        ("code", "from math import *", []),
        ("code", "def area(r):\n    return pi * r ** 2", ["export"]),
    )
    assert found == [(1, 2, "undefined-name")]


def chain(terms: int) -> str:
    """An expression nested ``terms`` levels deep: ``1 + 1 + … + 1``."""
    return " + ".join(["1"] * terms)


#: A chain of unary operators overflowing Python's parser (a MemoryError from ast.parse).
UNARY = "-" * 100_000 + "1"


@pytest.mark.parametrize(
    "expression",
    [
        chain(2000),  # Python compiles it; the name analysis would exceed the recursion limit
        chain(4000),  # beyond what Python itself compiles
        UNARY,  # beyond what Python's parser reads: it was a MemoryError, a crash
    ],
)
def test_a_cell_nested_too_deeply_is_a_problem_at_the_cell_not_a_crash(expression: str) -> None:
    result = extraction(
        ("code", f"#| export\nTOTAL = {expression}", []),
        ("code", f"unused = {expression}", []),  # read for hints, skipped quietly
        ("code", "#| export\ndef f():\n    return missing", []),
    )
    assert [(p.cell, p.line, p.code) for p in result.problems] == [
        (0, 2, "too-deep"),
        (2, 3, "undefined-name"),
    ]
    assert "Split it" in only(result.problems, "too-deep").hint


def test_a_cell_with_ipython_syntax_nested_too_deeply_is_a_problem_at_the_cell() -> None:
    """The IPython line is reported, and the rest, read without it, is too deep."""
    found = problems(("code", f"#| export\n%time f()\nTOTAL = {UNARY}", []))
    assert found == [(0, 2, "notebook-only"), (0, 2, "too-deep")]


def test_hundreds_of_levels_are_analysed() -> None:
    result = extraction(("code", f"#| export\nTOTAL = {chain(900)}", []))
    assert result.problems == []
    assert "TOTAL" in result.files["src/pkg/core.py"]


@pytest.mark.parametrize("expression", [chain(400), UNARY])
def test_a_parameter_default_too_deep_to_read_is_a_problem_at_its_cell(expression: str) -> None:
    found = problems(
        ("code", f"days = {expression}", ["parameters"]),
        ("code", "print(days)", ["main"]),
    )
    assert (0, 1, "too-deep") in found


def test_extraction_leaves_the_garbage_collector_as_it_found_it() -> None:
    """The collector is paused during an extraction only: on again after it, also after an
    error, and still off if the caller had turned it off."""
    cells = ("code", "x = 1", ["export"])
    assert gc.isenabled()
    extraction(cells)
    assert gc.isenabled()
    with pytest.raises(InvalidInputError):
        extraction(cells, package="json")
    assert gc.isenabled()
    gc.disable()
    try:
        extraction(cells)
        assert not gc.isenabled()
    finally:
        gc.enable()


@pytest.mark.parametrize("option", sorted(OWN_OPTIONS))
def test_a_parameter_whose_option_is_the_command_lines_own_is_refused(option: str) -> None:
    """``help`` would be ``--help``, argparse's own: ``python -m pkg`` could not start."""
    name = option.removeprefix("--").replace("-", "_")
    result = extraction(
        ("code", f"days = 3\n{name}: int = 1", ["parameters"]),
        ("code", f"print(days, {name})", ["main"]),
    )
    problem = only(result.problems, "reserved-name")
    assert (problem.cell, problem.line) == (0, 2)
    assert f"parameter '{name}'" in problem.message
    assert f"option {option} is the command's own" in problem.message
    assert f"Rename the parameter ({name}_value" in problem.hint


@pytest.mark.parametrize("name", ["h", "helper", "help_", "Help", "version"])
def test_a_parameter_near_the_command_lines_own_options_is_an_option(name: str) -> None:
    result = extraction(
        ("code", f"{name} = 1", ["parameters"]), ("code", f"print({name})", ["main"])
    )
    assert result.problems == []
    assert f'"{option_name(name)}",\n        dest="{name}"' in result.files["src/pkg/__main__.py"]
