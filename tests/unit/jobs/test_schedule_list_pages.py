"""``nbtools schedule list --limit/--offset``: a store of many jobs is listed a page at a time,
the table's footer saying how many more there are."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from nbtools.cli.app import cli
from nbtools.jobs import create_job, delete_job
from nbtools.project import Project
from tests.conftest import NotebookFactory


def nbtools(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--root", str(root), *args])


def _jobs(project: Project, notebook_factory: NotebookFactory, count: int) -> list[int]:
    notebook_factory("nb.ipynb", [("code", "x = 1", ["parameters"])])
    fields = {"notebook_path": "nb.ipynb", "kernel_name": None}
    return [
        create_job(project, {**fields, "name": f"job {n}"}, kernel_check=False).id
        for n in range(count)
    ]


def test_the_list_shows_a_page_and_says_how_many_more(
    tmp_path: Path, project: Project, notebook_factory: NotebookFactory
) -> None:
    ids = _jobs(project, notebook_factory, 7)
    listed = json.loads(nbtools(tmp_path, "schedule", "list", "--limit", "3", "--json").stdout)
    assert [job["id"] for job in listed] == ids[:3]
    page = nbtools(tmp_path, "schedule", "list", "--limit", "3", "--offset", "3")
    assert page.exit_code == 0, page.output
    assert page.stdout.rstrip().endswith("1 more job: --offset 6")
    assert "│ job 3 " in page.stdout
    assert "│ job 2 " not in page.stdout
    last = nbtools(tmp_path, "schedule", "list", "--limit", "3", "--offset", "6")
    assert "more job" not in last.stdout
    assert "│ job 6 " in last.stdout
    past = nbtools(tmp_path, "schedule", "list", "--offset", "7")
    assert "No jobs after the first 7: there are 7." in past.stdout


def test_the_default_page_is_a_hundred_jobs(
    tmp_path: Path, project: Project, notebook_factory: NotebookFactory
) -> None:
    _jobs(project, notebook_factory, 103)
    listed = nbtools(tmp_path, "schedule", "list", "--json")
    assert len(json.loads(listed.stdout)) == 100
    assert (
        nbtools(tmp_path, "schedule", "list").stdout.rstrip().endswith("3 more jobs: --offset 100")
    )


def test_archived_jobs_count_only_with_archived(
    tmp_path: Path, project: Project, notebook_factory: NotebookFactory
) -> None:
    ids = _jobs(project, notebook_factory, 3)
    delete_job(project, ids[0])
    assert "more job" not in nbtools(tmp_path, "schedule", "list", "--limit", "2").stdout
    archived = nbtools(tmp_path, "schedule", "list", "--archived", "--limit", "2")
    assert archived.stdout.rstrip().endswith("1 more job: --offset 2")


def test_a_bad_page_is_refused_naming_the_option(tmp_path: Path) -> None:
    for option, value in (("--limit", "0"), ("--limit", "1001"), ("--offset", "-1")):
        refused = nbtools(tmp_path, "schedule", "list", option, value)
        assert refused.exit_code == 2
        assert f"Invalid value for '{option}'" in refused.output


def test_the_options_read_as_the_other_lists_do(tmp_path: Path) -> None:
    shown = nbtools(tmp_path, "schedule", "list", "--help").output
    runs = nbtools(tmp_path, "runs", "list", "--help").output
    assert "List at most this many jobs, by id; --offset pages on." in " ".join(shown.split())
    assert "1<=x<=1000" in shown
    assert "1<=x<=1000" in runs
