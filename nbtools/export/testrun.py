"""Running the generated package's tests with pytest in a subprocess, reported per test.

By default pytest runs in the current environment against ``src/`` (the generated
``pyproject.toml`` sets ``pythonpath``); with ``venv=True`` a fresh virtual environment is made,
the package is installed into it with its dependencies and ``test`` extra, and pytest imports
the installed package.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from nbtools.errors import CheckFailedError, InvalidInputError
from nbtools.export.model import Cell
from nbtools.export.sourcemap import Location, locate_in_traceback
from nbtools.processes import run_watched

#: How long the tests (and a --venv install) may take before they are stopped.
TIMEOUT_SECONDS = 900
_TEST_CELL = re.compile(r"^test_cell_(\d+)$")


class TestResult(NamedTuple):
    """One test: its outcome, its source cell, and where in the notebook a failure points."""

    name: str
    outcome: str  # passed, failed, error, skipped
    cell: int | None
    cell_id: str | None
    message: str = ""
    location: Location | None = None
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        where = self.location
        return {
            "name": self.name,
            "outcome": self.outcome,
            "cell": self.cell,
            "cell_id": self.cell_id,
            "message": self.message,
            "failure_cell": where.cell if where else None,
            "failure_cell_id": where.cell_id if where else None,
            "failure_line": (where.line or None) if where else None,
            "seconds": round(self.seconds, 3),
        }


@dataclass
class TestReport:
    """All tests of a run, and pytest's output for what the per-test view does not show."""

    tests: list[TestResult] = field(default_factory=list)
    output: str = ""
    environment: str = "current"

    @property
    def ok(self) -> bool:
        return all(t.outcome in ("passed", "skipped") for t in self.tests)

    def counts(self) -> dict[str, int]:
        counts = {"passed": 0, "failed": 0, "error": 0, "skipped": 0}
        for test in self.tests:
            counts[test.outcome] += 1
        return counts

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "environment": self.environment,
            "counts": self.counts(),
            "tests": [t.to_dict() for t in self.tests],
            "output": self.output,
        }


def _tail(text: str, lines: int = 60) -> str:
    return "\n".join(text.splitlines()[-lines:])


def _make_venv(out: Path, directory: Path) -> Path:
    """A fresh venv in ``directory`` with the package in ``out`` and its ``test`` extra
    installed: pip is given the package's absolute path, never a name it would look up on an
    index (``solo[test]`` is PyPI's project ``solo``; ``/abs/solo[test]`` the directory)."""
    made = run_watched([sys.executable, "-m", "venv", str(directory)], timeout=TIMEOUT_SECONDS)
    if made.returncode != 0:
        raise CheckFailedError(f"Making a fresh venv failed: {_tail(made.stderr, 20)}")
    python = directory / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    install = run_watched(
        [str(python), "-m", "pip", "install", "--quiet", f"{out.resolve()}[test]"],
        timeout=TIMEOUT_SECONDS,
    )
    if install.returncode != 0:
        raise CheckFailedError(
            "Installing the package into a fresh venv failed: "
            f"{_tail(install.stderr or install.stdout, 20)}",
            output=install.stderr,
        )
    return python


def _results(junit: Path, files: dict[str, str], cells: Mapping[int, Cell]) -> list[TestResult]:
    if not junit.is_file():
        return []
    results = []
    tests = {cell.test_name: cell.index for cell in cells.values()}
    # The report was just written by the pytest run we started: trusted input.
    for case in ElementTree.parse(junit).getroot().iter("testcase"):  # noqa: S314
        name = case.get("name", "")
        match = _TEST_CELL.match(name)
        # a test's number is its cell's in the notebook its file was written from
        mapped = case.get("classname", "").replace(".", "/") + ".py" in files
        numbered = int(match.group(1)) - 1 if match else None
        cell = tests.get(name, numbered) if mapped else None
        outcome, message, location = "passed", "", None
        for child in case:
            if child.tag in ("failure", "error", "skipped"):
                outcome = {"failure": "failed"}.get(child.tag, child.tag)
                message = child.get("message", "") or ""
                location = locate_in_traceback(child.text or "", files, cells)
        results.append(
            TestResult(
                name,
                outcome,
                cell,
                cells[cell].id if cell is not None and cell in cells else None,
                message,
                location,
                float(case.get("time", "0") or 0),
            )
        )
    return results


def _test_env() -> dict[str, str]:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    env.pop("PYTHONPATH", None)
    # They override --color=no, and coloured failures are not mapped back to their cells.
    for forcing in ("PY_COLORS", "FORCE_COLOR"):
        env.pop(forcing, None)
    return env


#: The module importing each module named on its command line after a directory to import
#: from first (none: ""), in turn; the first failing is named on stdout, its traceback on
#: stderr. Written to the tests' scratch directory, run with ``python -m`` as every tool here.
_IMPORT_EACH = "_nbtools_import_each"
_IMPORT_EACH_CODE = """import importlib, sys, traceback
if sys.argv[1]:
    sys.path.insert(0, sys.argv[1])
for name in sys.argv[2:]:
    try:
        importlib.import_module(name)
    except BaseException:
        print(name)
        traceback.print_exc()
        sys.exit(1)
"""


def package_modules(files: Iterable[str]) -> list[str]:
    """The modules made from the notebook's cells, among the package's ``files`` (paths):
    ``PKG``, its subpackages and modules, ``PKG.pipeline``; not ``__main__`` or ``service``,
    nbtools' own wrappers (the service needs its extra; its tests import it)."""
    modules = []
    for path in sorted(files):
        parts = path.removesuffix(".py").split("/")
        if parts[0] != "src" or not path.endswith(".py") or len(parts) < 3:
            continue
        if len(parts) == 3 and parts[2] in ("__main__", "service"):
            continue
        modules.append(".".join(parts[1:-1] if parts[-1] == "__init__" else parts[1:]))
    return modules


def _import_each(
    python: Path, out: Path, modules: Sequence[str], venv: bool, scratch: Path
) -> subprocess.CompletedProcess[str] | None:
    """Import ``modules`` with ``python``: from ``out``'s ``src`` unless the venv has the
    package installed."""
    if not modules:
        return None
    (scratch / f"{_IMPORT_EACH}.py").write_text(_IMPORT_EACH_CODE, encoding="utf-8")
    command = [str(python), "-m", _IMPORT_EACH, "" if venv else "src", *modules]
    env = {**_test_env(), "PYTHONPATH": str(scratch)}
    return run_watched(command, cwd=out, env=env, timeout=TIMEOUT_SECONDS)


def _import_failure(
    completed: subprocess.CompletedProcess[str] | None,
    files: dict[str, str],
    cells: Mapping[int, Cell],
) -> TestResult | None:
    """The error of the first module failing to import (:data:`_IMPORT_EACH`), if any."""
    if completed is None or completed.returncode == 0:
        return None
    module = completed.stdout.strip() or "the package"
    lines = completed.stderr.strip().splitlines()
    location = locate_in_traceback(completed.stderr, files, cells)
    return TestResult(
        f"import {module}",
        "error",
        None,
        None,
        lines[-1] if lines else f"exited with {completed.returncode}",
        location,
    )


def run_tests(
    out: Path,
    files: dict[str, str],
    cells: Mapping[int, Cell],
    venv: bool = False,
    modules: Sequence[str] = (),
) -> TestReport:
    """Run ``out``'s tests; ``files`` (path → text) and the ``cells`` they hold (by index)
    map failures back to notebook cells and lines: only files of ``out`` as they are on disk
    map there (a test of another file names no cell, a failure the innermost frame of these
    files). First, each of ``modules`` (:func:`package_modules`) is imported, as the package's
    users import it: one failing is an error result, with no test cells too."""
    if not venv and importlib.util.find_spec("pytest") is None:
        raise InvalidInputError(
            "pytest is not installed in this environment: pip install pytest, or use --venv.",
            field="venv",
        )
    with tempfile.TemporaryDirectory(prefix="nbtools-test-") as scratch:
        try:  # nothing these commands start outlives this process (killed, interrupted)
            python = _make_venv(out, Path(scratch) / "venv") if venv else Path(sys.executable)
            imported = _import_each(python, out, modules, venv, Path(scratch))
            junit = Path(scratch) / "junit.xml"
            # Plain text: the report carries the output to JSON readers and the UI (no ANSI).
            command = [str(python), "-m", "pytest", "-q", "--color=no", "-p", "no:cacheprovider"]
            command += ["--junitxml", str(junit), "-o", "junit_family=xunit2"]
            if venv:
                command += ["-o", "pythonpath="]
            completed = run_watched(command, cwd=out, env=_test_env(), timeout=TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired as expired:
            preparing = "venv" in expired.cmd or "pip" in expired.cmd  # python -m venv, pip
            what = "Preparing the fresh venv" if preparing else "The tests"
            raise CheckFailedError(
                f"{what} took longer than {TIMEOUT_SECONDS} s: every process involved was stopped."
            ) from None
        tests = _results(junit, files, cells)
    failed_import = _import_failure(imported, files, cells)
    if failed_import is not None:
        tests.insert(0, failed_import)
    output = completed.stdout + completed.stderr
    if failed_import is not None and imported is not None:
        output += imported.stderr
    report = TestReport(tests, _tail(output), "venv" if venv else "current")
    if completed.returncode not in (0, 1, 5) and report.ok:
        report.tests.append(
            TestResult("pytest", "error", None, None, f"pytest exited with {completed.returncode}")
        )
    return report
