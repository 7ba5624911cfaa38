"""Where the store directory is and the root it records (docs/configuration.md): a store
directory relative to the root marks it, one elsewhere names the one root it serves, and
commands, code without the CLI and the server are held to that root."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nbtools.config import NbtoolsSettings
from nbtools.errors import InvalidInputError
from nbtools.paths import DEFAULT_STORE_DIR
from nbtools.project import (
    ROOT_RECORD,
    Project,
    claim_store,
    nearest_root,
    project_from_environment,
    recorded_root,
)
from tests.conftest import make_notebook
from tests.unit.test_cli_paths import nbtools


def test_a_store_directory_named_relative_to_the_root_marks_the_root(tmp_path: Path) -> None:
    assert NbtoolsSettings().store_dir == DEFAULT_STORE_DIR  # the setting's default
    (tmp_path / "outer" / "state").mkdir(parents=True)
    (tmp_path / "outer" / "inner" / "build" / "nbtools").mkdir(parents=True)
    (tmp_path / "outer" / "inner" / "sub").mkdir()
    (tmp_path / "outer" / ".nbtools").mkdir()  # another setting's store: not this one
    assert nearest_root(tmp_path / "outer" / "inner" / "sub", "state") == tmp_path / "outer"
    assert nearest_root(tmp_path / "outer" / "inner" / "sub", "build/nbtools") == (
        tmp_path / "outer" / "inner"
    )
    assert nearest_root(tmp_path / "outer" / "inner", "elsewhere") is None


def test_a_store_directory_elsewhere_names_the_one_root_it_serves(tmp_path: Path) -> None:
    store = tmp_path / "store"
    (tmp_path / "project" / "sub").mkdir(parents=True)
    (tmp_path / "other").mkdir()
    assert nearest_root(tmp_path / "project" / "sub", str(store)) is None  # nothing recorded
    assert claim_store(tmp_path / "project", str(store)) == store
    assert (store / ROOT_RECORD).read_text() == f"{tmp_path / 'project'}\n"
    assert claim_store(tmp_path / "project", str(store)) == store  # its own root again
    assert nearest_root(tmp_path / "project" / "sub", str(store)) == tmp_path / "project"
    assert nearest_root(tmp_path / "other", str(store)) is None
    with pytest.raises(InvalidInputError, match="belongs to the project at") as refused:
        claim_store(tmp_path / "other", str(store))
    assert refused.value.details["project"] == str(tmp_path / "project")
    # a relative name leading out of the root is elsewhere too: siblings cannot share it
    assert claim_store(tmp_path / "project", "../shared") == tmp_path / "shared"
    with pytest.raises(InvalidInputError, match="belongs to the project at"):
        claim_store(tmp_path / "other", "../shared")
    # inside the root, nothing is recorded: the directory itself marks the root
    assert claim_store(tmp_path / "other", "state") == tmp_path / "other" / "state"
    assert not (tmp_path / "other" / "state").exists()


def test_a_used_store_that_records_no_root_takes_one_only_when_it_is_set(
    tmp_path: Path,
) -> None:
    store = tmp_path / "store"
    store.mkdir()
    (store / "nbtools.db").write_bytes(b"")  # made by an earlier nbtools
    with pytest.raises(InvalidInputError, match="holds a project but not its root"):
        claim_store(tmp_path, str(store), guessed=True)
    assert claim_store(tmp_path, str(store)) == store
    assert recorded_root(store) == tmp_path


@pytest.mark.parametrize("where", ["absolute", "relative", "config file"])
def test_one_history_from_any_folder_whatever_the_store_directory(
    tmp_path: Path, where: str
) -> None:
    """Before, only ``.nbtools/`` marked the root: with a store directory set, a command in a
    subdirectory kept the notebook under a second name (an absolute store) or made a second
    project there (a relative one)."""
    root = tmp_path / "project"
    (root / "sub").mkdir(parents=True)
    notebook = make_notebook([("code", "days = 1", ["parameters"])])
    (root / "sub" / "nb.ipynb").write_text(json.dumps(notebook))
    store = {"absolute": str(tmp_path / "state"), "relative": "state"}.get(where, "")
    env = {"NBTOOLS_STORE_DIR": store} if store else {}
    if where == "config file":
        config = tmp_path / "nbtools_config.py"
        config.write_text(f"c.NbtoolsSettings.store_dir = {str(tmp_path / 'state')!r}\n")
        env = {"NBTOOLS_CONFIG": str(config)}
    first = nbtools(root, "version", "save", "sub/nb.ipynb", "--json", **env)
    assert first.returncode == 0, first.stderr
    notebook["cells"][0]["source"] = "days = 2"
    (root / "sub" / "nb.ipynb").write_text(json.dumps(notebook))
    again = nbtools(root / "sub", "version", "save", "nb.ipynb", "--json", **env)
    assert again.returncode == 0, again.stderr
    assert (json.loads(again.stdout)["path"], json.loads(again.stdout)["number"]) == (
        "sub/nb.ipynb",
        2,
    )
    assert not (root / "sub" / "state").exists()
    assert not (root / "sub" / ".nbtools").exists()
    assert not (root / ".nbtools").exists()


def test_a_command_outside_the_root_a_store_records_is_refused(tmp_path: Path) -> None:
    root, elsewhere, store = tmp_path / "project", tmp_path / "elsewhere", tmp_path / "state"
    root.mkdir()
    elsewhere.mkdir()
    env = {"NBTOOLS_STORE_DIR": str(store)}
    assert nbtools(root, "status", **env).returncode == 0
    assert not store.exists()  # a command that only reads makes no store
    (root / "nb.ipynb").write_text(json.dumps(make_notebook([("code", "x = 1", [])])))
    assert nbtools(root, "version", "save", "nb.ipynb", **env).returncode == 0
    assert recorded_root(store) == root
    for cwd, args in ((elsewhere, ()), (root, ("--root", str(elsewhere)))):
        refused = nbtools(cwd, *args, "schedule", "list", "--json", **env)
        assert refused.returncode == 2, refused.stderr
        error = json.loads(refused.stdout)
        assert error["details"]["project"] == str(root)
        assert (
            f"belongs to the project at {root}, and {elsewhere} is not inside it"
            in (error["message"])
        )
        assert "$NBTOOLS_STORE_DIR" in error["message"]
    assert list(elsewhere.iterdir()) == []
    assert recorded_root(store) == root
    listed = nbtools(elsewhere, "--root", str(root), "schedule", "list", "--json", **env)
    assert listed.returncode == 0, listed.stderr  # the recorded root, named from anywhere


def test_code_without_the_cli_finds_its_project_by_the_store_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A notebook's kernel (``nbtools.data.path``) reads $NBTOOLS_STORE_DIR as the CLI does."""
    root = tmp_path / "project"
    (root / "state").mkdir(parents=True)
    (root / "notebooks").mkdir()
    monkeypatch.delenv("NBTOOLS_ROOT", raising=False)
    monkeypatch.chdir(root / "notebooks")
    monkeypatch.setenv("NBTOOLS_STORE_DIR", "state")
    found = project_from_environment()
    assert (found.root, found.store_dir) == (root, root / "state")
    claim_store(root, str(tmp_path / "elsewhere"))
    monkeypatch.setenv("NBTOOLS_STORE_DIR", str(tmp_path / "elsewhere"))
    found = project_from_environment()
    assert (found.root, found.store_dir) == (root, tmp_path / "elsewhere")


@pytest.mark.parametrize("variable", ["NBTOOLS_ROOT", "NBTOOLS_DB_URL", "NBTOOLS_STORE_DIR"])
def test_code_without_the_cli_refuses_a_variable_holding_bytes_that_are_not_utf8(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    """A notebook's kernel, a served package: the database's URL (and a root or store
    directory naming one) was a UnicodeEncodeError; it is refused as the CLI refuses it."""
    (tmp_path / ".nbtools").mkdir()
    monkeypatch.chdir(tmp_path)
    for name in ("NBTOOLS_ROOT", "NBTOOLS_DB_URL", "NBTOOLS_STORE_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(variable, f"sqlite:///{tmp_path}/\udcff.db")
    with pytest.raises(InvalidInputError) as refused:
        project_from_environment()
    assert refused.value.message.startswith(
        f"${variable} must be UTF-8 text, as nbtools keeps paths, names and values: "
        f"sqlite:///{tmp_path}/\\xff.db holds bytes that are not UTF-8 (shown as \\xNN)."
    )
    assert refused.value.details == {"variable": variable}


def test_the_server_s_root_is_held_to_the_root_its_store_records(tmp_path: Path) -> None:
    """The server does not look for the project (its root is its own): a store elsewhere
    recording another root stops it rather than keeping notebooks under a second name."""
    (tmp_path / "project").mkdir()
    settings = NbtoolsSettings(store_dir=str(tmp_path / "state"))
    opened = Project.from_settings(settings, default_root=tmp_path / "project")
    assert recorded_root(opened.store_dir) == tmp_path / "project"
    with pytest.raises(InvalidInputError, match="belongs to the project at"):
        Project.from_settings(settings, default_root=tmp_path)
