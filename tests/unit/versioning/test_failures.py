"""A version store whose files are not what they should be: recording a version fails naming
the path at fault and what to do (not ``IsADirectoryError(21, 'Is a directory')``), in the
library, and in the CLI with exit code 2; nothing is recorded."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from nbtools import versioning
from nbtools.errors import StoreError
from nbtools.project import Project
from tests.conftest import nbtools
from tests.unit.versioning.conftest import edit, rich_notebook, write


def lock_is_a_folder(versions: Path) -> Path:
    (versions / "write.lock").unlink()
    (versions / "write.lock").mkdir()
    return versions / "write.lock"


def store_is_a_file(versions: Path) -> Path:
    for child in versions.rglob("*"):
        if child.is_file():
            child.unlink()
    for folder in sorted(versions.rglob("*"), reverse=True):
        folder.rmdir()
    versions.rmdir()
    versions.write_text("not the version store")
    return versions


def packs_is_a_file(versions: Path) -> Path:
    for pack in (versions / "packs").iterdir():
        pack.unlink()
    (versions / "packs").rmdir()
    (versions / "packs").write_text("not a folder")
    return versions / "packs"


DAMAGES: dict[str, tuple[Callable[[Path], Path], str]] = {
    "the lock file is a folder": (lock_is_a_folder, "is a folder where the store keeps a file"),
    "the store's folder is a file": (store_is_a_file, "is a file where the store keeps a folder"),
    "the packs folder is a file": (packs_is_a_file, "is a file where the store keeps a folder"),
}


@pytest.mark.parametrize("damage", DAMAGES, ids=list(DAMAGES))
def test_recording_into_a_damaged_store_names_the_path_and_what_to_do(
    project: Project, nb_path: Path, damage: str
) -> None:
    make, advice = DAMAGES[damage]
    nb = rich_notebook()
    versioning.commit(project, "nb.ipynb", nb)
    at_fault = make(project.store_dir / "versions")
    with pytest.raises(StoreError) as raised:
        versioning.commit(project, "nb.ipynb", edit(nb, 1, "x = 2"))
    message = raised.value.message
    assert message.startswith("Cannot "), message
    assert f"the version store: {at_fault} {advice}" in message, message
    assert "Move it out of" in message
    assert message.endswith("then try again.")
    assert raised.value.details["path"] == str(at_fault)
    assert [v.number for v in versioning.history(project, "nb.ipynb")] == [1]


def test_the_cli_says_which_path_and_exits_2(project: Project, nb_path: Path) -> None:
    nb = rich_notebook()
    write(nb_path, nb)
    assert nbtools(project.root, "version", "save", "nb.ipynb").exit_code == 0
    lock = lock_is_a_folder(project.store_dir / "versions")
    write(nb_path, edit(nb, 1, "x = 2"))

    result = nbtools(project.root, "version", "save", "nb.ipynb")
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert f"{lock} is a folder where the store keeps a file (Is a directory)" in result.output
    assert f"Move it out of {lock.parent}" in result.output

    answer = nbtools(project.root, "version", "save", "nb.ipynb", "--json")
    assert answer.exit_code == 2
    error = json.loads(answer.stdout)
    assert (error["error"], error["details"]["path"]) == ("StoreError", str(lock))

    lock.rmdir()  # moved away, as told: the next save is recorded
    assert nbtools(project.root, "version", "save", "nb.ipynb").exit_code == 0
    assert [v.number for v in versioning.history(project, "nb.ipynb")] == [2, 1]
