from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from nbtools import versioning
from nbtools.errors import (
    ConflictError,
    HiddenPathError,
    InvalidInputError,
    NotebookError,
    NotFoundError,
)
from nbtools.project import Project
from nbtools.store.tables import notebooks
from nbtools.versioning.objects import DamagedObjectError, ObjectStore
from tests.unit.versioning.conftest import edit, rich_notebook, write


def test_restore_keeps_the_current_state_then_writes_the_version(
    project: Project, nb_path: Path
) -> None:
    nb = rich_notebook()
    original = write(nb_path, nb)
    first = versioning.commit(project, "nb.ipynb", original)
    versioning.commit(project, "nb.ipynb", write(nb_path, edit(nb, 1, "saved")))
    write(nb_path, edit(nb, 1, "edited but never recorded"))
    result = versioning.restore(project, first)
    assert nb_path.read_bytes() == original  # byte for byte, images included
    assert result.before is not None
    assert result.before.number == 3
    kept = versioning.version_notebook(project, result.before)
    assert kept == edit(nb, 1, "edited but never recorded")
    assert (result.after.number, result.after.kind) == (4, "restore")
    assert result.after.message == "Restored version 1"
    assert result.after.manifest == first.manifest


def test_restoring_the_current_content_changes_nothing(project: Project, nb_path: Path) -> None:
    latest = versioning.commit(project, "nb.ipynb", write(nb_path, rich_notebook()))
    result = versioning.restore(project, latest)
    assert result.after.id == latest.id
    assert len(versioning.history(project, "nb.ipynb")) == 1


def test_restore_onto_a_deleted_notebook_recreates_it(project: Project, nb_path: Path) -> None:
    data = write(nb_path, rich_notebook())
    version = versioning.commit(project, "nb.ipynb", data)
    nb_path.unlink()
    result = versioning.restore(project, version)
    assert result.before is None
    assert nb_path.read_bytes() == data
    # the latest version's content already: nothing recorded, and the version is not renamed
    assert (result.after.id, result.after.recorded) == (version.id, False)
    assert versioning.history(project, "nb.ipynb") == [result.after]
    assert (result.after.message, result.after.kind) == (None, "auto")  # not named a restore
    second = versioning.commit(project, "nb.ipynb", write(nb_path, edit(rich_notebook(), 1, "2")))
    nb_path.unlink()
    older = versioning.restore(project, version)
    assert (older.before, older.after.number, older.after.recorded) == (None, 3, True)
    assert older.after.message == "Restored version 1"
    nb_path.unlink()
    again = versioning.restore(project, second)  # version 2's content is not the latest's
    assert (again.after.number, again.after.recorded) == (4, True)


def test_restore_as_a_copy_leaves_the_notebook_alone(project: Project, nb_path: Path) -> None:
    nb = rich_notebook()
    original = write(nb_path, nb)
    first = versioning.commit(project, "nb.ipynb", original)
    current = write(nb_path, edit(nb, 1, "now"))
    result = versioning.restore(project, first, as_path="old.ipynb")
    assert nb_path.read_bytes() == current
    assert (project.root / "old.ipynb").read_bytes() == original
    copy = versioning.latest(project, "old.ipynb")
    assert copy is not None
    assert copy.message == "Copy of nb.ipynb version 1"
    assert (result.path, result.before) == ("old.ipynb", None)
    with pytest.raises(ConflictError, match=r"old\.ipynb already exists"):
        versioning.restore(project, first, as_path="old.ipynb")
    with pytest.raises(InvalidInputError, match=r"must end in \.ipynb"):
        versioning.restore(project, first, as_path="old.txt")
    with pytest.raises(NotFoundError, match=r"folder of missing/x\.ipynb does not exist") as info:
        versioning.restore(project, first, as_path="missing/x.ipynb")
    assert info.value.details["field"] == "as_path"  # the CLI adds: See --as.
    (project.root / "folder.ipynb").mkdir()
    with pytest.raises(InvalidInputError, match=r"folder\.ipynb is a folder; give a file's name"):
        versioning.restore(project, first, as_path="folder.ipynb")


def test_the_store_directory_is_never_a_notebook(project: Project, nb_path: Path) -> None:
    """As the server refuses it: a copy written into .nbtools/ (or through a link to it) would
    start a history among nbtools' own files."""
    first = versioning.commit(project, "nb.ipynb", write(nb_path, rich_notebook()))
    (project.root / "sub").mkdir()
    (project.root / "sub" / "link").symlink_to(project.store_dir)
    for target in (".nbtools/x.ipynb", ".nbtools/versions/x.ipynb", "sub/link/x.ipynb"):
        with pytest.raises(HiddenPathError, match="is in the nbtools store directory"):
            versioning.restore(project, first, as_path=target)
        with pytest.raises(HiddenPathError, match="is in the nbtools store directory"):
            versioning.commit(project, target, rich_notebook())
    assert list(project.store_dir.rglob("*.ipynb")) == []
    with project.store.connection() as connection:  # no history started for any of them
        assert connection.scalar(select(func.count()).select_from(notebooks)) == 1


def test_an_unreadable_notebook_on_disk_is_never_overwritten(
    project: Project, nb_path: Path
) -> None:
    version = versioning.commit(project, "nb.ipynb", write(nb_path, rich_notebook()))
    nb_path.write_bytes(b'{"nbformat": 4, "cells": [')
    with pytest.raises(
        NotebookError, match=r"looks truncated.*nothing was changed.*as a copy"
    ) as info:
        versioning.restore(project, version)
    assert info.value.details["field"] == "as_path"  # the CLI adds: See --as.
    assert nb_path.read_bytes() == b'{"nbformat": 4, "cells": ['
    assert len(versioning.history(project, "nb.ipynb")) == 1


def test_a_damaged_version_is_not_restored_and_the_file_is_untouched(
    project: Project, nb_path: Path
) -> None:
    nb = rich_notebook()
    first = versioning.commit(project, "nb.ipynb", write(nb_path, nb))
    current = write(nb_path, edit(nb, 1, "now"))
    store = ObjectStore(project.store_dir / "versions")
    store.pack_path(1).write_bytes(b"\0" * store.pack_path(1).stat().st_size)
    with pytest.raises(DamagedObjectError):
        versioning.restore(project, first)
    assert nb_path.read_bytes() == current
