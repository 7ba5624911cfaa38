"""``nbtools run`` where a CI switching from papermill expects papermill's behaviour: values
typed as papermill reads them, the output notebook's papermill metadata, the failing cell of a
notebook papermill already ran, and outputs that are no regular file. Real kernels."""

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


def test_the_output_records_the_notebook_s_path_and_is_json_with_nan_parameters(
    tmp_path: Path, notebook_factory: NotebookFactory
) -> None:
    """papermill records the notebook it is given as ``input_path``: the notebook itself, not
    its path (every output twice its size); it records a NaN parameter as ``NaN``, which no
    browser reads (JupyterLab could not open the output)."""
    big = "x" * 200_000
    path = notebook_factory(
        "nb.ipynb", [("markdown", big, []), ("code", "x = 0.5", ["parameters"]), ("code", "x", [])]
    )
    out = tmp_path / "o.ipynb"
    code, model = run_json(tmp_path, "nb.ipynb", "-p", "x=nan", "-o", str(out))
    assert code == 0, model
    for written in (out, Path(model["output_notebook"])):
        text = written.read_text()
        papermill = strict_json(text)["metadata"]["papermill"]
        assert papermill["input_path"] == "nb.ipynb"
        assert papermill["parameters"] == {"x": "nan"}
        assert len(text) < path.stat().st_size + 50_000  # the input is not in it again
    # the kernel still got the float
    assert strict_json(out.read_text())["cells"][-1]["outputs"][0]["data"]["text/plain"] == ["nan"]


def papermill_output(cells: list[dict[str, Any]]) -> dict[str, Any]:
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells}


def cell(kind: str, source: str, tags: list[str], n: int) -> dict[str, Any]:
    made: dict[str, Any] = {"id": f"c{n}", "cell_type": kind, "source": source}
    made["metadata"] = {"tags": tags}
    if kind == "code":
        made |= {"outputs": [], "execution_count": None}
    return made


def test_the_failing_cell_of_a_notebook_papermill_already_ran_is_the_source_s(
    tmp_path: Path,
) -> None:
    """An input holding papermill's injected parameters (replaced by the run's) or the marks
    of where its run failed (removed): the failing cell is still counted in the source."""
    injected = papermill_output(
        [
            cell("code", "a = 1", ["parameters"], 0),
            cell("code", "a = 2", ["injected-parameters"], 1),
            cell("code", "print('ok')", [], 2),
            cell("code", "raise ValueError(a)", [], 3),
        ]
    )
    (tmp_path / "injected.ipynb").write_text(json.dumps(injected))
    code, model = run_json(tmp_path, "injected.ipynb", "-p", "a=7")
    assert (code, model["error"]) == (1, {"name": "ValueError", "message": "7", "cell": 3})
    failed = papermill_output(
        [
            cell("markdown", "An Exception was encountered", ["papermill-error-cell-tag"], 0),
            cell("code", "a = 1", ["parameters"], 1),
            cell("markdown", "stopped here", ["papermill-error-cell-tag"], 2),
            cell("code", "raise ValueError(a)", [], 3),
        ]
    )
    (tmp_path / "failed.ipynb").write_text(json.dumps(failed))
    code, model = run_json(tmp_path, "failed.ipynb", "-p", "a=5")
    assert (code, model["error"]["cell"]) == (1, 3)
    said = nbtools(tmp_path, "run", "failed.ipynb", "-p", "a=5")
    assert said.stderr.startswith("\nTraceback of run 3 (cell 4):\n")


def test_a_cell_ending_the_run_with_sys_exit_0_ends_its_progress_there(
    tmp_path: Path, notebook_factory: NotebookFactory
) -> None:
    notebook_factory(
        "nb.ipynb",
        [("code", "x = 1", []), ("code", "import sys\nsys.exit(0)", []), ("code", "x = 2", [])],
    )
    code, model = run_json(tmp_path, "nb.ipynb")
    assert (code, model["status"]) == (0, "succeeded")
    assert model["progress"] == {"cells_total": 3, "cells_done": 2, "current_cell": None}


@pytest.mark.parametrize(
    ("flag", "name", "says"),
    [
        ("--timeout", "TimeoutError", "The run exceeded its timeout of 2 s"),
        ("--cell-timeout", "CellTimeoutError", "longer than the run's cell timeout of 2 s"),
    ],
)
def test_the_output_of_a_stopped_run_marks_the_cell_stopped_and_why(
    tmp_path: Path, notebook_factory: NotebookFactory, flag: str, name: str, says: str
) -> None:
    notebook_factory(
        "nb.ipynb",
        [("code", "x = 1", []), ("code", "import time\ntime.sleep(60)", []), ("code", "x", [])],
    )
    out = tmp_path / "o.ipynb"
    code, model = run_json(tmp_path, "nb.ipynb", flag, "2", "-o", str(out))
    assert (code, model["status"], model["error"]["cell"]) == (1, "timed_out", 1)
    executed = json.loads(out.read_text())
    assert executed["metadata"]["papermill"]["exception"] is True
    markers = [c for c in executed["cells"] if "papermill-error-cell-tag" in c["metadata"]["tags"]]
    assert [executed["cells"].index(c) for c in markers] == [0, 2]  # heading, anchor
    stopped, after = executed["cells"][3], executed["cells"][4]
    assert stopped["metadata"]["papermill"]["status"] == "failed"
    assert stopped["metadata"]["papermill"]["exception"] is True
    error = stopped["outputs"][-1]
    assert (error["output_type"], error["ename"]) == ("error", name)
    assert says in error["evalue"]
    assert after["metadata"]["papermill"]["status"] == "pending"
    assert json.loads(Path(model["output_notebook"]).read_text()) == executed


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


def test_a_parameters_file_gives_values_too_long_for_a_command_line(
    tmp_path: Path, notebook_factory: NotebookFactory
) -> None:
    notebook_factory(
        "nb.ipynb",
        [
            ("code", "n = 0\ntext = ''\nitems = [1]\nx = 0.5", ["parameters"]),
            ("code", "print(n, len(text), items, x)", []),
        ],
    )
    text = "a" * 300_000  # past what one argument of a command line may hold (128 KiB)
    (tmp_path / "p.yaml").write_text(f"n: 3\ntext: {text}\nitems: [1, 2]\nx: .nan\n")
    out = tmp_path / "o.ipynb"
    given = ("-f", str(tmp_path / "p.yaml"), "-p", "n=5", "-o", str(out))  # as -o: from the cwd
    code, model = run_json(tmp_path, "nb.ipynb", *given)
    assert code == 0, model
    assert model["parameters"] == {"text": text, "items": [1, 2], "x": "nan", "n": 5}  # -p wins
    printed = json.loads(out.read_text())["cells"][-1]["outputs"][0]["text"]
    assert printed == ["5 300000 [1, 2] nan\n"]
    (tmp_path / "p.json").write_text(json.dumps({"n": 4, "x": 1e5}))  # 1e5: JSON's float
    code, model = run_json(tmp_path, "nb.ipynb", "--parameters-file", str(tmp_path / "p.json"))
    assert (code, model["parameters"]) == (0, {"n": 4, "x": 100000.0})


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("wrong.yaml", "n: soon\n", "wrong.yaml: Parameter 'n' expects int"),
        ("unknown.json", '{"m": 1}', "unknown.json: Unknown parameter 'm'. Valid parameters: n."),
        ("twice.yaml", "n: 1\nn: 2\n", "'n' is declared twice in one mapping, on lines 1 and 2"),
        ("list.yaml", "[1, 2]\n", "list.yaml must hold one mapping of parameter names to values"),
        ("bad.json", '{"n": ', "bad.json is not valid JSON"),
        ("missing.yaml", None, "missing.yaml does not exist"),
    ],
)
def test_a_parameters_file_that_cannot_be_used_is_refused_before_the_run(
    tmp_path: Path, notebook_factory: NotebookFactory, name: str, content: str | None, says: str
) -> None:
    notebook_factory("nb.ipynb", [("code", "n = 0", ["parameters"])])
    if content is not None:
        (tmp_path / name).write_text(content)
    refused = nbtools(tmp_path, "run", "nb.ipynb", "-f", str(tmp_path / name))
    assert refused.exit_code == 2, refused.output
    message = " ".join(refused.output.split())
    assert says in message
    assert message.endswith("See --parameters-file.")
    assert json.loads(nbtools(tmp_path, "runs", "list", "--json").stdout) == []


def test_log_output_streams_the_outputs_to_stderr_as_the_cells_run(
    tmp_path: Path, notebook_factory: NotebookFactory
) -> None:
    """The second cell waits until the test has read the first cell's output on the
    command's stderr: the run succeeds only if that output came while it was running."""
    wait = (
        "import os, sys, time\nprint('to stderr', file=sys.stderr)\nfor _ in range(300):\n"
        "    if os.path.exists('go'):\n        break\n    time.sleep(0.1)\n"
        "else:\n    raise RuntimeError('the output was not streamed')"
    )
    notebook_factory("nb.ipynb", [("code", "print('first output')", []), ("code", wait, [])])
    command = [sys.executable, "-m", "nbtools.cli.main", "--root", str(tmp_path), "run"]
    with subprocess.Popen(
        [*command, "nb.ipynb", "--log-output"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    ) as process:
        assert process.stderr is not None
        lines = []
        while not any("first output" in line for line in lines):
            line = process.stderr.readline().decode()
            assert line, f"the command ended without logging the output: {lines}"
            lines.append(line)
        (tmp_path / "go").touch()
        rest = process.stderr.read().decode()
    assert process.returncode == 0, [*lines, rest]
    assert "Executing Cell 1" in lines[0] + "".join(lines)
    assert "to stderr" in rest
    quiet = nbtools(tmp_path, "run", "nb.ipynb")  # 'go' is there: it does not wait
    assert quiet.exit_code == 0
    assert "first output" not in quiet.stderr


def test_cwd_sets_the_kernel_s_working_directory(
    tmp_path: Path, notebook_factory: NotebookFactory
) -> None:
    notebook_factory("sub/nb.ipynb", [("code", "print(open('data.txt').read())", [])])
    (tmp_path / "data.txt").write_text("top")
    (tmp_path / "sub" / "data.txt").write_text("beside")
    out = tmp_path / "o.ipynb"
    for given, read in [((), "beside"), (("--cwd", str(tmp_path)), "top")]:
        code, model = run_json(tmp_path, "sub/nb.ipynb", *given, "-o", str(out))
        assert code == 0, model
        assert json.loads(out.read_text())["cells"][0]["outputs"][0]["text"] == [read + "\n"]
    missing = nbtools(tmp_path, "run", "sub/nb.ipynb", "--cwd", str(tmp_path / "nowhere"))
    assert missing.exit_code == 2
    assert "--cwd" in missing.output
