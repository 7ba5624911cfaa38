"""The package's command line (``python -m PKG``) describes and takes the parameters as a
job does: each option's help is its line's comment, and a list or dict option takes JSON of
that type only."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from nbtools.jobs.errors import InvalidParameterError
from nbtools.jobs.parameters import parse_cli_value
from nbtools.parameters import read_parameters
from nbtools.pycode import parse_code
from tests.conftest import NotebookFactory
from tests.unit.export_helpers import extraction
from tests.unit.test_cli import run_cli

PARAMETERS = (
    "rows = 3  # how many rows, 100% of them\n"
    "names = ['a', 'b']  # who to greet\n"
    "weights = {'a': 1}\n"
    "anything = None\n"
)
CELLS = (
    ("code", PARAMETERS, ["parameters"]),
    ("code", "record('seen', [rows, names, weights, anything])", ["main"]),
)


def run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pkg", *args],
        cwd=root / "src",
        capture_output=True,
        text=True,
        check=False,
    )


def written(root: Path, cells: tuple[tuple[str, str, list[str]], ...] = CELLS) -> Path:
    for path, text in extraction(*cells).files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    return root


def test_an_option_s_help_is_its_parameter_s_comment(tmp_path: Path) -> None:
    """The comment, which the job form shows as the parameter's hint, was missing from
    ``--help``: it said ``rows (default: 3)``."""
    shown = run(written(tmp_path), "--help")
    assert shown.returncode == 0, shown.stderr
    help_text = " ".join(shown.stdout.split())
    assert "--rows ROWS how many rows, 100% of them (default: 3)" in help_text
    assert '--names NAMES who to greet (default: ["a", "b"]) as JSON' in help_text
    assert '--weights WEIGHTS weights (default: {"a": 1}) as JSON' in help_text


def test_a_list_or_dict_option_refuses_json_of_another_type_as_a_job_does(
    tmp_path: Path,
) -> None:
    """``--names '{"a": 1}'`` ran the pipeline with a dict where the notebook has a list."""
    root = written(tmp_path)
    declared = {p.name: p for p in read_parameters(parse_code(PARAMETERS), PARAMETERS).parameters}
    for name, given in (("names", '{"a": 1}'), ("weights", "[1]"), ("names", "5")):
        refused = run(root, f"--{name}", given)
        assert refused.returncode == 2
        with pytest.raises(InvalidParameterError) as job:
            parse_cli_value(declared[name], given)
        job_says = str(job.value).removeprefix(f"Parameter {name!r} ").removesuffix(".")
        assert f"argument --{name}: {job_says}" in refused.stderr
    taken = run(root, "--names", '["x"]', "--weights", '{"b": 2}', "--anything", "[1]")
    assert taken.returncode == 0, taken.stderr
    assert json.loads(taken.stdout) == {"seen": [3, ["x"], {"b": 2}, [1]]}


INFINITE = (
    ("code", "growth = 1e999  # how fast\nfloor: float = -1e999", ["parameters"]),
    ("code", "record('seen', [growth, floor])", ["main"]),
)


def test_an_infinite_default_is_written_as_python_reads_it(tmp_path: Path) -> None:
    """``growth = 1e999`` (an infinity) was written ``growth: float = inf`` in ``run()`` and
    ``default=inf`` in ``__main__.py``: the package failed at import with a NameError."""
    root = written(tmp_path, INFINITE)
    ran = run(root)
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout) == {"seen": [float("inf"), float("-inf")]}
    shown = " ".join(run(root, "--help").stdout.split())
    assert "--growth GROWTH how fast (default: inf)" in shown
    given = run(root, "--growth", "2.5", "--floor=-inf")  # as the README's example writes it
    assert json.loads(given.stdout) == {"seen": [2.5, float("-inf")]}
    assert "python -m pkg --growth inf --floor=-inf" in (root / "README.md").read_text()


def test_the_extraction_report_shows_an_infinite_default_as_a_job_takes_it(
    notebook_factory: NotebookFactory, tmp_path: Path
) -> None:
    """``nbtools extract --json`` showed ``"default": null`` (JSON has no infinity), as jobs'
    ``GET parameters`` did: now ``"inf"``, the value ``-p growth=inf`` gives."""
    nb = notebook_factory("growth.ipynb", list(INFINITE))
    result = run_cli("extract", str(nb), "-o", str(tmp_path / "out"), "--check", "--json")
    shown = {p["name"]: p["default"] for p in json.loads(result.stdout)["parameters"]}
    assert shown == {"growth": "inf", "floor": "-inf"}
