"""``runs rerun``: a new run of the same notebook, parameters and options, checked as any new
run is before it is stored (it was queued unchecked, to fail only when it started)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nbtools import versioning
from nbtools.errors import ConflictError, InvalidInputError, NotFoundError
from nbtools.jobs import delete_job, rerun_run
from nbtools.jobs.definitions import create_job
from nbtools.jobs.runs import get_run, list_runs
from nbtools.jobs.submit import queue_run
from nbtools.project import Project
from tests.conftest import NotebookFactory, make_notebook

PARAMETERS = [("code", "days = 7\ncity = 'Porto'", ["parameters"]), ("code", "days", [])]


@pytest.fixture
def project(tmp_path: Path, notebook_factory: NotebookFactory) -> Project:
    notebook_factory("nb.ipynb", PARAMETERS)
    opened = Project(tmp_path)
    yield opened  # type: ignore[misc]
    opened.close()


def run_ids(project: Project) -> list[int]:
    with project.store.session() as session:
        return [run.id for run in list_runs(session.connection())]


def test_a_rerun_repeats_the_notebook_parameters_and_options(project: Project) -> None:
    first = queue_run(
        project, "nb.ipynb", {"days": 3}, kernel_name="python3", timeout_seconds=60,
        cell_timeout_seconds=10, output_html=True, purpose="reporting",
    )  # fmt: skip
    again = rerun_run(project, first.id, actor="ana")
    with project.store.session() as session:
        rerun = get_run(session, again.id)
        assert rerun.trigger == "rerun"
        assert (rerun.notebook_path, rerun.parameters) == ("nb.ipynb", {"days": 3})
        assert (rerun.kernel_name, rerun.timeout_seconds, rerun.cell_timeout_seconds) == (
            "python3", 60, 10,
        )  # fmt: skip
        assert (rerun.output_html, rerun.purpose, rerun.created_by) == (True, "reporting", "ana")


def test_a_rerun_of_a_deleted_notebook_is_refused_and_stores_nothing(project: Project) -> None:
    first = queue_run(project, "nb.ipynb", {})
    (project.root / "nb.ipynb").unlink()
    with pytest.raises(NotFoundError, match=r"Notebook 'nb\.ipynb' does not exist"):
        rerun_run(project, first.id)
    assert run_ids(project) == [first.id]


def test_a_rerun_whose_parameter_the_notebook_no_longer_declares_is_refused(
    project: Project,
) -> None:
    first = queue_run(project, "nb.ipynb", {"city": "Faro"})
    notebook = make_notebook([("code", "days = 7", ["parameters"])])
    (project.root / "nb.ipynb").write_text(json.dumps(notebook))
    with pytest.raises(InvalidInputError, match="Unknown parameter 'city'"):
        rerun_run(project, first.id)
    assert run_ids(project) == [first.id]


def test_a_rerun_of_an_archived_job_s_run_is_refused(project: Project) -> None:
    job = create_job(project, {"notebook_path": "nb.ipynb"})
    first = queue_run(project, "nb.ipynb", {}, job=job)
    delete_job(project, job.id)
    with pytest.raises(ConflictError, match=f"Job {job.id} was deleted"):
        rerun_run(project, first.id)
    assert run_ids(project) == [first.id]


def test_a_rerun_of_an_unknown_run_names_it(project: Project) -> None:
    with pytest.raises(NotFoundError, match="99"):
        rerun_run(project, 99)


def test_a_rerun_of_a_pinned_run_needs_its_version_not_the_file(project: Project) -> None:
    content = (project.root / "nb.ipynb").read_bytes()
    version = versioning.commit(project, "nb.ipynb", content)
    first = queue_run(project, "nb.ipynb", {"days": 2}, pinned_version_id=version.id)
    (project.root / "nb.ipynb").unlink()
    again = rerun_run(project, first.id)
    with project.store.session() as session:
        assert get_run(session, again.id).pinned_version_id == version.id
    assert run_ids(project) == [again.id, first.id]
