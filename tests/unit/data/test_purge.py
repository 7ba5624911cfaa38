"""``data usage NAME --purge`` on both stores: the runs it erased are marked ``purged_at``, so
the dry run, the prompt, a second purge and every view of the run (CLI, REST models, the
outputs' routes) agree with what was deleted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from nbtools import audit, jobs
from nbtools.artifacts.stored import find_artifact
from nbtools.data.usage import dataset_usage, purge_outputs, usage_report
from nbtools.errors import NotFoundError
from nbtools.jobs.definitions import create_job
from nbtools.jobs.retention import prune_runs
from nbtools.jobs.run_files import run_dir
from nbtools.project import Project
from nbtools.store.base import utcnow
from tests.conftest import NotebookFactory, make_notebook, opened_for_writing
from tests.purge_support import add_run, customers_project, nbtools


@pytest.fixture
def project(tmp_path: Path, store_url: str) -> Iterator[Project]:
    yield from customers_project(tmp_path, store_url)


def test_a_purge_marks_its_runs_and_every_view_then_says_so(project: Project) -> None:
    """Before, purged runs still listed their deleted files (in the dry run, the prompt's
    count, ``runs show``, ``GET /runs/N``), and opening the output failed."""
    first, second = add_run(project, "customers", html=True), add_run(project, "customers")
    other = add_run(project, None)

    listed = {run.run_id: run for run in dataset_usage(project, "customers")}
    assert sorted(listed) == [first, second]
    assert sorted(listed[first].files) == ["html", "notebook"]
    # without a terminal to ask at, refused (exit 2), counting what the purge would delete
    declined = nbtools(project, "data", "usage", "customers", "--purge", answer="n\n")
    assert declined.exit_code == 2
    assert "the output files (3) and artifacts of the 2 run(s) derived" in declined.output

    purged = nbtools(project, "data", "usage", "customers", "--purge", "--yes", "--json")
    assert purged.exit_code == 0, purged.output
    result = json.loads(purged.stdout)
    out = run_dir(project, first)
    assert result["runs"] == [first, second]
    assert result["files"] == sorted(
        [str(out / "nb.html"), str(out / "nb.ipynb"), str(run_dir(project, second) / "nb.ipynb")]
    )
    assert len(result["artifacts"]) == 2
    assert result["deleted"] == [*result["artifacts"], *result["files"]]

    # the dry run now lists no files, and says when the outputs went
    report = usage_report(project, "customers").to_dict()
    assert [(r["run_id"], r["files"]) for r in report["runs"]] == [(second, {}), (first, {})]
    assert all(r["purged_at"] is not None and r["pruned_at"] is None for r in report["runs"])
    table = nbtools(project, "data", "usage", "customers").output
    assert table.count("│ purged ") == 2
    assert "runs/" not in table  # no output file's path

    # the run's models and the CLI
    detail = jobs.show_run(project, first).to_wire()
    assert (detail["output_notebook"], detail["output_html"]) == (None, None)
    assert detail["purged_at"] is not None
    assert detail["pruned_at"] is None
    shown = nbtools(project, "runs", "show", str(first)).output
    assert "│ outputs deleted │ purged " in shown
    assert "(data erasure)" in shown
    listed_runs = {run["id"]: run for run in jobs.list_runs(project)}
    assert listed_runs[second]["purged_at"] is not None
    assert listed_runs[other]["purged_at"] is None

    # opening or downloading says the outputs were purged, naming the run
    for call in (
        lambda: jobs.copy_output_notebook(project, first),
        lambda: jobs.run_output(project, first, "html"),
    ):
        with pytest.raises(NotFoundError, match=rf"Run {first}'s outputs were erased by a purge"):
            call()
    with pytest.raises(NotFoundError) as raised:
        jobs.run_output(project, second, "notebook")
    assert raised.value.details["run"] == second
    assert raised.value.details["erased"] == "purged"
    assert raised.value.details["erased_at"] == listed_runs[second]["purged_at"].isoformat()

    # a second purge asks nothing and deletes nothing; the other run kept everything
    again = nbtools(project, "data", "usage", "customers", "--purge")
    assert (again.exit_code, again.output) == (
        0,
        "Nothing to delete: the outputs of the runs derived from customers are gone.\n",
    )
    assert jobs.run_output(project, other, "notebook").file.read_bytes() == b'{"cells": []}'
    entries = audit.list_entries(project, action="dataset.purge")
    assert [entry.summary for entry in entries] == [
        {"files_deleted": 0, "runs": []},
        {"files_deleted": 5, "runs": [first, second]},
    ]


def test_a_purge_skips_pruned_runs_and_counts_only_what_it_deleted(project: Project) -> None:
    pruned, kept = add_run(project, "customers"), add_run(project, "customers")
    gone = add_run(project, "customers")
    prune_runs(project, older_than_days=0, now=utcnow())  # every ended run but the newest
    (run_dir(project, gone) / "nb.ipynb").unlink()  # deleted by hand: not counted as deleted
    state = {run.run_id: run for run in dataset_usage(project, "customers")}
    assert state[pruned].pruned_at is not None
    assert state[pruned].files == {}
    assert state[kept].pruned_at is not None
    assert state[gone].pruned_at is None  # the newest run of the notebook stays
    result = purge_outputs(project, "customers")
    assert result.runs == [gone]
    assert result.files == []
    state = {run.run_id: run for run in dataset_usage(project, "customers")}
    assert (state[pruned].purged_at, state[kept].purged_at) == (None, None)
    assert state[gone].purged_at is not None
    with pytest.raises(NotFoundError, match="deleted by retention") as raised:
        jobs.run_output(project, pruned, "notebook")
    assert raised.value.details["erased"] == "pruned"


def test_opening_an_output_whose_file_is_gone_is_not_found(project: Project) -> None:
    """A stored notebook deleted behind the store's back, with a copy already opened: 404
    naming the run (before, ``stat`` of the missing file answered 500)."""
    run_id = add_run(project, None)
    copied = jobs.copy_output_notebook(project, run_id)
    assert (project.root / copied).read_text() == '{"cells": []}'
    (run_dir(project, run_id) / "nb.ipynb").unlink()
    with pytest.raises(NotFoundError, match=rf"Run {run_id}'s executed notebook is no longer"):
        jobs.copy_output_notebook(project, run_id)


def test_a_jobs_latest_artifact_is_never_a_purged_runs(project: Project) -> None:
    (project.root / "nb.ipynb").write_text(json.dumps(make_notebook([("code", "x = 1", [])])))
    job = create_job(project, {"notebook_path": "nb.ipynb", "name": "train"})
    older = add_run(project, None, job_id=job.id)
    newer = add_run(project, "customers", job_id=job.id)
    assert find_artifact(project, "model.bin", job="train").run_id == newer
    purge_outputs(project, "customers")
    assert find_artifact(project, "model.bin", job="train").run_id == older


def test_a_purge_names_the_running_runs_that_used_the_data_and_fails(
    project: Project, notebook_factory: NotebookFactory
) -> None:
    """A run that had read the data and was still running was not listed: the purge said
    "Nothing to delete" (exit 0), and the run's outputs then held what it read. Its record of
    uses names it as it runs: the purge erases what it can, names that run and exits 1."""
    hold = project.root / "hold"
    os.mkfifo(hold)
    notebook_factory("nb.ipynb", [("code", READ_THEN_HOLD.format(hold=str(hold)), [])])
    ended = add_run(project, "customers")
    url = project.store.engine.url.render_as_string(hide_password=False)
    running = subprocess.Popen(
        [sys.executable, "-c", "from nbtools.cli.main import main; main()",
         "--root", str(project.root), "--db-url", url, "run", "nb.ipynb"],
        env={**os.environ, "NBTOOLS_DB_URL": url},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        writer = opened_for_writing(
            hold, running
        )  # the kernel read the data, and waits on the pipe
        try:
            unfinished = [r for r in dataset_usage(project, "customers") if r.run_id != ended]
            assert [(r.mode, r.status, r.files) for r in unfinished] == [("read", "running", {})]
            purged = nbtools(project, "data", "usage", "customers", "--purge", "--yes", "--json")
        finally:
            os.close(writer)
        assert running.wait(timeout=120) == 0, running.stderr and running.stderr.read()
    finally:
        running.kill()
    run_id = unfinished[0].run_id
    assert purged.exit_code == 1, purged.output
    error = json.loads(purged.stdout)
    assert error["error"] == "CheckFailedError"
    assert error["message"] == (
        f"The purge is not complete: run {run_id} is still running (or queued) and used "
        "customers; its outputs, still being written, are not erased. Run the purge again "
        f"once it has ended (nbtools runs cancel {run_id} stops it)."
    )  # no "See NAME.": the name given was fine
    assert "dataset" not in error["details"]
    assert error["details"]["unfinished"] == [run_id]
    assert error["details"]["runs"] == [ended]  # the ended run's outputs were erased
    entry = audit.list_entries(project, action="dataset.purge")[0]
    assert entry.summary == {"files_deleted": 2, "runs": [ended], "unfinished": [run_id]}

    # once it has ended, a purge erases it
    again = purge_outputs(project, "customers")
    assert (again.runs, again.unfinished) == ([run_id], [])


READ_THEN_HOLD = """\
import nbtools.data
nbtools.data.path("customers")
with open({hold!r}) as pipe:
    pipe.read()"""
