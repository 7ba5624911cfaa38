"""Paths on the command line (docs/cli.md, "Paths"): relative to where the user is when that
is inside the project, else to the root; the project found as git finds a repository."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from nbtools.cli.paths import root_relative
from nbtools.errors import InvalidInputError
from nbtools.project import Project, nearest_root
from tests.conftest import make_notebook


@pytest.fixture
def project(tmp_path: Path) -> Project:
    (tmp_path / "root" / "notebooks" / "deep").mkdir(parents=True)
    (tmp_path / "outside").mkdir()
    return Project(tmp_path / "root")


@pytest.mark.parametrize(
    ("where", "typed", "meant"),
    [
        ("root", "notebooks/a.ipynb", "notebooks/a.ipynb"),
        ("root/notebooks", "a.ipynb", "notebooks/a.ipynb"),
        ("root/notebooks/deep", "../a.ipynb", "notebooks/a.ipynb"),
        ("root/notebooks", "./deep//b.ipynb", "notebooks/deep/b.ipynb"),
        ("root/notebooks", "..", "."),
        ("outside", "notebooks/a.ipynb", "notebooks/a.ipynb"),  # --root given from elsewhere
        ("outside", "{root}/notebooks/a.ipynb", "notebooks/a.ipynb"),
        ("root/notebooks", "{root}/a.ipynb", "a.ipynb"),
    ],
)
def test_a_typed_path_means_what_the_shell_means(
    project: Project, where: str, typed: str, meant: str
) -> None:
    here = project.root.parent / where
    assert root_relative(project, typed.format(root=project.root), here) == meant


@pytest.mark.parametrize(
    ("where", "typed"),
    [
        ("root", "../outside/a.ipynb"),
        ("root/notebooks", "../../a.ipynb"),
        ("root", "/etc/hosts"),
        ("outside", "{root}/../outside/a.ipynb"),
    ],
)
def test_a_path_outside_the_root_is_refused_naming_the_root(
    project: Project, where: str, typed: str
) -> None:
    here = project.root.parent / where
    with pytest.raises(InvalidInputError, match=f"is outside the project root {project.root}"):
        root_relative(project, typed.format(root=project.root), here)


def test_a_nul_byte_or_an_empty_path_is_left_to_the_library_s_own_refusal(
    project: Project,
) -> None:
    from nbtools.errors import PathOutsideRootError

    for typed in ("a\x00.ipynb", ""):
        assert root_relative(project, typed, project.root) == typed
    with pytest.raises(PathOutsideRootError, match="NUL byte"):
        project.resolve(root_relative(project, "a\x00.ipynb", project.root))


def test_a_directory_link_is_followed_and_a_linked_notebook_keeps_its_name(
    project: Project,
) -> None:
    """A notebook reached through a linked directory is the one inside the root; a link to
    a notebook keeps the link's own name (its versions are keyed by it)."""
    (project.root.parent / "link").symlink_to(project.root / "notebooks")
    (project.root / "notebooks" / "alias.ipynb").symlink_to(project.root / "notebooks/a.ipynb")
    here = project.root.parent
    assert root_relative(project, str(here / "link" / "a.ipynb"), here) == "notebooks/a.ipynb"
    assert root_relative(project, "alias.ipynb", project.root / "notebooks") == (
        "notebooks/alias.ipynb"
    )


def test_the_nearest_project_above_is_found_as_git_finds_a_repository(tmp_path: Path) -> None:
    (tmp_path / "outer" / ".nbtools").mkdir(parents=True)
    (tmp_path / "outer" / "inner" / ".nbtools").mkdir(parents=True)
    (tmp_path / "outer" / "inner" / "sub").mkdir()
    (tmp_path / "outer" / "other").mkdir()
    assert nearest_root(tmp_path / "outer" / "inner" / "sub") == tmp_path / "outer" / "inner"
    assert nearest_root(tmp_path / "outer" / "other") == tmp_path / "outer"
    assert nearest_root(tmp_path) is None


def nbtools(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("NBTOOLS_")}
    command = [sys.executable, "-c", "from nbtools.cli.main import main; main()", *args]
    return subprocess.run(
        command, cwd=cwd, env=environment, capture_output=True, text=True, timeout=120
    )


def test_commands_in_a_subdirectory_use_the_project_above_and_paths_from_there(
    tmp_path: Path,
) -> None:
    """Before, a command in a subdirectory made a new empty store there, and a path typed
    from there (``nb.ipynb``, ``../x.ipynb``, an absolute path) was refused or meant another
    file."""
    root = tmp_path / "project"
    (root / "notebooks").mkdir(parents=True)
    notebook = make_notebook([("code", "days = 1", ["parameters"]), ("code", "days", [])])
    (root / "notebooks" / "nb.ipynb").write_text(json.dumps(notebook))
    (root / "top.ipynb").write_text(json.dumps(notebook))
    assert nbtools(root, "version", "save", "top.ipynb").returncode == 0  # makes the store
    here = root / "notebooks"
    saved = nbtools(here, "version", "save", "nb.ipynb", "--json")
    assert saved.returncode == 0, saved.stderr
    assert json.loads(saved.stdout)["path"] == "notebooks/nb.ipynb"
    for typed in ("../top.ipynb", str(root / "top.ipynb")):
        again = nbtools(here, "version", "save", typed, "--json")
        assert again.returncode == 0, again.stderr
        assert json.loads(again.stdout)["path"] == "top.ipynb"
    assert not (here / ".nbtools").exists()
    job = nbtools(here, "schedule", "add", "nb.ipynb", "--json")
    assert job.returncode == 0, job.stderr
    assert json.loads(job.stdout)["notebook_path"] == "notebooks/nb.ipynb"
    refused = nbtools(here, "version", "save", "../../elsewhere.ipynb")
    assert refused.returncode == 2
    assert f"is outside the project root {root.resolve()}" in refused.stderr
    listed = nbtools(tmp_path, "--root", str(root), "version", "log", "notebooks/nb.ipynb")
    assert listed.returncode == 0, listed.stderr  # from outside, relative to --root
