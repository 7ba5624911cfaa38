"""``nbtools init`` as a user runs it: real processes, a real extraction and its tests."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from nbtools.export import read_manifest
from tests.conftest import NotebookFactory
from tests.unit.test_cli import run_cli
from tests.unit.test_cli_extract import GOOD


def test_init_writes_a_starter_kit_whose_check_passes(tmp_path: Path) -> None:
    result = run_cli("init", str(tmp_path))
    assert result.returncode == 0, result.stderr
    workflow = (tmp_path / ".github/workflows/nbtools.yml").read_text()
    steps = [line.strip() for line in workflow.splitlines() if line.strip().startswith("run:")]
    assert steps == [  # the package's own dependencies (and pytest) are there before --test
        'run: pip install jupyter-nbtools "./packages/example[test,serve]"',
        "run: nbtools extract example.ipynb -o packages/example --name example --check --test",
    ]
    project = (tmp_path / "packages/example/pyproject.toml").read_text()
    assert "[project.optional-dependencies]\ntest = [" in project
    assert "--check" in (tmp_path / ".pre-commit-config.yaml").read_text()
    check = run_cli(
        "extract", "example.ipynb", "-o", "packages/example", "--check", "--test", cwd=tmp_path
    )
    assert check.returncode == 0, check.stdout + check.stderr
    # the pipeline is served (POST /run), and its endpoint's test runs with the others
    assert (tmp_path / "packages/example/src/example/service.py").is_file()
    assert "tests (current environment): 3 passed" in check.stdout
    # the test runs elsewhere: the hint's commands start in the project
    assert f"Next: `cd {tmp_path}`, then open example.ipynb in JupyterLab" in result.stdout
    assert "serve it with `nbtools serve packages/example` (POST /run)" in result.stdout
    again = run_cli("init", str(tmp_path))
    assert "kept      example.ipynb (exists already)" in again.stdout
    # Without -o, the notebook's package is the one the workflow checks, not a new one.
    updated = run_cli("extract", "example.ipynb", "--lineage", "off", cwd=tmp_path)
    assert updated.returncode == 0, updated.stderr
    assert "package 'example' written to packages/example" in updated.stdout
    assert not (tmp_path / "example").exists()


def test_init_names_the_package_in_its_ci_files_so_that_ci_elsewhere_checks_the_same_one(
    tmp_path: Path,
) -> None:
    """Where a module named ``example`` is importable, init names the package ``example_pkg``;
    its workflow and hook say so, and their check passes where no such module is (CI's
    machine), where without the name it found the package stale (it expected ``example``)."""
    here = tmp_path / "here"
    here.mkdir()
    (here / "example.py").write_text("")  # importable by a process started here
    kit = tmp_path / "kit"
    result = run_cli("init", str(kit), cwd=here)
    assert result.returncode == 0, result.stderr
    assert read_manifest(kit / "packages/example")["package"] == "example_pkg"
    command = "nbtools extract example.ipynb -o packages/example --name example_pkg --check"
    assert f"run: {command} --test\n" in (kit / ".github/workflows/nbtools.yml").read_text()
    assert f"entry: {command}\n" in (kit / ".pre-commit-config.yaml").read_text()
    check = run_cli(*shlex.split(command)[1:], cwd=kit)
    assert check.returncode == 0, check.stdout + check.stderr
    again = run_cli("init", str(kit))  # where no module example is: the package is kept
    assert again.returncode == 0, again.stderr
    assert "kept      packages/example/ (exists already)" in again.stdout


def test_init_in_a_folder_of_a_repository_writes_ci_files_at_its_top_working_in_the_folder(
    tmp_path: Path,
) -> None:
    """GitHub reads workflows, and pre-commit its config, at the repository's top only: a kit
    in a folder gets its workflow there (one per folder, working in the folder) and a hook
    that checks the folder's package from the top; the hint names paths from where init ran."""
    import shlex

    import yaml

    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)  # the top of a repository, also the project's root
    (repo / ".nbtools").mkdir()
    result = run_cli("init", "team a/analysis", cwd=repo)
    assert result.returncode == 0, result.stderr
    assert not (repo / "team a/analysis/.github").exists()
    assert "  wrote     ../../.github/workflows/nbtools-team-a-analysis.yml" in result.stdout
    assert "Next: open team a/analysis/example.ipynb in JupyterLab" in result.stdout
    assert "`nbtools extract 'team a/analysis/example.ipynb' --test`" in result.stdout
    assert "`nbtools serve 'team a/analysis/packages/example'`" in result.stdout
    workflow = yaml.safe_load((repo / ".github/workflows/nbtools-team-a-analysis.yml").read_text())
    assert workflow["defaults"]["run"]["working-directory"] == "team a/analysis"
    check = workflow["jobs"]["extract-check"]["steps"][-1]["run"].replace(" --test", "")
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    env = {**os.environ, "PATH": path}
    ran = subprocess.run(check, shell=True, cwd=repo / "team a/analysis", env=env, check=False)
    assert ran.returncode == 0  # the workflow's command, where the workflow runs it
    (hook,) = yaml.safe_load((repo / ".pre-commit-config.yaml").read_text())["repos"][0]["hooks"]
    hooked = subprocess.run(shlex.split(hook["entry"]), cwd=repo, env=env, check=False)
    assert hooked.returncode == 0  # as pre-commit runs it: from the top
    assert re.match(hook["files"], "team a/analysis/packages/example/src/example/core.py")
    assert not re.match(hook["files"], "example.ipynb")
    # a kit in another folder is checked by a workflow of its own; the one config is kept
    second = run_cli("init", "other", cwd=repo)
    assert second.returncode == 0, second.stderr
    assert (repo / ".github/workflows/nbtools-other.yml").is_file()
    assert "  kept      ../.pre-commit-config.yaml (exists already)" in second.stdout


def test_init_never_writes_above_the_project_into_an_enclosing_repository(
    tmp_path: Path,
) -> None:
    """A home directory kept in git is not where a new project's workflow goes; init says
    that GitHub and pre-commit will not find its CI files there (it said nothing)."""
    (tmp_path / ".git").mkdir()
    result = run_cli("init", "project", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "project/.github/workflows/nbtools.yml").is_file()
    assert not (tmp_path / ".github").exists()
    assert not (tmp_path / ".pre-commit-config.yaml").exists()
    assert " ".join(result.stderr.split()) == (
        "Note: GitHub runs workflows, and pre-commit reads its config, only at the top of the "
        f"git repository, {tmp_path}, which is above this project (project): the kit's "
        ".github/workflows/ and .pre-commit-config.yaml will not run where they are. Move "
        f"them to {tmp_path} (the workflow's steps working in project, the hook's paths "
        "starting with it), or keep the project in a repository of its own."
    )
    assert (tmp_path / "project/.gitignore").read_text() == ".nbtools/\n"


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout


def test_init_in_a_git_repository_has_git_ignore_the_store(tmp_path: Path) -> None:
    """``git add -A`` after init committed nbtools.db, its locks and the version packs."""
    git("init", "-q", cwd=tmp_path)
    (tmp_path / ".gitignore").write_text("*.pyc")  # no line break at its end
    result = run_cli("init", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "  wrote     .gitignore" in result.stdout
    assert "Note:" not in result.stderr  # the project is the repository's top
    assert (tmp_path / ".gitignore").read_text() == "*.pyc\n.nbtools/\n"
    assert (tmp_path / ".nbtools").is_dir()
    status = git("status", "--porcelain", "--untracked-files=all", cwd=tmp_path).splitlines()
    assert [line for line in status if ".nbtools/" in line] == []
    again = run_cli("init", cwd=tmp_path)
    assert (again.returncode, "gitignore" in again.stdout) == (0, False)
    assert (tmp_path / ".gitignore").read_text() == "*.pyc\n.nbtools/\n"  # once
    other = tmp_path / "other"
    git("init", "-q", "other", cwd=tmp_path)
    (other / ".gitignore").write_text("/.nbtools\n")  # ignored already, written otherwise
    assert json.loads(run_cli("init", str(other), "--json").stdout)["written"] == [
        "example.ipynb",
        ".github/workflows/nbtools.yml",
        ".pre-commit-config.yaml",
    ]
    assert (other / ".gitignore").read_text() == "/.nbtools\n"


def recorded_lineage(package: Path) -> dict[str, Any]:
    """The lineage the background process fills into ``package``'s manifest, once there."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        lineage = json.loads((package / ".nbtools-extract.json").read_text()).get("lineage")
        if lineage and "pending" not in lineage:
            found: dict[str, Any] = lineage
            return found
        time.sleep(0.2)
    raise AssertionError(f"the lineage of {package} was never recorded")


def test_init_s_package_knows_its_notebook_version_in_the_project_it_sets_up(
    tmp_path: Path,
) -> None:
    """As `nbtools extract` does, in the project holding the directory (not the working
    directory's): a new directory is a project of its own, one inside a project is part of it,
    so `nbtools serve packages/example` at once names the version it serves."""
    alone = tmp_path / "alone"
    assert run_cli("init", str(alone), cwd=tmp_path).returncode == 0
    lineage = recorded_lineage(alone / "packages/example")
    assert lineage["notebook_version"]["path"] == "example.ipynb"
    assert lineage["environment"] is not None
    assert (alone / ".nbtools").is_dir()
    assert not (tmp_path / ".nbtools").exists()
    inside = alone / "team"
    assert run_cli("init", str(inside), cwd=tmp_path).returncode == 0
    lineage = recorded_lineage(inside / "packages/example")
    assert lineage["notebook_version"]["path"] == "team/example.ipynb"
    assert not (inside / ".nbtools").exists()


def test_init_s_next_steps_work_where_they_are_typed_and_never_make_a_second_project(
    tmp_path: Path,
) -> None:
    """Before, `nbtools init demo` said to run `nbtools extract demo/example.ipynb --test`
    from here: that made a second project here, holding the package's lineage."""
    result = run_cli("init", "demo", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (
        "Next: `cd demo`, then open example.ipynb in JupyterLab, change it, and run `nbtools "
        "extract example.ipynb --test` (it updates packages/example); serve it with `nbtools "
        "serve packages/example` (POST /run)."
    ) in result.stdout
    assert (tmp_path / "demo" / ".nbtools").is_dir()  # found at once by the next command
    followed = run_cli("extract", "example.ipynb", "--test", cwd=tmp_path / "demo")
    assert followed.returncode == 0, followed.stdout + followed.stderr
    lineage = recorded_lineage(tmp_path / "demo/packages/example")
    assert lineage["notebook_version"]["path"] == "example.ipynb"
    # a path into demo's project from outside it is refused, naming where to work
    for args in (
        ("extract", "demo/example.ipynb", "--test"),
        ("version", "save", "demo/example.ipynb"),
        ("run", "demo/example.ipynb"),
    ):
        refused = run_cli(*args, cwd=tmp_path)
        assert refused.returncode == 2, (args, refused.stderr)
        assert "demo/example.ipynb belongs to the nbtools project in demo (its own store " in (
            refused.stderr
        )
        assert "run the command there (cd demo) or name that project's root" in refused.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["demo"]


def test_init_beside_a_notebook_of_the_starter_s_name_it_cannot_extract_writes_nothing(
    notebook_factory: NotebookFactory, tmp_path: Path
) -> None:
    mine = notebook_factory("example.ipynb", [("code", "x = 1", [])])  # the user's, untagged
    before = mine.read_bytes()
    result = run_cli("init", str(tmp_path))
    assert result.returncode == 2
    assert "example.ipynb exists already, and init cannot extract it" in result.stderr
    assert "no exported cells" in result.stderr
    assert "Nothing was written" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["example.ipynb"]
    assert mine.read_bytes() == before
    notebook_factory("example.ipynb", GOOD)  # once it can be extracted, init uses it
    assert run_cli("init", str(tmp_path)).returncode == 0
    assert "def double" in (tmp_path / "packages/example/src/example/core.py").read_text()


def test_init_into_a_directory_that_cannot_be_made_is_bad_input(tmp_path: Path) -> None:
    """A file where a folder of DIR would go: exit 2 naming DIR, never a traceback."""
    (tmp_path / "notes").write_text("mine", encoding="utf-8")
    result = run_cli("init", "notes/kit", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr == (
        "Error: The directory notes/kit cannot be made: Not a directory. Choose another one. "
        "See DIRECTORY.\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes"]


def test_init_with_json_lists_the_files_it_wrote_and_kept_and_the_extraction(
    tmp_path: Path,
) -> None:
    """The files relative to DIR (a script joins them to it), and the package's extraction as
    `nbtools extract --json` reports one; run again, everything is kept and nothing extracted."""
    kit = tmp_path / "kit"
    result = run_cli("init", "kit", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["directory"] == "kit"
    assert answer["written"] == [
        "example.ipynb",
        ".github/workflows/nbtools.yml",
        ".pre-commit-config.yaml",
    ]
    assert answer["kept"] == []
    assert all((kit / path).is_file() for path in answer["written"])
    extract = answer["extract"]
    assert (extract["ok"], extract["written"], extract["package"]) == (True, True, "example")
    assert extract["output"] == os.path.join("kit", "packages", "example")
    files = [change["path"] for change in extract["files"]]
    assert "pyproject.toml" in files
    assert all((tmp_path / extract["output"] / path).is_file() for path in files)

    again = run_cli("init", "kit", "--json", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout) == {
        "directory": "kit",
        "written": [],
        "kept": [*answer["written"], "packages/example"],
        "extract": None,
    }


def test_init_s_refusals_with_json_are_json_errors(
    notebook_factory: NotebookFactory, tmp_path: Path
) -> None:
    (tmp_path / "notes").write_text("mine", encoding="utf-8")
    notebook_factory("untagged/example.ipynb", [("code", "x = 1", [])])
    for directory, error, field in [
        ("notes/kit", "InvalidInputError", "directory"),  # a file in the way
        ("notes", "BadParameter", "directory"),  # a file, not a directory
        ("untagged", "InvalidInputError", None),  # its example.ipynb cannot be extracted
    ]:
        result = run_cli("init", directory, "--json", cwd=tmp_path)
        assert result.returncode == 2, result.stderr
        answer = json.loads(result.stdout)
        assert (answer["error"], answer["details"].get("field")) == (error, field), answer
        assert answer["message"] in result.stderr
    assert sorted(p.name for p in (tmp_path / "untagged").iterdir()) == ["example.ipynb"]
