"""``nbtools run``: one-off runs through papermill on real kernels, recorded in the store."""

from __future__ import annotations

import hashlib
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from nbtools.cli.app import cli
from tests.conftest import NotebookFactory, nbtools, run_python
from tests.integration.jobs.conftest import SAYS_AND_DIES, gone, processes_with, spawner

pytestmark = pytest.mark.slow

ATTACK = '"); import os; os.system("touch PWNED")  #'


def run_json(root: Path, *args: str) -> tuple[int, dict[str, Any]]:
    result = nbtools(root, "run", "--json", *args)
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)


def test_run_records_status_hash_parameters_and_output(
    tmp_path: Path, notebook_factory: NotebookFactory
) -> None:
    path = notebook_factory(
        "nb.ipynb",
        [("code", "days = 1\ncity = 'x'", ["parameters"]), ("code", "print(days * 2, city)", [])],
    )
    code, model = run_json(tmp_path, "nb.ipynb", "-p", "days=21", "-o", str(tmp_path / "o.ipynb"))
    assert code == 0
    assert model["status"] == "succeeded"
    assert model["parameters"] == {"days": 21}
    assert model["notebook_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert model["progress"] == {"cells_total": 2, "cells_done": 2, "current_cell": None}
    executed = json.loads((tmp_path / "o.ipynb").read_text())
    assert executed["cells"][-1]["outputs"][0]["text"] == ["42 x\n"]
    # The output names its run and the notebook it executed; the source is left as it was.
    assert executed["metadata"]["nbtools"] == {"run_id": 1, "notebook_path": "nb.ipynb"}
    assert "nbtools" not in json.loads(path.read_text())["metadata"]
    assert Path(model["output_notebook"]).parent == tmp_path / ".nbtools" / "runs" / "1"
    listed = nbtools(tmp_path, "runs", "show", "1", "--json")
    assert json.loads(listed.stdout)["status"] == "succeeded"


@pytest.mark.parametrize(
    "value", [ATTACK, "quote \" and ' both", "line\nbreak\\n and \\ back\\slash", "\\"]
)
def test_string_values_run_as_plain_data(
    tmp_path: Path, notebook_factory: NotebookFactory, value: str
) -> None:
    notebook_factory(
        "nb.ipynb",
        [
            ("code", "text = 'default'", ["parameters"]),
            ("code", "import json\nprint(json.dumps(text))", []),
        ],
    )
    code, model = run_json(tmp_path, "nb.ipynb", "-p", f"text={value}")
    assert code == 0, model
    executed = json.loads(Path(model["output_notebook"]).read_text())
    printed = "".join(executed["cells"][-1]["outputs"][0]["text"])
    assert json.loads(printed) == value
    assert not list(tmp_path.rglob("PWNED"))


def test_failing_cell_reports_exception_and_source_cell_index(
    tmp_path: Path, notebook_factory: NotebookFactory
) -> None:
    notebook_factory(
        "nb.ipynb",
        [
            ("markdown", "# title", []),
            ("code", "n = 0", ["parameters"]),
            ("code", "x = 1", []),
            ("code", "raise ValueError(f'bad n={n}')", []),
        ],
    )
    code, model = run_json(tmp_path, "nb.ipynb", "-p", "n=3")
    assert code == 1
    assert model["status"] == "failed"
    assert model["error"] == {"name": "ValueError", "message": "bad n=3", "cell": 3}
    assert Path(model["output_notebook"]).is_file()
    # For people (a CI log): the failing line, as plain text, on stderr before the verdict
    said = nbtools(tmp_path, "run", "nb.ipynb", "-p", "n=4")
    assert said.exit_code == 1
    assert said.stderr.startswith("\nTraceback of run 2 (cell 4):\n")
    assert "----> 1 raise ValueError(f'bad n={n}')" in said.stderr
    assert said.stderr.endswith("ValueError: bad n=4\nError: Run 2 failed.\n")
    assert "\x1b[" not in said.stderr  # no terminal colour codes
    shown = nbtools(tmp_path, "runs", "show", "1").stdout
    assert "Traceback of run 1 (cell 4):" in shown
    assert shown.endswith("ValueError: bad n=3\n")
    assert "Traceback" not in nbtools(tmp_path, "runs", "show", "1", "--json").stdout


def test_kernel_death_fails_with_kernel_died_and_keeps_output(
    tmp_path: Path, notebook_factory: NotebookFactory
) -> None:
    notebook_factory(
        "nb.ipynb", [("code", "print('before')", []), ("code", "import os\nos._exit(1)", [])]
    )
    code, model = run_json(tmp_path, "nb.ipynb")
    assert code == 1
    assert model["error"]["message"] == "kernel died"
    assert model["error"]["cell"] == 1
    executed = json.loads(Path(model["output_notebook"]).read_text())
    # papermill's marks (a heading, an anchor) around the cell the kernel died in
    assert executed["cells"][1]["outputs"][0]["text"] == ["before\n"]
    died = executed["cells"][3]
    assert died["metadata"]["papermill"]["status"] == "failed"
    assert died["outputs"][-1]["evalue"] == "kernel died"
    # the kernel printed no traceback: the mark says why the run stopped
    assert (
        "Traceback of run 1 (cell 2):\nDeadKernelError: kernel died"
        in nbtools(tmp_path, "runs", "show", "1").stdout
    )
    Path(model["output_notebook"]).write_text("{damaged")
    assert nbtools(tmp_path, "runs", "show", "1").exit_code == 0


def test_a_kernel_that_dies_saying_why_fails_the_run_with_its_last_line(
    tmp_path: Path, notebook_factory: NotebookFactory
) -> None:
    """The kernel's last line written while the run ran is the error's, where it said
    "kernel died" alone; a line written before the run (its start-up) is never shown:
    tests/unit/test_kernel_files.py."""
    notebook_factory("nb.ipynb", [("code", SAYS_AND_DIES, [])])
    code, model = run_json(tmp_path, "nb.ipynb")
    assert code == 1
    said = "kernel died (its last line: model weights corrupt: giving up)."
    assert (model["error"]["name"], model["error"]["message"]) == ("DeadKernelError", said)
    shown = nbtools(tmp_path, "runs", "show", "1").stdout
    assert f"Traceback of run 1 (cell 1):\nDeadKernelError: {said}" in shown


def test_timeout_kills_the_kernel_and_its_children(
    tmp_path: Path, notebook_factory: NotebookFactory
) -> None:
    notebook_factory(
        "nb.ipynb",
        [
            (
                "code",
                "import subprocess, time\n"
                "child = subprocess.Popen(['sleep', '120'])\n"
                "open('child.pid', 'w').write(str(child.pid))\n"
                "time.sleep(120)",
                [],
            )
        ],
    )
    code, model = run_json(tmp_path, "nb.ipynb", "--timeout", "2")
    assert code == 1
    assert model["status"] == "timed_out"
    assert "timeout of 2 s" in model["error"]["message"]
    child = int((tmp_path / "child.pid").read_text())
    assert gone(child)
    said = nbtools(tmp_path, "run", "nb.ipynb", "--timeout", "1")
    assert said.exit_code == 1
    assert said.stderr.endswith("Error: Run 2 timed out.\n")  # as its alert says it


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "does not exist"),
        ('{"nbformat": 4, "cells": [', "looks truncated"),
        ("not json", "not valid JSON"),
        ('{"nbformat": 3, "cells": []}', "nbformat 3"),
        (
            '{"nbformat": 4, "cells": [], "metadata": {"x": ' + "[" * 5000 + "]" * 5000 + "}}",
            "too deeply",
        ),
        ('{"nbformat": 4, "cells": [], "metadata": {"x": ' + "9" * 5000 + "}}", "4300 digits"),
    ],
)
def test_bad_notebooks_exit_2_and_store_nothing(
    tmp_path: Path, content: str | None, message: str
) -> None:
    if content is not None:
        (tmp_path / "bad.ipynb").write_text(content)
    result = nbtools(tmp_path, "run", "bad.ipynb")
    assert result.exit_code == 2
    assert message in result.output
    assert "bad.ipynb" in result.output
    listed = nbtools(tmp_path, "runs", "list", "--json")
    assert json.loads(listed.stdout) == []


def nested(levels: int) -> dict[str, Any]:
    value: dict[str, Any] = {"leaf": 1}
    for _ in range(levels):
        value = {"in": value}
    return value


def test_old_outputs_are_not_read_so_one_nested_too_deeply_does_not_stop_the_run(
    tmp_path: Path, notebook_factory: NotebookFactory
) -> None:
    """papermill clears the outputs before executing: they are left out before it copies and
    validates the notebook, where one nested 900 levels deep raised a RecursionError."""
    path = notebook_factory("nb.ipynb", [("code", "print(6 * 7)", [])])
    nb = json.loads(path.read_text())
    deep = {
        "output_type": "display_data",
        "metadata": {},
        "data": {"application/json": nested(900)},
    }
    nb["cells"][0]["outputs"] = [deep]
    path.write_text(json.dumps(nb))
    code, model = run_json(tmp_path, "nb.ipynb")
    assert code == 0, model
    executed = json.loads(Path(model["output_notebook"]).read_text())
    assert executed["cells"][0]["outputs"] == [
        {"name": "stdout", "output_type": "stream", "text": ["42\n"]}
    ]


def test_an_output_nested_too_deeply_to_save_fails_the_run_saying_so(
    tmp_path: Path, notebook_factory: NotebookFactory
) -> None:
    code = (
        "from IPython.display import display\nvalue = {'leaf': 1}\nfor _ in range(900):\n"
        "    value = {'in': value}\ndisplay({'application/json': value}, raw=True)"
    )
    notebook_factory("nb.ipynb", [("code", "x = 1", []), ("code", code, [])])
    exit_code, model = run_json(tmp_path, "nb.ipynb")
    assert exit_code == 1
    assert model["status"] == "failed"
    assert model["error"]["name"] == "RecursionError"
    assert "nested too deeply" in model["error"]["message"]
    assert model["error"]["cell"] == 1


def test_bad_parameters_and_a_lease_too_short_exit_2(
    tmp_path: Path, notebook_factory: NotebookFactory
) -> None:
    notebook_factory("nb.ipynb", [("code", "days = 1", ["parameters"])])
    unknown = nbtools(tmp_path, "run", "nb.ipynb", "-p", "weeks=2")
    assert unknown.exit_code == 2
    assert "Valid parameters: days" in unknown.output
    wrong = nbtools(tmp_path, "run", "nb.ipynb", "-p", "days=soon")
    assert wrong.exit_code == 2
    assert "expects int" in wrong.output
    # The run's lease is the schedulers' setting (c.JobsSettings.stale_after_seconds).
    short = CliRunner().invoke(
        cli,
        ["--root", str(tmp_path), "run", "nb.ipynb"],
        env={"NBTOOLS_JOBS_STALE_AFTER_SECONDS": "2"},
    )
    assert short.exit_code == 2
    assert (
        "$NBTOOLS_JOBS_STALE_AFTER_SECONDS='2' is not a valid JobsSettings.stale_after_seconds: "
        "expected a finite number from 3 to 2147483647."
    ) in " ".join(short.output.split())
    (tmp_path / "taken").write_text("a file")
    blocked = nbtools(tmp_path, "run", "nb.ipynb", "-o", str(tmp_path / "taken/out.ipynb"))
    assert blocked.exit_code == 2  # before the run, not after it (a file in the way)
    assert "its directory cannot be made: a file stands where" in blocked.output
    assert json.loads(nbtools(tmp_path, "runs", "list", "--json").stdout) == []
    made = nbtools(tmp_path, "run", "nb.ipynb", "-o", str(tmp_path / "new/dir/out.ipynb"))
    assert made.exit_code == 0, made.output
    assert json.loads((tmp_path / "new/dir/out.ipynb").read_text())["cells"]
    assert f"The executed notebook is also in {tmp_path / 'new/dir/out.ipynb'}." in made.stdout


def test_an_output_is_replaced_by_the_next_run_s_and_another_file_only_when_forced(
    tmp_path: Path, notebook_factory: NotebookFactory
) -> None:
    """An earlier run's executed notebook at -o is replaced (whole: its link kept); a file
    that is none is replaced with --force only (tests/unit/jobs/test_run_output_cli.py)."""
    notebook_factory("nb.ipynb", [("code", "days = 1", ["parameters"]), ("code", "days", [])])
    (tmp_path / "out").mkdir()
    (tmp_path / "latest.ipynb").symlink_to("out/nb.ipynb")
    for days in ("2", "3"):
        code, model = run_json(
            tmp_path, "nb.ipynb", "-p", f"days={days}", "-o", str(tmp_path / "latest.ipynb")
        )
        assert code == 0, model
    assert (tmp_path / "latest.ipynb").is_symlink()
    executed = json.loads((tmp_path / "out/nb.ipynb").read_text())
    assert executed["metadata"]["nbtools"] == {"run_id": 2, "notebook_path": "nb.ipynb"}
    (tmp_path / "notes.txt").write_text("mine\n")
    refused = nbtools(tmp_path, "run", "nb.ipynb", "-o", str(tmp_path / "notes.txt"))
    assert refused.exit_code == 2
    forced = nbtools(tmp_path, "run", "nb.ipynb", "-o", str(tmp_path / "notes.txt"), "--force")
    assert forced.exit_code == 0, forced.output
    assert json.loads((tmp_path / "notes.txt").read_text())["metadata"]["nbtools"]["run_id"] == 3
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["nb.ipynb"]  # no temporary


def test_cell_timeout_stops_the_cell_and_every_process_of_the_run(
    tmp_path: Path, notebook_factory: NotebookFactory
) -> None:
    marker = f"nbtools-test-{uuid.uuid4().hex}"
    notebook_factory("nb.ipynb", [("code", "x = 1", []), ("code", spawner(marker), [])])
    code, model = run_json(tmp_path, "nb.ipynb", "--cell-timeout", "3")
    assert code == 1
    assert model["status"] == "timed_out"
    assert model["cell_timeout_seconds"] == 3
    assert model["error"]["name"] == "CellTimeoutError"
    assert model["error"]["cell"] == 1
    assert processes_with(marker) == []
    result = nbtools(tmp_path, "run", "nb.ipynb", "--cell-timeout", "0")
    assert result.exit_code == 2
    assert "--cell-timeout must be a positive whole number" in result.output  # as typed


def test_nan_and_infinities_reach_the_kernel_as_floats(
    tmp_path: Path, notebook_factory: NotebookFactory
) -> None:
    notebook_factory(
        "nb.ipynb",
        [
            ("code", "low = 0.0\nhigh = 1.0\nmiss = 0.5", ["parameters"]),
            (
                "code",
                "import math\n"
                "assert low == -math.inf and high == math.inf and math.isnan(miss), "
                "(low, high, miss)",
                [],
            ),
        ],
    )
    code, model = run_json(
        tmp_path, "nb.ipynb", "-p", "low=-inf", "-p", "high=inf", "-p", "miss=nan"
    )
    assert (code, model["status"]) == (0, "succeeded"), model["error"]
    assert model["parameters"] == {"low": "-inf", "high": "inf", "miss": "nan"}
    shown = json.loads(nbtools(tmp_path, "runs", "show", str(model["id"]), "--json").stdout)
    assert shown["parameters"] == model["parameters"]


def test_a_computed_default_is_a_parameter_too(
    tmp_path: Path, notebook_factory: NotebookFactory
) -> None:
    notebook_factory(
        "nb.ipynb",
        [
            ("code", "from datetime import date\nrun_date = str(date.today())", ["parameters"]),
            ("code", "print('report for', run_date)", []),
        ],
    )
    out = tmp_path / "out.ipynb"
    code, model = run_json(tmp_path, "nb.ipynb", "-p", "run_date=2026-01-31", "-o", str(out))
    assert (code, model["parameters"]) == (0, {"run_date": "2026-01-31"})
    assert "report for 2026-01-31" in out.read_text()
    code, model = run_json(tmp_path, "nb.ipynb")  # not given: computed by the notebook
    assert (code, model["parameters"]) == (0, {})


def test_a_skipped_parameters_cell_is_no_parameters_cell(
    tmp_path: Path, notebook_factory: NotebookFactory
) -> None:
    notebook_factory(
        "nb.ipynb",
        [
            ("code", "days = 1\nlimit = 3", ["parameters", "skip"]),
            ("code", "days = 2", ["parameters"]),
            ("code", "print('days', days)", []),
        ],
    )
    out = tmp_path / "out.ipynb"
    code, model = run_json(tmp_path, "nb.ipynb", "-p", "days=7", "-o", str(out))
    assert (code, model["parameters"]) == (0, {"days": 7})
    executed = json.loads(out.read_text())
    tags = [cell["metadata"].get("tags", []) for cell in executed["cells"]]
    # the values follow the cell that declares them, not the skipped one
    assert tags[2] == ["injected-parameters"]
    assert executed["cells"][-1]["outputs"][0]["text"] == ["days 7\n"]
    refused = nbtools(tmp_path, "run", "nb.ipynb", "-p", "limit=1")
    assert refused.exit_code == 2
    assert "Valid parameters: days" in refused.output


def test_start_up_objects_are_frozen_only_when_the_process_ends_with_the_command(
    notebook_factory: NotebookFactory,
) -> None:
    """The console script (which exits with the command) keeps what it imported out of the
    collector's full passes; the group invoked in a longer-lived process leaves them in."""
    nb = notebook_factory("a.ipynb", [("code", "x = 1", ["parameters"]), ("code", "x", [])])
    code = (
        "import gc, sys\n"
        "from nbtools.cli.app import cli\n"
        "from nbtools.cli.context import CliContext\n"
        "for ends in (False, True):\n"
        f"    argv = ['--root', {str(nb.parent)!r}, 'run', 'a.ipynb', '-p', 'x=2', '--json']\n"
        "    cli.main(argv, standalone_mode=False, obj=CliContext(ends_process=ends))\n"
        "    print('frozen', gc.get_freeze_count() > 0, file=sys.stderr)\n"
    )
    result = run_python(code)
    assert [line for line in result.stderr.splitlines() if line.startswith("frozen")] == [
        "frozen False",
        "frozen True",
    ]


def test_the_starter_notebook_runs_from_top_to_bottom(tmp_path: Path) -> None:
    """`nbtools init`'s example runs as a notebook as it extracts as a package: every name a
    cell uses is defined above it, and its record() is a metric of the run."""
    from nbtools.export.starter import NOTEBOOK, example_notebook

    (tmp_path / NOTEBOOK).write_text(example_notebook())
    code, model = run_json(tmp_path, NOTEBOOK, "-p", "label=ci")
    assert (code, model["status"], model["error"]) == (0, "succeeded", None)
    assert model["metrics"] == {"summary": {"count": 3, "max": 7, "mean": 5.0}}


def test_a_notebook_naming_no_language_runs_in_its_kernel_s_language(tmp_path: Path) -> None:
    # written by a script or converted from a .py: no kernelspec, no language_info. The
    # parameters are code for the kernel that runs them (the default python3), in its language
    # (papermill alone refused: "No language found in notebook and no override provided.")
    (tmp_path / "bare.ipynb").write_text(
        json.dumps(
            {
                "nbformat": 4,
                "nbformat_minor": 5,
                "metadata": {},
                "cells": [
                    {"id": "p", "cell_type": "code", "source": "days = 1",
                     "metadata": {"tags": ["parameters"]}, "outputs": [], "execution_count": None},
                    {"id": "u", "cell_type": "code", "source": "print(days * 2)",
                     "metadata": {}, "outputs": [], "execution_count": None},
                ],
            }
        )
    )  # fmt: skip
    code, model = run_json(tmp_path, "bare.ipynb", "-p", "days=21", "-o", str(tmp_path / "o.ipynb"))
    assert code == 0, model
    assert model["status"] == "succeeded"
    executed = json.loads((tmp_path / "o.ipynb").read_text())
    assert executed["cells"][-1]["outputs"][0]["text"] == ["42\n"]
