"""``#| serve`` / the ``serve`` tag: which functions become endpoints, and what is refused."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from nbtools.export.api import ExtractRequest, run_extract
from tests.conftest import NotebookFactory
from tests.unit.export_helpers import (
    extraction,
    install_console_scripts,
    only,
    problems,
)

REPO = Path(__file__).resolve().parents[2]
PREDICT = "def predict(x: float, k: int = 2) -> float:\n    return x * k"
CLASHING = (
    "def json(text: str = 'a') -> str:\n    return text\n\n"
    "def client(n: int = 1) -> int:\n    return n\n\n"
    "def tally(_x: int, model_config: int = 1, keys: list[str] | None = None) -> int:\n"
    "    return _x + model_config + len(keys or [])"
)


def test_the_directive_exports_and_serves_every_public_function_of_the_cell() -> None:
    found = extraction(
        ("code", f"#| serve\n{PREDICT}\n\ndef _helper() -> None:\n    pass", []),
        ("code", "def other(y: str) -> str:\n    return y", ["export"]),
    )
    assert [(s.name, s.module, s.all_defaults) for s in found.served] == [
        ("predict", "core", False)
    ]
    service = found.files["src/pkg/service.py"]
    assert '"predict": "pkg.core:predict",' in service
    assert 'app = create_app("pkg", ENDPOINTS)' in service
    assert "#| serve" not in found.files["src/pkg/core.py"]
    ast.parse(found.files["tests/test_pkg_service.py"])


def test_the_tag_on_an_export_cell_serves_into_its_module() -> None:
    found = extraction(("code", PREDICT, ["export:model", "serve"]))
    assert [(s.name, s.module) for s in found.served] == [("predict", "model")]
    assert '"pkg.model:predict"' in found.files["src/pkg/service.py"]


def test_serve_on_a_main_cell_serves_the_pipeline_as_run() -> None:
    found = extraction(
        ("code", "n = 3", ["parameters"]),
        ("code", "total = n * 2", ["main", "serve"]),
    )
    assert [(s.name, s.module, s.all_defaults) for s in found.served] == [("run", "pipeline", True)]
    main = found.files["src/pkg/__main__.py"]
    assert 'if args[:1] == ["serve"]:' in main
    pyproject = found.files["pyproject.toml"]
    assert "serve = [" in pyproject
    assert '"uvicorn>=0.54"' in pyproject
    assert '"httptools>=0.6"' in pyproject
    assert "\"uvloop>=0.19; sys_platform != 'win32'" in pyproject
    assert '".nbtools-extract.json" = "pkg/.nbtools-extract.json"' in pyproject


def test_a_notebook_serving_nothing_gets_no_service() -> None:
    found = extraction(("code", PREDICT, ["export"]), ("code", "y = predict(1.0)", ["main"]))
    assert found.served == ()
    assert "src/pkg/service.py" not in found.files
    assert "serve = [" not in found.files["pyproject.toml"]
    assert "import sys" not in found.files["src/pkg/__main__.py"]


def test_a_package_without_a_pipeline_gets_a_serve_only_main() -> None:
    found = extraction(("code", PREDICT, ["export", "serve"]))
    main = found.files["src/pkg/__main__.py"]
    assert 'if args[:1] != ["serve"]:' in main
    assert "[project.scripts]" not in found.files["pyproject.toml"]


@pytest.mark.parametrize("serves", [True, False], ids=["serving", "serving nothing"])
def test_a_failed_import_is_python_s_own_unless_the_package_s_serve_command_imports_it(
    notebook_factory: NotebookFactory, tmp_path: Path, serves: bool
) -> None:
    """Imported any other way, or run as its pipeline (``python -m`` or the console script),
    the package raises as Python does: its traceback names the notebook's line, exit 1; so
    does a package serving nothing for any command, and the serve command where nbtools is
    not installed. (Its serve command: exit 3 and one log entry,
    tests/integration/serve/test_import_failure.py.)"""
    failing = "raise FileNotFoundError('model.bin is missing')"
    cells = [
        ("code", failing, ["export"]),
        ("code", "n = 1", ["parameters"]),
        ("code", PREDICT, ["export", "serve"] if serves else ["export"]),
        ("code", "y = n", ["main"]),
    ]
    out = tmp_path / "pkg"
    run_extract(ExtractRequest(notebook_factory("broken.ipynb", cells), out, mode="write"))
    init = (out / "src" / "broken" / "__init__.py").read_text()
    held = (
        "with importing(__name__):\n    from .core import predict\n    from .pipeline import run\n"
    )
    assert (held in init) == serves
    assert ("from nbtools.serve import importing" in init) == serves
    site = install_console_scripts(out, tmp_path / "installed")
    script = str(tmp_path / "installed" / "bin" / "broken")
    package_path = [str(site), str(out / "src")]
    with_nbtools = {**os.environ, "PYTHONPATH": os.pathsep.join([*package_path, str(REPO)])}
    without = {**os.environ, "PYTHONPATH": os.pathsep.join(package_path)}
    commands = [
        ([sys.executable, "-c", "import broken"], with_nbtools),
        ([sys.executable, "-m", "broken", "--n", "2"], with_nbtools),
        ([sys.executable, "-m", "broken"], with_nbtools),
        ([script, "--n", "2"], with_nbtools),
        ([script], with_nbtools),
        # no site-packages, this checkout not on the path: nbtools is not installed
        ([sys.executable, "-S", "-m", "broken", "serve"], without),
    ]
    if not serves:
        commands += [([sys.executable, "-m", "broken", "serve"], with_nbtools)]
        commands += [([script, "serve"], with_nbtools)]
    for command, env in commands:
        ended = subprocess.run(
            command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
        )
        assert ended.returncode == 1, (command, ended.stderr)
        assert ended.stderr.startswith("Traceback (most recent call last):"), ended.stderr
        assert f'{out / "src" / "broken" / "core.py"}", line ' in ended.stderr
        assert ended.stderr.endswith("FileNotFoundError: model.bin is missing\n")
        assert "During handling" not in ended.stderr
        assert "nbtools.serve" not in ended.stderr


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        ("def f(x) -> int:\n    return 1", "serve-annotation"),
        ("def f(*xs: int) -> int:\n    return 1", "serve-signature"),
        ("def f(x: int, /) -> int:\n    return x", "serve-signature"),
        ("def f(**kw: int) -> int:\n    return 1", "serve-signature"),
        ("def metrics(x: int) -> int:\n    return x", "serve-name"),
        ("X = 1", "serve-no-function"),
        # a generator: every call was a 500 (the result, a generator, is no JSON)
        ("def f(n: int) -> int:\n    yield n", "serve-generator"),
        ("def f(n: int) -> int:\n    if n:\n        yield from range(n)", "serve-generator"),
        ("async def f(n: int) -> int:\n    yield n", "serve-generator"),
    ],
)
def test_what_cannot_be_served_is_a_problem_at_its_cell_and_line(code: str, problem: str) -> None:
    found = problems(("code", "x = 1", []), ("code", f"#| serve\n{code}", []))
    assert (1, 2 if problem != "serve-no-function" else 0, problem) in found


def test_the_same_name_served_twice_and_a_test_cell_marked_serve_are_refused() -> None:
    found = extraction(
        ("code", PREDICT, ["export", "serve"]),
        ("code", PREDICT, ["export:other", "serve"]),
        ("code", "assert predict(1.0) == 2.0", ["test", "serve"]),
    )
    assert "by another function" in only(found.problems, "serve-name").message
    assert only(found.problems, "serve-test-cell").cell == 2
    assert [s.name for s in found.served] == ["predict"]


def test_a_served_function_named_run_clashes_with_the_pipeline() -> None:
    found = extraction(
        ("code", "def run(x: int) -> int:\n    return x", ["export", "serve"]),
        ("code", "y = 1", ["main", "serve"]),
    )
    assert "takes the pipeline's path /run" in only(found.problems, "serve-name").message


def test_the_generated_service_tests_pass_and_check_mode_compares_the_service(
    notebook_factory: NotebookFactory, tmp_path: Path
) -> None:
    notebook = notebook_factory(
        "scorer.ipynb",
        [
            ("code", PREDICT, ["export", "serve"]),
            ("code", "def ping() -> str:\n    return 'pong'", ["export", "serve"]),
            ("code", "def echo(words: list[str]) -> list[str]:\n    return words", []),
            ("code", "#| serve\n" + "def shout(word: str) -> str:\n    return word.upper()", []),
            (
                "code",
                "assert predict(1.5, k=3) == 4.5\nassert shout('a') == 'A'\n"
                "assert tally(1, model_config=2, keys=['a']) == 4",
                ["test"],
            ),
            # named as the generated tests' own names (json, the test client), and with
            # parameters named as pydantic's own (each is a field of the body all the same)
            ("code", CLASHING, ["export:names", "serve"]),
        ],
    )
    out = tmp_path / "pkg"
    run_extract(ExtractRequest(notebook, out, mode="write"))
    tests = (out / "tests" / "test_scorer_service.py").read_text()
    assert 'bind(*[1.5], **{"k": 3})' in tests
    assert "def test_endpoint_ping" in tests
    assert "def test_endpoint_shout" in tests
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=out,
        env={**os.environ, "PYTHONPATH": str(REPO)},  # this checkout's nbtools
        capture_output=True,
        text=True,
        check=False,
    )
    assert """bind(*[1], **{"model_config": 2, "keys": ['a']})""" in tests
    # the test cell, readiness and six endpoints
    assert "8 passed" in result.stdout, result.stdout + result.stderr
    (out / "src" / "scorer" / "service.py").write_text("app = None\n")
    check = run_extract(ExtractRequest(notebook, out, mode="check"))
    served = check.to_dict()["served"]
    assert [(s["path"], s["module"], s["cell"]) for s in served] == [
        ("/predict", "core", 0),
        ("/ping", "core", 1),
        ("/shout", "core", 3),
        ("/json", "names", 5),
        ("/client", "names", 5),
        ("/tally", "names", 5),
    ]
    assert [c.path for c in check.changes if c.status != "unchanged"] == ["src/scorer/service.py"]


def test_a_function_whose_inner_function_yields_is_served() -> None:
    """Only the served function's own ``yield`` makes it a generator."""
    code = (
        "#| serve\ndef f(n: int) -> list[int]:\n    def inner():\n        yield n\n"
        "    squares = (i * i for i in range(n))\n    return [*inner(), *squares]"
    )
    found = extraction(("code", code, []))
    assert found.problems == []
    assert [s.name for s in found.served] == ["f"]
