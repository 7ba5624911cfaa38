"""Run ids unique across stores, and the terminal event a run owes, whichever process ends it:
events of real runs written by the file transport and checked against the spec's rules."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nbtools.config import DATA_USES_FILE
from nbtools.jobs.run_files import run_dir
from nbtools.jobs.scheduler import Scheduler
from nbtools.openlineage import emitter
from nbtools.openlineage.settings import current
from nbtools.project import Project
from tests.conftest import NotebookFactory, nbtools
from tests.integration.jobs.conftest import wait_for, wait_until
from tests.integration.jobs.test_lost_runs import reaped
from tests.integration.openlineage.test_events import check

pytestmark = pytest.mark.slow

NBTOOLS = str(Path(sys.executable).parent / "nbtools")


def events_in(lines: Path) -> list[dict[str, Any]]:
    found = [json.loads(line) for line in lines.read_text().splitlines()] if lines.exists() else []
    for event in found:
        check(event)
    return found


@pytest.fixture
def off(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This process without any OpenLineage settings."""
    for name in [v for v in os.environ if v.startswith(("NBTOOLS_OPENLINEAGE_", "OPENLINEAGE"))]:
        monkeypatch.delenv(name)
    monkeypatch.delenv("NBTOOLS_CONFIG", raising=False)
    current.cache_clear()
    yield
    emitter.shutdown()
    current.cache_clear()


def settings(lines: Path) -> dict[str, str]:
    return {"NBTOOLS_OPENLINEAGE_TRANSPORT": "file", "NBTOOLS_OPENLINEAGE_FILE": str(lines)}


def test_two_stores_never_share_a_run_id(
    tmp_path: Path, notebook_factory: NotebookFactory, off: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run 1 of two projects, in the same namespace: two runs for the catalog. Both had the
    id derived from the namespace and the nbtools id, so the catalog saw one run."""
    lines = tmp_path / "ol.jsonl"
    for name, value in settings(lines).items():
        monkeypatch.setenv(name, value)
    current.cache_clear()
    for project in ("a", "b"):
        notebook_factory(f"{project}/nb.ipynb", [("code", "x = 1", [])])
        assert nbtools(tmp_path / project, "run", "nb.ipynb").exit_code == 0
    emitter.shutdown()
    events = events_in(lines)
    assert [e["eventType"] for e in events] == ["START", "COMPLETE"] * 2
    assert {e["run"]["facets"]["nbtools_run"]["runId"] for e in events} == {1}
    first, second = ({e["run"]["runId"] for e in events[i : i + 2]} for i in (0, 2))
    assert len(first) == len(second) == 1
    assert first != second


def test_parameters_are_json(
    tmp_path: Path, notebook_factory: NotebookFactory, off: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each value is its JSON text: ``null`` not ``None``, ``true`` not ``True``, and a text
    ``"1"`` apart from the number 1 (they were Python's ``str()``)."""
    lines = tmp_path / "ol.jsonl"
    for name, value in settings(lines).items():
        monkeypatch.setenv(name, value)
    current.cache_clear()
    parameters = "cfg = {}\nflag = False\nname = 'x'\ncount = 0"
    notebook_factory("par.ipynb", [("code", parameters, ["parameters"])])
    args = [
        "-p",
        'cfg={"a": 2, "b": [1, null]}',
        "-p",
        "flag=true",
        "-p",
        "name=1",
        "-p",
        "count=1",
    ]
    assert nbtools(tmp_path, "run", "par.ipynb", *args).exit_code == 0
    emitter.shutdown()
    complete = events_in(lines)[-1]
    given = complete["run"]["facets"]["nbtools_run"]["parameters"]
    assert {name: json.loads(text) for name, text in given.items()} == {
        "cfg": {"a": 2, "b": [1, None]},
        "flag": True,
        "name": "1",
        "count": 1,
    }


READ_THEN_WAIT = "import nbtools.data, time\nopen(nbtools.data.path('cust')).read()\ntime.sleep(60)"


def test_a_run_killed_and_reaped_without_the_settings_gets_its_fail_from_the_next_process(
    project: Project, notebook_factory: NotebookFactory, off: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``nbtools run`` (with the settings) sends START and is killed; a process without the
    settings reaps the run; a scheduler with them sends its FAIL, with the START's run id, the
    version it executed, and the dataset it read named by its absolute path. No FAIL was ever
    sent (the reaping process had no transport), and one sent by a process that did not start
    the run named the dataset by its root-relative location."""
    root = project.root
    (root / "data").mkdir()
    (root / "data" / "in.csv").write_text("id\n1\n")
    assert nbtools(root, "data", "add", "cust", "data/in.csv").exit_code == 0
    notebook_factory("sub/slow.ipynb", [("code", READ_THEN_WAIT, [])])
    lines = root / "ol.jsonl"
    command = [NBTOOLS, "--root", str(root), "run", "sub/slow.ipynb"]
    started = subprocess.Popen(command, env={**os.environ, **settings(lines)})
    uses = run_dir(project, 1) / DATA_USES_FILE
    try:
        wait_until(lambda: [e["eventType"] for e in events_in(lines)] == ["START"], "START")
        wait_until(lambda: uses.is_file() and uses.stat().st_size > 0, "the dataset's use")
    finally:
        started.send_signal(signal.SIGKILL)
        started.wait()
    running = wait_for(project, 1, lambda r: r.env_snapshot_id is not None)
    ended = reaped(project, running)  # in this process: no settings
    assert ended.status == "failed"
    emitter.shutdown()
    assert [e["eventType"] for e in events_in(lines)] == ["START"]
    for name, value in settings(lines).items():
        monkeypatch.setenv(name, value)
    current.cache_clear()
    Scheduler(project).tick()  # its periodic check sends what runs owe
    emitter.shutdown()
    start, fail = events_in(lines)
    assert fail["eventType"] == "FAIL"
    assert fail["run"]["runId"] == start["run"]["runId"]
    assert fail["run"]["facets"]["nbtools_run"]["notebookVersionId"] == ended.notebook_version_id
    assert "WorkerLost" in fail["run"]["facets"]["errorMessage"]["message"]
    assert [(i["namespace"], i["name"]) for i in fail["inputs"]] == [
        ("file", str(root / "data" / "in.csv"))
    ]
    Scheduler(project).tick()  # sent once
    emitter.shutdown()
    assert len(events_in(lines)) == 2
