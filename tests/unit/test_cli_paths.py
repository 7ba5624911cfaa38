"""Paths on the command line (docs/cli.md, "Paths"): relative to where the user is when that
is inside the project, else to the root; the project found as git finds a repository."""

from __future__ import annotations

import functools
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from nbtools.cli.paths import root_relative
from nbtools.errors import InvalidInputError
from nbtools.project import (
    Project,
    nearest_root,
)
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


def test_a_loop_of_symbolic_links_is_refused_naming_the_path(project: Project) -> None:
    """Before, reading the path typed ended in a RuntimeError (a traceback)."""
    (project.root / "ping").symlink_to("pong")
    (project.root / "pong").symlink_to("ping")
    for typed in ("ping/nb.ipynb", str(project.root / "pong" / "nb.ipynb")):
        with pytest.raises(InvalidInputError, match="loop of symbolic links") as caught:
            root_relative(project, typed, project.root)
        assert caught.value.details == {"path": typed}
    assert root_relative(project, "ping", project.root) == "ping"  # the library's to refuse


def test_the_nearest_project_above_is_found_as_git_finds_a_repository(tmp_path: Path) -> None:
    (tmp_path / "outer" / ".nbtools").mkdir(parents=True)
    (tmp_path / "outer" / "inner" / ".nbtools").mkdir(parents=True)
    (tmp_path / "outer" / "inner" / "sub").mkdir()
    (tmp_path / "outer" / "other").mkdir()
    assert nearest_root(tmp_path / "outer" / "inner" / "sub") == tmp_path / "outer" / "inner"
    assert nearest_root(tmp_path / "outer" / "other") == tmp_path / "outer"
    assert nearest_root(tmp_path) is None


def nbtools(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("NBTOOLS_")} | env
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


def test_a_notebook_path_through_a_loop_or_with_a_nul_byte_exits_2(tmp_path: Path) -> None:
    """``run`` and ``schedule add`` refuse a notebook path the operating system cannot
    resolve, read by the command line (typed in the root) or by the library (``--root`` from
    elsewhere), where a loop ended in a traceback."""
    from click.testing import CliRunner

    from nbtools.cli.app import cli

    root = tmp_path / "project"
    root.mkdir()
    (root / "ping").symlink_to("pong")
    (root / "pong").symlink_to("ping")
    for where, args in (
        (root, ("run", "ping/nb.ipynb")),
        (root, ("schedule", "add", "ping/nb.ipynb")),
        (tmp_path, ("--root", str(root), "run", "pong/nb.ipynb")),
        (tmp_path, ("--root", str(root), "schedule", "add", "ping")),
    ):
        refused = nbtools(where, *args, "--json")
        assert refused.returncode == 2, refused.stderr
        error = json.loads(refused.stdout)
        assert error["error"] == "InvalidInputError"
        assert "goes through a loop of symbolic links" in error["message"]
        assert "Traceback" not in refused.stderr
    for args in (("run", "a\x00b.ipynb"), ("schedule", "add", "a\x00b.ipynb")):
        result = CliRunner().invoke(cli, ["--root", str(root), *args, "--json"])
        assert result.exit_code == 2, result.output
        message = "The path contains a NUL byte. See NOTEBOOK."
        assert json.loads(result.stdout)["message"] == message


def test_a_path_too_long_in_folders_not_made_yet_exits_2_before_anything_is_made(
    tmp_path: Path,
) -> None:
    """The system refuses a name too long only once the folders before it exist: ``run -o``
    ran the notebook and then failed with a traceback (File name too long), ``extract -o``,
    ``init`` and ``env recreate`` made ``new/`` first (a traceback, exit 2 and a traceback
    after pip). The output's refusal names ``--output`` (the field ``output``)."""
    from click.testing import CliRunner

    from nbtools.cli.app import cli

    root = tmp_path / "project"
    root.mkdir()
    notebook = make_notebook([("code", "x = 1", ["export"])])
    (root / "nb.ipynb").write_text(json.dumps(notebook))
    (root / "requirements.txt").write_text("requests==2.31.0\n")
    invoke = functools.partial(CliRunner().invoke, cli, catch_exceptions=False)
    imported = invoke(
        ["--root", str(root), "env", "import", str(root / "requirements.txt"), "--json"]
    )
    snapshot = json.loads(imported.stdout)["id"]
    too_long = str(root / "new" / ("a" * 300))
    for args, field in (
        (["run", str(root / "nb.ipynb"), "-o", f"{too_long}.ipynb"], "output"),
        (["extract", str(root / "nb.ipynb"), "-o", too_long], "output"),
        (["init", too_long], "directory"),
        (["env", "recreate", snapshot, too_long], "directory"),
    ):
        refused = invoke(["--root", str(root), *args])
        assert refused.exit_code == 2, refused.output
        said = " ".join(refused.stderr.split())
        assert "is too long for the file system: shorten its file or folder names." in said
        assert said.endswith(" See --output." if field == "output" else " See DIRECTORY.")
        answered = invoke(["--root", str(root), *args, "--json"])
        assert json.loads(answered.stdout)["details"]["field"] == field
        assert not (root / "new").exists()
    assert json.loads(invoke(["--root", str(root), "runs", "list", "--json"]).stdout) == []


def test_a_name_too_long_typed_for_an_input_exits_2_naming_it(tmp_path: Path) -> None:
    """A path typed inside the root had its folders resolved and its last name kept as
    typed: a name longer than the file system takes (``data add`` of a location, ``run``,
    ``schedule add``, ``data check``, ``extract``) ended in a traceback (OSError: File name
    too long), exit 1."""
    (tmp_path / ".nbtools").mkdir()
    (tmp_path / "data").mkdir()
    name = "a" * 300
    for args, named in (
        (["data", "add", "d", f"data/{name}.csv"], "LOCATION"),
        (["run", f"{name}.ipynb"], "NOTEBOOK"),
        (["schedule", "add", f"{name}.ipynb"], "NOTEBOOK"),
        (["data", "check", f"{name}.ipynb"], "NOTEBOOK"),
        (["extract", f"{name}.ipynb"], "NOTEBOOKS"),
    ):
        refused = nbtools(tmp_path, *args)  # typed from inside the root
        assert refused.returncode == 2, (args, refused.stderr)
        said = " ".join(refused.stderr.split())
        assert "is too long for the file system: shorten its file or folder names." in said
        assert said.endswith(f" See {named}."), said


def test_a_flag_is_never_named_for_an_argument_of_its_name(tmp_path: Path) -> None:
    """``version show --notebook`` (print the notebook) sets no field ``notebook``: a refusal
    of the argument NOTEBOOK does not point at it, as an option taking a value would be."""
    refused = nbtools(tmp_path, "version", "show", "../x.ipynb", "1")
    assert refused.returncode == 2, refused.stderr
    assert refused.stderr.startswith("Error: ../x.ipynb is outside the project root")
    assert "--notebook" not in refused.stderr


def test_every_refusal_of_an_argument_names_it_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A refusal of what an argument gave said what was wrong but not which argument: with
    two (``env recreate SNAPSHOT DIRECTORY``) the user had to guess. Each names it as the
    usage line does, once: by the field the refusal names, else by the value it holds (a
    path the library refused under its own name, ``directory``, ``path``)."""
    from click.testing import CliRunner

    from nbtools.cli.app import cli

    root = tmp_path / "project"
    (root / "full").mkdir(parents=True)
    (root / "full" / "x").touch()
    (root / "loop").symlink_to("loop")
    (root / "empty.ipynb").touch()
    (root / "requirements.txt").write_text("requests==2.31.0\n")
    monkeypatch.chdir(root)  # where DIRECTORY is read from, as NOTEBOOK is
    invoke = functools.partial(CliRunner().invoke, cli, catch_exceptions=False)
    imported = invoke(["--root", str(root), "env", "import", "requirements.txt", "--json"])
    snapshot = json.loads(imported.stdout)["short_id"]
    for args, said, named in (
        (["env", "recreate", snapshot, "full"], "full exists and is not an empty", "DIRECTORY"),
        (["env", "recreate", snapshot, "loop"], "a loop of symbolic links", "DIRECTORY"),
        (["env", "recreate", "abc", "new"], "No snapshot 'abc'.", "SNAPSHOT"),
        (["init", "loop"], "a loop of symbolic links", "DIRECTORY"),
        (["version", "save", "../x.ipynb"], "is outside the project root", "NOTEBOOKS"),
        (["version", "save", "missing.ipynb"], "Notebook not found: missing.ipynb", "NOTEBOOKS"),
        (["extract", "empty.ipynb"], "empty.ipynb is empty: it is not a notebook.", "NOTEBOOKS"),
        # a name longer than a file system takes, typed inside the root: a traceback (OSError)
        (["version", "save", "a" * 300 + ".ipynb"], "is too long for the file", "NOTEBOOKS"),
        (["extract", "a" * 300 + ".ipynb"], "is too long for the file", "NOTEBOOKS"),
        # no such notebook: the notebook's path is what is wrong, not the version asked for
        (["version", "show", "ghost.ipynb", "1"], "ghost.ipynb has no versions", "NOTEBOOK"),
        (["data", "add", "d", "loop"], "a loop of symbolic links", "LOCATION"),
        (["schedule", "pause", "nojob"], "No job is named 'nojob'.", "JOB"),
        # named by the message itself: not twice
        (["version", "save", "q\udcff.ipynb"], "NOTEBOOKS must be UTF-8 text", "NOTEBOOKS"),
    ):
        refused = invoke(["--root", str(root), *args])
        assert refused.exit_code == 2, refused.output
        message = " ".join(refused.stderr.split())
        assert said in message, message
        assert message.count(named) == 1, message
        assert message.endswith(f" See {named}.") or message.startswith(f"Error: {named} ")
        for other in ("SNAPSHOT", "DIRECTORY", "NOTEBOOK", "VERSION", "NAME", "LOCATION"):
            assert other == named or not re.search(rf"\b{other}\b", message), message
        answered = json.loads(invoke(["--root", str(root), *args, "--json"]).stdout)
        assert answered["message"] == message.removeprefix("Error: ")
    assert sorted(path.name for path in root.iterdir()) == [
        ".nbtools", "empty.ipynb", "full", "loop", "requirements.txt"
    ]  # fmt: skip


@pytest.mark.parametrize("store_dir", [".nbtools", "build/state"])
def test_a_path_inside_a_project_nested_in_the_root_is_refused_naming_it(
    tmp_path: Path, store_dir: str
) -> None:
    """As git refuses a path inside a submodule: a command run in the nested folder uses its
    own store, so this project would keep the notebook under a second name."""
    project = Project(tmp_path / "root", tmp_path / "root" / store_dir)
    (project.root / "team" / "deep").mkdir(parents=True)
    (project.root / "team" / store_dir).mkdir(parents=True)
    (project.root / "other").mkdir()
    here = project.root
    with pytest.raises(InvalidInputError) as refused:
        root_relative(project, "team/deep/nb.ipynb", here)
    assert refused.value.message == (
        f"team/deep/nb.ipynb belongs to the nbtools project in team (its own store directory "
        f"{store_dir}/ is there), not to the one this command uses, {project.root}: run the "
        "command there (cd team) or name that project's root with --root."
    )
    assert refused.value.details["project"] == str(project.root / "team")
    with pytest.raises(InvalidInputError, match="belongs to the nbtools project in team"):
        root_relative(project, "team", here)  # the nested root itself
    # from inside the nested project, with the outer root set: no cd to suggest
    with pytest.raises(InvalidInputError, match=": name that project's root with --root"):
        root_relative(project, "nb.ipynb", project.root / "team" / "deep")
    assert root_relative(project, "other/nb.ipynb", here) == "other/nb.ipynb"
    assert root_relative(project, f"{store_dir}/x.ipynb", here) == f"{store_dir}/x.ipynb"


def test_a_project_whose_store_is_elsewhere_has_no_nested_projects(tmp_path: Path) -> None:
    project = Project(tmp_path / "root", tmp_path / "state")
    (project.root / "team" / ".nbtools").mkdir(parents=True)
    (project.root / "team" / "state").mkdir()
    assert project.nested_root(project.root / "team" / "nb.ipynb") is None
    assert root_relative(project, "team/nb.ipynb", project.root) == "team/nb.ipynb"


def test_a_mistyped_notebook_is_named_as_typed_with_the_closest_one(tmp_path: Path) -> None:
    """In ``ROOT/sub``, ``run forcast.ipynb`` said ``Notebook 'sub/forcast.ipynb' does not
    exist: … Check the path (relative to the root).``, a base the command line does not read
    paths from, and offered no close match."""
    root = tmp_path / "project"
    (root / ".nbtools").mkdir(parents=True)
    (root / "sub").mkdir()
    notebook = json.dumps(make_notebook([("code", "x = 1", [])]))
    (root / "sub" / "forecast.ipynb").write_text(notebook)
    for command in (["run"], ["schedule", "add"]):
        refused = nbtools(root / "sub", *command, "forcast.ipynb", "--json")
        assert refused.returncode == 2, refused.stderr
        error = json.loads(refused.stdout)
        assert error["message"] == (
            "Notebook 'forcast.ipynb' does not exist: nothing was created. Did you mean "
            "'forecast.ipynb'? See NOTEBOOK."
        )
        assert error["details"] == {
            "path": "sub/forcast.ipynb",
            "did_you_mean": "sub/forecast.ipynb",
        }
    from_root = json.loads(nbtools(root, "run", "sub/forcast.ipynb", "--json").stdout)
    assert "'sub/forcast.ipynb' does not exist" in from_root["message"]
    assert "Did you mean 'sub/forecast.ipynb'?" in from_root["message"]
    far = json.loads(nbtools(root / "sub", "run", "zzz.ipynb", "--json").stdout)
    assert (
        far["message"] == "Notebook 'zzz.ipynb' does not exist: nothing was created. See NOTEBOOK."
    )
