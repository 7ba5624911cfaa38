"""Jobs pinned to a notebook version: checked, referenced, and kept by gc while pinned."""

from __future__ import annotations

import pytest

from nbtools import versioning
from nbtools.errors import InvalidInputError
from nbtools.jobs.definitions import create_job, delete_job, update_job
from nbtools.jobs.submit import queue_run
from nbtools.project import Project
from tests.conftest import NotebookFactory


def save(project: Project, notebook_factory: NotebookFactory, parameters: str) -> int:
    """Write nb.ipynb with this parameters cell and record it; returns the version id."""
    path = notebook_factory("nb.ipynb", [("code", parameters, ["parameters"])])
    return versioning.commit(project, "nb.ipynb", path.read_bytes()).id


def kept(project: Project, version_id: int) -> bool:
    versioning.collect_garbage(project, keep=1)
    return any(v.id == version_id for v in versioning.history(project, "nb.ipynb"))


def test_a_pinned_job_keeps_its_version_until_unpinned_or_deleted(
    project: Project, notebook_factory: NotebookFactory
) -> None:
    first = save(project, notebook_factory, "n = 1")
    job = create_job(project, {"notebook_path": "nb.ipynb", "pinned_version_id": first})
    for value in (2, 3, 4):
        save(project, notebook_factory, f"n = {value}")
    assert kept(project, first)
    assert versioning.references(project, first) == [{"kind": "job", "ref": str(job.id)}]

    second = versioning.latest(project, "nb.ipynb")
    assert second is not None
    update_job(project, job.id, {"pinned_version_id": second.id})
    assert versioning.references(project, second.id) == [{"kind": "job", "ref": str(job.id)}]
    assert not kept(project, first)

    delete_job(project, job.id)
    assert versioning.references(project, second.id) == []


def test_parameters_are_checked_against_the_pinned_version(
    project: Project, notebook_factory: NotebookFactory
) -> None:
    old = save(project, notebook_factory, "days = 1")
    save(project, notebook_factory, "weeks = 1")  # the file on disk no longer has `days`
    with pytest.raises(InvalidInputError, match="days"):
        create_job(project, {"notebook_path": "nb.ipynb", "parameters": {"days": 3}})
    job = create_job(
        project,
        {"notebook_path": "nb.ipynb", "parameters": {"days": 3}, "pinned_version_id": old},
    )
    run = queue_run(project, "nb.ipynb", dict(job.parameters), job=job)
    assert (run.pinned_version_id, run.parameters) == (old, {"days": 3})


@pytest.mark.parametrize(
    ("pin", "message"),
    [
        ("1", "must be a version id"),
        (0, "must be a version id"),
        (True, "must be a version id"),
        (99, "There is no notebook version with id 99"),
    ],
)
def test_bad_pins_are_refused(
    project: Project, notebook_factory: NotebookFactory, pin: object, message: str
) -> None:
    save(project, notebook_factory, "n = 1")
    with pytest.raises(InvalidInputError, match=message):
        create_job(project, {"notebook_path": "nb.ipynb", "pinned_version_id": pin})


def test_a_version_of_another_notebook_is_refused(
    project: Project, notebook_factory: NotebookFactory
) -> None:
    save(project, notebook_factory, "n = 1")
    other = notebook_factory("other.ipynb", [("code", "n = 1", ["parameters"])])
    version = versioning.commit(project, "other.ipynb", other.read_bytes())
    with pytest.raises(InvalidInputError, match=r"is version 1 of other\.ipynb, not a version of"):
        create_job(project, {"notebook_path": "nb.ipynb", "pinned_version_id": version.id})
