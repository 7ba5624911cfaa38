"""Run events: subscribers found by name in any process, and never failing a run."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlalchemy import select

from nbtools.jobs import events
from nbtools.jobs.events import SUBSCRIBERS, RunFinished, RunFinishing, RunStarted
from nbtools.jobs.runs import new_run
from nbtools.jobs.tables import RUNNING, SUCCEEDED, Run
from nbtools.limits import DEFAULT_MAX_VALUE_BYTES
from nbtools.project import Project
from nbtools.store.base import utcnow
from tests.conftest import run_python

FAILING = ("tests.unit.jobs.failing_subscriber",)


def test_a_fresh_process_finds_the_subscribers_by_name(tmp_path: Path) -> None:
    """A worker imports only jobs: the subscribers come with the first event."""
    code = (
        "import sys; from pathlib import Path\n"
        "from nbtools.project import Project; from nbtools.jobs import events\n"
        "assert 'nbtools.lineage.events' not in sys.modules\n"
        f"project = Project(Path({str(tmp_path)!r}))\n"
        "with project.store.connection() as connection:\n"
        "    found = events.runs_described(events.RunsDescribed(project, connection, []))\n"
        "print(sorted(m for m in sys.modules if m in events.SUBSCRIBERS or m == events.__name__))\n"
    )
    result = run_python(code)
    assert result.stdout.split("\n")[0] == str(sorted(["nbtools.jobs.events", *SUBSCRIBERS]))


def test_monitoring_imports_what_ending_a_run_needs_when_the_run_starts(tmp_path: Path) -> None:
    """In the runner's background thread while the notebook executes, so the end of a one-shot
    `nbtools run` (on the command's critical path) does not wait for those imports."""
    code = (
        "import sys; from pathlib import Path\n"
        "from nbtools.project import Project; from nbtools.jobs import events\n"
        "from nbtools.metrics.events import FINISHING_MODULES\n"
        "assert not set(FINISHING_MODULES) & set(sys.modules)\n"
        f"project = Project(Path({str(tmp_path)!r}))\n"
        "start = events.RunStarted(project, 1, 'nb.ipynb', project.root / 'nb.ipynb', b'{}', 'k')\n"
        "assert events.run_started(start, ('nbtools.metrics.events',)) == {}\n"
        "print(sorted(set(FINISHING_MODULES) - set(sys.modules)))\n"
    )
    result = run_python(code)
    assert result.stdout.strip() == "[]"


def test_a_failing_run_started_subscriber_leaves_the_run_without_its_columns(
    project: Project, caplog: pytest.LogCaptureFixture
) -> None:
    start = RunStarted(project, 1, "nb.ipynb", project.root / "nb.ipynb", b"{}", "python3")
    with caplog.at_level(logging.ERROR):
        capture = events.RunStartedInBackground(start, FAILING)
        assert capture.result() == {}
    assert "a run_started subscriber failed" in caplog.text


def test_a_failing_run_finished_subscriber_is_rolled_back_and_the_run_ends(
    project: Project, caplog: pytest.LogCaptureFixture
) -> None:
    with project.store.session(write=True) as session:
        run = new_run(None, trigger="manual", notebook_path="nb.ipynb", parameters={})
        run.status, run.worker = RUNNING, "w1"
        session.add(run)
    work = events.run_finishing(
        RunFinishing(project.store, run.id, None, DEFAULT_MAX_VALUE_BYTES), FAILING
    )
    assert len(work) == 1
    with caplog.at_level(logging.ERROR), project.store.session(write=True) as session:
        session.get(Run, run.id).status = SUCCEEDED  # type: ignore[union-attr]
        events.run_finished(work, RunFinished(session, run.id, utcnow(), final=True))
    assert "a run_finished subscriber failed" in caplog.text
    with project.store.session() as session:
        assert session.execute(select(Run.status, Run.worker)).one() == (SUCCEEDED, "w1")
