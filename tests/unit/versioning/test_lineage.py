from __future__ import annotations

from pathlib import Path

import pytest

from nbtools import versioning
from nbtools.jobs.events import RunStarted, run_started
from nbtools.project import Project
from tests.unit.versioning.conftest import edit, rich_notebook, write


def start(project: Project, run_id: int, content: bytes, actor: str | None = None) -> RunStarted:
    path = project.root / "nb.ipynb"
    return RunStarted(project, run_id, "nb.ipynb", path, content, "python3", actor=actor)


def test_a_run_records_the_version_it_executes_and_keeps_it_from_gc(
    project: Project, nb_path: Path
) -> None:
    data = write(nb_path, rich_notebook())
    lineage = run_started(start(project, 7, data))  # the subscribers the runner calls
    version = versioning.get(project, lineage["notebook_version_id"])
    assert version.number == 1
    assert versioning.references(project, version.id) == [{"kind": "run", "ref": "7"}]
    for step in range(3):
        versioning.commit(project, "nb.ipynb", edit(rich_notebook(), 1, f"x = {step}"))
    versioning.collect_garbage(project, keep=1)
    assert [v.number for v in versioning.history(project, "nb.ipynb")] == [4, 1]
    assert run_started(start(project, 8, data))["notebook_version_id"] != version.id


def test_the_version_names_the_user_the_run_acts_for(
    project: Project, nb_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run's ``created_by``, never who the worker runs as; a run recorded before runs had
    one names who it would name without it (``$NBTOOLS_ACTOR``, else the OS user)."""
    monkeypatch.setenv("NBTOOLS_ACTOR", "worker-os-user")
    first = run_started(start(project, 1, write(nb_path, rich_notebook()), actor="alice"))
    assert versioning.get(project, first["notebook_version_id"]).user == "alice"
    again = run_started(start(project, 2, write(nb_path, rich_notebook()), actor="bob"))
    assert again == first  # unchanged: the version alice's run recorded
    changed = write(nb_path, edit(rich_notebook(), 1, "x = 3"))
    anonymous = run_started(start(project, 3, changed))
    assert versioning.get(project, anonymous["notebook_version_id"]).user == "worker-os-user"


def test_a_versioning_failure_does_not_stop_the_run(project: Project, nb_path: Path) -> None:
    (project.store_dir / "versions").mkdir(parents=True)
    (project.store_dir / "versions" / "packs").write_text("not a folder")
    lineage = run_started(start(project, 1, write(nb_path, rich_notebook())))
    assert "notebook_version_id" not in lineage
