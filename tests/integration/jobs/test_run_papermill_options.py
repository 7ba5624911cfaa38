"""``nbtools run``'s options for a CI switching from papermill: ``--prepare-only``,
``--start-timeout`` and ``--report-mode``, as papermill's (docs/jobs.md, "From papermill").
Real kernels, a real kernel spec that never starts, and ``ps``."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import NotebookFactory, nbtools, recorded

pytestmark = pytest.mark.slow

CELLS = [
    ("code", "days = 1\nname = 'a'", ["parameters"]),
    ("markdown", "# Report", []),
    ("code", "print(days * 2, name)", []),
]


def read(path: Path) -> dict[str, Any]:
    notebook: dict[str, Any] = json.loads(path.read_text())
    return notebook


def injected(notebook: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in notebook["cells"] if "injected-parameters" in c["metadata"]["tags"]]


def test_prepare_only_writes_what_a_run_injects_and_runs_nothing(
    tmp_path: Path, notebook_factory: NotebookFactory
) -> None:
    notebook_factory("nb.ipynb", CELLS)
    ran, prepared = tmp_path / "ran.ipynb", tmp_path / "prepared.ipynb"
    result = nbtools(tmp_path, "run", "nb.ipynb", "-p", "days=3", "-o", str(ran))
    assert result.exit_code == 0, result.output
    runs_before, _jobs = recorded(tmp_path)
    result = nbtools(
        tmp_path, "run", "nb.ipynb", "-p", "days=3", "--prepare-only", "-o", str(prepared)
    )
    assert result.exit_code == 0, result.output
    assert result.output == f"Prepared nb.ipynb (not run) in {prepared}.\n"
    assert recorded(tmp_path)[0] == runs_before  # no run recorded
    real, dry = read(ran), read(prepared)
    # the injected-parameters cell where the run has it, with the same code
    assert [c["source"] for c in injected(dry)] == [c["source"] for c in injected(real)]
    assert [c["metadata"]["tags"] for c in dry["cells"]] == [
        c["metadata"]["tags"] for c in real["cells"]
    ]
    for key in ("input_path", "parameters"):
        assert dry["metadata"]["papermill"][key] == real["metadata"]["papermill"][key]
    assert dry["metadata"]["papermill"]["parameters"] == {"days": 3}
    # nothing executed: no outputs, no start, and said so
    assert all(not c.get("outputs") for c in dry["cells"])
    assert "start_time" not in dry["metadata"]["papermill"]
    assert dry["metadata"]["nbtools"] == {"notebook_path": "nb.ipynb", "prepared_only": True}
    # a later run may replace it without --force, as any output nbtools wrote
    result = nbtools(tmp_path, "run", "nb.ipynb", "-o", str(prepared))
    assert result.exit_code == 0, result.output


def test_prepare_only_refuses_a_bad_value_and_a_missing_output_writing_nothing(
    tmp_path: Path, notebook_factory: NotebookFactory
) -> None:
    notebook_factory("nb.ipynb", CELLS)
    out = tmp_path / "out.ipynb"
    result = nbtools(tmp_path, "run", "nb.ipynb", "-p", "days=x", "--prepare-only", "-o", str(out))
    assert result.exit_code == 2, result.output
    assert "Parameter 'days' expects int" in result.output
    result = nbtools(tmp_path, "run", "nb.ipynb", "-p", "days=3", "--prepare-only")
    assert result.exit_code == 2, result.output
    assert "--prepare-only writes the prepared notebook to --output: give -o FILE." in (
        result.output
    )
    # a timeout the run refuses (exit 2): --prepare-only wrote the notebook and exited 0, so
    # a CI's dry run passed where the run itself would not
    for flag in ("--timeout", "--cell-timeout"):
        args = ["run", "nb.ipynb", flag, "-5", "--prepare-only", "-o", str(out)]
        result = nbtools(tmp_path, *args)
        assert result.exit_code == 2, result.output
        assert f"{flag} must be a positive whole number of seconds" in result.output
    assert not out.exists()
    assert recorded(tmp_path) == ([], [])


def test_report_mode_hides_every_code_input_and_keeps_the_outputs(
    tmp_path: Path, notebook_factory: NotebookFactory
) -> None:
    notebook_factory("nb.ipynb", CELLS)
    plain, report = tmp_path / "plain.ipynb", tmp_path / "report.ipynb"
    for out, flags in ((plain, []), (report, ["--report-mode"])):
        result = nbtools(tmp_path, "run", "nb.ipynb", "-p", "days=3", "-o", str(out), *flags)
        assert result.exit_code == 0, result.output
    hidden = [
        (c["cell_type"], c["metadata"].get("jupyter", {}).get("source_hidden"))
        for c in read(report)["cells"]
    ]
    assert hidden == [("code", True), ("code", True), ("markdown", None), ("code", True)]
    assert read(report)["cells"][-1]["outputs"][0]["text"] == ["6 a\n"]
    assert all("jupyter" not in c["metadata"] for c in read(plain)["cells"])


def test_prepare_only_with_report_mode_hides_the_inputs_too(
    tmp_path: Path, notebook_factory: NotebookFactory
) -> None:
    notebook_factory("nb.ipynb", CELLS)
    out = tmp_path / "out.ipynb"
    result = nbtools(
        tmp_path,
        "run",
        "nb.ipynb",
        "-p",
        "days=3",
        "--prepare-only",
        "--report-mode",
        "-o",
        str(out),
        "--json",
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "notebook": "nb.ipynb",
        "parameters": {"days": 3},
        "output": str(out),
    }
    code = [c for c in read(out)["cells"] if c["cell_type"] == "code"]
    assert [c["metadata"]["jupyter"]["source_hidden"] for c in code] == [True, True, True]


def processes(mentioning: str) -> list[str]:
    """``ps``'s lines (``PID ARGS``) of the processes whose command line has ``mentioning``."""
    listed = subprocess.run(
        ["ps", "-ww", "-eo", "pid,args"], capture_output=True, text=True, check=True
    )
    return [line for line in listed.stdout.splitlines() if mentioning in line]


def first_pid(mentioning: str, found: list[int], stop: threading.Event) -> None:
    """Note in ``found`` the pid of the first process mentioning ``mentioning``, once it runs."""
    while not stop.wait(0.05) and not found:
        found.extend(int(line.split()[0]) for line in processes(mentioning)[:1])


def mute_kernel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Install kernel ``mute``, whose process never answers (it sleeps); the marker on its
    command line, this test's own: a test running at the same time on another worker (or in
    another checkout on this machine) has its own mute kernels, which ``ps`` lists too."""
    marker = f"nbtools-test-kernel-that-never-starts-{uuid.uuid4().hex}"
    spec = tmp_path / "jupyter" / "kernels" / "mute"
    spec.mkdir(parents=True)
    argv = [sys.executable, "-c", "import time; time.sleep(100000)", marker, "{connection_file}"]
    spec.joinpath("kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "mute", "language": "python"})
    )
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    return marker


def test_a_kernel_that_never_starts_fails_the_run_after_start_timeout_and_is_killed(
    tmp_path: Path, notebook_factory: NotebookFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = mute_kernel(tmp_path, monkeypatch)
    notebook_factory("nb.ipynb", CELLS)
    found: list[int] = []
    stop = threading.Event()
    watcher = threading.Thread(target=first_pid, args=(marker, found, stop))
    watcher.start()
    try:
        result = nbtools(
            tmp_path, "run", "nb.ipynb", "--kernel", "mute", "--start-timeout", "2", "--json"
        )
    finally:
        stop.set()
        watcher.join()
    assert result.exit_code == 1, result.output
    # killed, with its session, before the command returned: neither the kernel nor a
    # detached shell left to kill its group later
    assert found, "the kernel never ran"
    assert processes(marker) == []
    assert processes(f"kill -KILL -{found[0]}") == []
    model = json.loads(result.stdout)
    assert model["status"] == "failed"
    assert model["error"] == {
        "name": "KernelStartError",
        "message": "kernel `mute` did not start within 2 s; give it longer with --start-timeout.",
        "cell": None,
    }


def test_start_timeout_defaults_to_papermill_s_60_seconds_and_refuses_zero(
    tmp_path: Path, notebook_factory: NotebookFactory
) -> None:
    notebook_factory("nb.ipynb", CELLS)
    assert "[default: 60; x>=1]" in " ".join(nbtools(tmp_path, "run", "--help").output.split())
    result = nbtools(tmp_path, "run", "nb.ipynb", "--start-timeout", "0")
    assert result.exit_code == 2, result.output
    assert "Invalid value for '--start-timeout'" in result.output
    assert recorded(tmp_path) == ([], [])


def test_a_run_that_ends_before_its_first_cell_leaves_no_earlier_run_s_output_at_o(
    tmp_path: Path, notebook_factory: NotebookFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """-o held run 1's executed notebook; run 2's kernel never started (as a run stopped by
    Ctrl-C or SIGTERM while its kernel starts): the file stayed, run 1's, and nothing said so,
    so a CI step published it as run 2's. It is removed, and the command says why; a file
    nbtools did not write (--force) is left as it was."""
    mute_kernel(tmp_path, monkeypatch)
    notebook_factory("nb.ipynb", CELLS)
    out = tmp_path / "out.ipynb"
    first = nbtools(tmp_path, "run", "nb.ipynb", "-o", str(out))
    assert first.exit_code == 0, first.output
    assert out.exists()
    mute = ["run", "nb.ipynb", "--kernel", "mute", "--start-timeout", "1", "-o", str(out)]
    second = nbtools(tmp_path, *mute)
    assert second.exit_code == 1, second.output
    assert not out.exists()
    assert (
        f"No executed notebook: run 2 ended before its first cell; {out}, an earlier run's, "
        "was removed." in second.stderr
    )
    out.write_text("mine")
    forced = nbtools(tmp_path, *mute, "--force")
    assert forced.exit_code == 1, forced.output
    assert out.read_text() == "mine"
    assert f"run 3 ended before its first cell; {out} was left as it was." in forced.stderr


def test_parameters_yaml_gives_values_on_the_command_line_as_papermill_s_y(
    tmp_path: Path, notebook_factory: NotebookFactory
) -> None:
    """papermill's `-y 'days: 3'` was "No such option '-y'": a CI passing YAML from a variable
    had to write a file for -f (-f /dev/stdin is refused). Typed as written, as -f's; -y's
    values replace -f's, and -p's replace both, as papermill merges them."""
    notebook_factory("nb.ipynb", CELLS)
    (tmp_path / "p.yaml").write_text("days: 2\nname: file\n")
    out = str(tmp_path / "prepared.ipynb")
    given = ["-f", str(tmp_path / "p.yaml"), "-y", "days: 3\nname: yaml", "-p", "name=p"]
    result = nbtools(tmp_path, "run", "nb.ipynb", *given, "--prepare-only", "-o", out, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["parameters"] == {"days": 3, "name": "p"}
    alone = ["--parameters-yaml", "{days: 4}", "--prepare-only", "-o", out, "--json"]
    result = nbtools(tmp_path, "run", "nb.ipynb", *alone)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["parameters"] == {"days": 4}
    assert read(Path(out))["metadata"]["papermill"]["parameters"] == {"days": 4}


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("days: soon", "-y's value: Parameter 'days' expects int"),
        ("days: [1", "-y's value is not valid YAML"),
        ("[1, 2]", "-y's value must hold one mapping of parameter names to values"),
        ("days: 1\ndays: 2", "'days' is declared twice in one mapping, on lines 1 and 2"),
        ("when: 1", "-y's value: Unknown parameter 'when'."),
    ],
)
def test_parameters_yaml_that_cannot_be_used_is_refused_before_the_run(
    tmp_path: Path, notebook_factory: NotebookFactory, text: str, says: str
) -> None:
    notebook_factory("nb.ipynb", CELLS)
    refused = nbtools(tmp_path, "run", "nb.ipynb", "-y", text, "-o", str(tmp_path / "o.ipynb"))
    assert refused.exit_code == 2, refused.output
    message = " ".join(refused.output.split())
    assert says in message
    assert message.endswith("See --parameters-yaml.")
    assert not (tmp_path / "o.ipynb").exists()
    assert recorded(tmp_path) == ([], [])
    again = nbtools(tmp_path, "run", "--reproduce", "1", "-y", "days: 3")
    assert again.exit_code == 2, again.output
    assert "give no NOTEBOOK, -p, -f, -y," in " ".join(again.output.split())


def test_prepare_only_refuses_a_purpose_the_data_does_not_allow_as_the_run_does(
    tmp_path: Path, notebook_factory: NotebookFactory
) -> None:
    """The notebook reads ``prices``, which only ``pricing`` may use. ``--prepare-only
    --purpose marketing`` wrote the notebook and exited 0, so a CI's dry run passed where
    the run itself is refused: now both exit 2 with one message, and nothing is written."""
    added = nbtools(
        tmp_path, "data", "add", "prices", "data/p.csv",
        "--classification", "internal", "--purpose", "pricing",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    notebook_factory(
        "nb.ipynb", [*CELLS, ("code", "import nbtools\nnbtools.data.path('prices')", [])]
    )
    out = tmp_path / "out.ipynb"
    ran = nbtools(tmp_path, "run", "nb.ipynb", "--purpose", "marketing", "-o", str(out))
    assert ran.exit_code == 2, ran.output
    assert "Dataset 'prices' (internal) may not be used for the purpose 'marketing'" in ran.stderr
    for purpose in (["--purpose", "marketing"], []):  # none at all: refused as a run is
        prepared = nbtools(tmp_path, "run", "nb.ipynb", *purpose, "--prepare-only", "-o", str(out))
        assert prepared.exit_code == 2, prepared.output
        if purpose:
            assert prepared.stderr == ran.stderr
    assert not out.exists()
    assert recorded(tmp_path) == ([], [])
    allowed = ["run", "nb.ipynb", "--purpose", "pricing", "--prepare-only", "-o", str(out)]
    assert nbtools(tmp_path, *allowed).exit_code == 0
