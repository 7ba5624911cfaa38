"""``nbtools run`` where a CI switching from papermill expects papermill's behaviour: values
typed as papermill reads them, and outputs that are no regular file."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import NotebookFactory, nbtools

pytestmark = pytest.mark.slow


def run_json(root: Path, *args: str) -> tuple[int, dict[str, Any]]:
    result = nbtools(root, "run", "--json", *args)
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)


def strict_json(text: str) -> Any:
    """``text`` read as a browser's ``JSON.parse`` reads it: ``NaN`` and ``Infinity`` refused."""

    def refuse(constant: str) -> Any:
        raise ValueError(f"{constant} is no JSON")

    return json.loads(text, parse_constant=refuse)


def test_none_true_and_false_given_to_a_none_parameter_are_those_values(
    tmp_path: Path, notebook_factory: NotebookFactory
) -> None:
    notebook_factory(
        "nb.ipynb", [("code", "none = None", ["parameters"]), ("code", "print(repr(none))", [])]
    )
    out = tmp_path / "o.ipynb"
    for text, printed in [("None", "None"), ("True", "True"), ("False", "False"), ("x", "'x'")]:
        code, model = run_json(tmp_path, "nb.ipynb", "-p", f"none={text}", "-o", str(out))
        assert code == 0, model
        assert json.loads(out.read_text())["cells"][-1]["outputs"][0]["text"] == [printed + "\n"]


def run_command(root: Path, *args: str, **options: Any) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "nbtools.cli.main", "--root", str(root), "run", *args]
    return subprocess.run(command, text=True, timeout=60, check=False, **options)


def test_an_output_that_is_no_regular_file_is_refused_before_the_run(
    tmp_path: Path, notebook_factory: NotebookFactory
) -> None:
    notebook_factory("nb.ipynb", [("code", "x = 1", [])])
    fifo = tmp_path / "ff"
    os.mkfifo(fifo)
    # in a process of its own: reading the pipe to tell an earlier output waited for a writer
    for args in (["-o", str(fifo)], ["-o", str(fifo), "--force"], ["-o", "/dev/null", "--force"]):
        refused = run_command(tmp_path, "nb.ipynb", *args, capture_output=True)
        assert refused.returncode == 2, refused.stderr
        assert "is not a regular file" in refused.stderr
        assert refused.stderr.rstrip().endswith("See --output.")
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    piped = run_command(tmp_path, "nb.ipynb", "-o", "/dev/stdout", capture_output=True)
    assert piped.returncode == 2, piped.stderr
    assert "/dev/stdout is not a regular file" in piped.stderr
    dash = nbtools(tmp_path, "run", "nb.ipynb", "-o", "-")
    assert dash.exit_code == 2
    assert "'-' names no file here" in dash.output
    assert not (tmp_path / "-").exists()
    assert json.loads(nbtools(tmp_path, "runs", "list", "--json").stdout) == []


@pytest.mark.parametrize(
    ("cell_source", "given", "says"),
    [
        ("a, b = 1, 2\nc = 3", "a=5", "line 1: 'a, b = 1, 2', a tuple assignment"),
        ("a = b = 5\nc = 3", "b=7", "line 1: 'a = b = 5', a chained assignment"),
        ("c = 3\na: int", "a=4", "line 2: 'a: int', an annotation without a value"),
    ],
)
def test_a_name_assigned_in_a_form_declaring_no_parameter_is_refused_saying_so(
    tmp_path: Path, notebook_factory: NotebookFactory, cell_source: str, given: str, says: str
) -> None:
    notebook_factory("nb.ipynb", [("code", cell_source, ["parameters"])])
    refused = nbtools(tmp_path, "run", "nb.ipynb", "-p", given)
    assert refused.exit_code == 2
    name = given.partition("=")[0]
    message = " ".join(refused.output.split())
    assert f"The parameters cell assigns '{name}' ({says}), which declares no parameter" in message
    assert f"assign it on a line of its own ({name} = default)" in message
    assert "Valid parameters: c." in message
