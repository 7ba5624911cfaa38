"""``requires-python`` and the standard library agree: a module only some supported Pythons
have is standard library everywhere, and the package is for the Pythons that have it."""

from __future__ import annotations

import sys

import pytest

from nbtools.export.naming import suggest_package_name
from tests.unit.export_helpers import extraction, only


def requires_python(code: str) -> str:
    pyproject = extraction(("code", code, ["export"])).files["pyproject.toml"]
    (line,) = (line for line in pyproject.splitlines() if line.startswith("requires-python"))
    return line.removeprefix("requires-python = ")


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("import json", '">=3.10"'),
        # tomllib is 3.11's: it added no dependency, and the package said >=3.10
        ("import tomllib\ndef load(text):\n    return tomllib.loads(text)", '">=3.11"'),
        ("from tomllib import loads", '">=3.11"'),
        ("import imp", '">=3.10,<3.12"'),
        ("import cgi, tomllib", '">=3.11,<3.13"'),
        ("import distutils.util, telnetlib", '">=3.10,<3.12"'),
        ("import annotationlib", '">=3.14"'),
    ],
)
def test_requires_python_is_what_the_standard_library_imports_need(
    code: str, expected: str
) -> None:
    assert requires_python(code) == expected


def test_a_module_of_another_python_s_standard_library_is_no_dependency() -> None:
    """Whichever Python runs nbtools: this one may lack annotationlib (3.14) or imp (< 3.12)."""
    result = extraction(
        ("code", "import annotationlib\n\ndef f():\n    return annotationlib", ["export"]),
        ("code", "import imp\nassert f() is not imp", ["test"]),
    )
    assert result.dependencies == {}
    assert not [p for p in result.problems if p.code == "unresolved-import"]
    assert "annotationlib" not in sys.stdlib_module_names or "imp" not in sys.stdlib_module_names
    assert suggest_package_name("annotationlib") == "annotationlib_pkg"
    assert suggest_package_name("imp") == "imp_pkg"


def test_modules_no_python_has_together_are_an_error_at_the_newer_import() -> None:
    result = extraction(
        ("code", "import imp", ["export"]),
        ("code", "x = 1", ["export"]),
        ("code", "import annotationlib\nassert annotationlib", ["test"]),
    )
    problem = only(result.problems, "python-version")
    assert (problem.cell, problem.severity) == (2, "error")
    assert problem.message == (
        "No Python has both 'annotationlib' (in the standard library from Python 3.14) and "
        "'imp' (removed in Python 3.12): the package could run on none."
    )
