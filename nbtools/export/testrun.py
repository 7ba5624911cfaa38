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
from collections.abc import Mapping
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
    # The report was just written by the pytest run we started: trusted input.
    for case in ElementTree.parse(junit).getroot().iter("testcase"):  # noqa: S314
        name = case.get("name", "")
        match = _TEST_CELL.match(name)
        # a test's number is its cell's in the notebook its file was written from
        mapped = case.get("classname", "").replace(".", "/") + ".py" in files
        cell = int(match.group(1)) - 1 if match and mapped else None
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


def run_tests(
    out: Path, files: dict[str, str], cells: Mapping[int, Cell], venv: bool = False
) -> TestReport:
    """Run ``out``'s tests; ``files`` (path → text) and the ``cells`` they hold (by index)
    map failures back to notebook cells and lines: only files of ``out`` as they are on disk
    map there (a test of another file names no cell, a failure the innermost frame of these
    files)."""
    if not venv and importlib.util.find_spec("pytest") is None:
        raise InvalidInputError(
            "pytest is not installed in this environment: pip install pytest, or use --venv.",
            field="venv",
        )
    with tempfile.TemporaryDirectory(prefix="nbtools-test-") as scratch:
        try:  # nothing these commands start outlives this process (killed, interrupted)
            python = _make_venv(out, Path(scratch) / "venv") if venv else Path(sys.executable)
            junit = Path(scratch) / "junit.xml"
            # Plain text: the report carries the output to JSON readers and the UI (no ANSI).
            command = [str(python), "-m", "pytest", "-q", "--color=no", "-p", "no:cacheprovider"]
            command += ["--junitxml", str(junit), "-o", "junit_family=xunit2"]
            if venv:
                command += ["-o", "pythonpath="]
            completed = run_watched(command, cwd=out, env=_test_env(), timeout=TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired as expired:
            what = "The tests" if "pytest" in expired.cmd else "Preparing the fresh venv"
            raise CheckFailedError(
                f"{what} took longer than {TIMEOUT_SECONDS} s: every process involved was stopped."
            ) from None
        tests = _results(junit, files, cells)
    report = TestReport(
        tests, _tail(completed.stdout + completed.stderr), "venv" if venv else "current"
    )
    if completed.returncode not in (0, 1, 5) and report.ok:
        report.tests.append(
            TestResult("pytest", "error", None, None, f"pytest exited with {completed.returncode}")
        )
    return report
