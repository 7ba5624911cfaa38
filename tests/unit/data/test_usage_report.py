"""``data usage``: the runs, jobs, extracted packages and notebook versions derived from a
dataset, on both stores, over the CLI and REST."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from nbtools import audit, versioning
from nbtools.cli.app import cli
from nbtools.data.catalog import add_dataset, dataset_spec, remove_dataset
from nbtools.data.tables import RunDatasetRecord
from nbtools.data.usage import usage_report
from nbtools.jobs.definitions import create_job, delete_job
from nbtools.jobs.tables import Run
from nbtools.lineage.extraction import EXTRACTION
from nbtools.project import Project
from tests.conftest import make_notebook
from tests.terminal import answer_at_a_terminal
from tests.unit.jobs.test_run_views import counted

NOTEBOOKS = {
    "uses.ipynb": "import nbtools\nnbtools.data.path('customers')",
    "literal.ipynb": "import pandas as pd\npd.read_csv('c.csv')",
    "none.ipynb": "x = 1",
}


@pytest.fixture
def project(tmp_path: Path, store_url: str) -> Iterator[Project]:
    opened = Project(tmp_path, db_url=store_url)
    for name, code in NOTEBOOKS.items():
        (tmp_path / name).write_text(json.dumps(make_notebook([("code", code, [])])))
    (tmp_path / "c.csv").write_text("id\n1\n")
    add_dataset(opened, dataset_spec(opened, "customers", {"location": "c.csv"}))
    yield opened
    opened.close()


def _version(project: Project, path: str) -> versioning.Version:
    return versioning.commit(project, path, (project.root / path).read_bytes())


def test_everything_derived_is_listed(project: Project) -> None:
    static = create_job(project, {"notebook_path": "uses.ipynb", "name": "static"})
    by_runs = create_job(project, {"notebook_path": "none.ipynb", "name": "by-runs"})
    create_job(project, {"notebook_path": "none.ipynb", "name": "unrelated"})
    archived = create_job(project, {"notebook_path": "literal.ipynb", "name": "archived"})
    delete_job(project, archived.id)
    ran = _version(project, "none.ipynb")
    with project.store.session(write=True) as session:
        run = Run(
            job_id=by_runs.id, trigger="schedule", notebook_path="none.ipynb",
            status="succeeded", notebook_version_id=ran.id,
        )  # fmt: skip
        session.add(run)
        session.flush()
        session.add(
            RunDatasetRecord(
                run_id=run.id, dataset="customers", mode="read", classification="internal",
                location="c.csv",
            )
        )  # fmt: skip
        run_id = run.id
    extracted = _version(project, "literal.ipynb")
    versioning.pin(project, extracted.id, EXTRACTION, "packages/literal")
    versioning.pin(project, ran.id, EXTRACTION, "packages/none")  # names no data

    report = usage_report(project, "customers").to_dict()
    assert [r["run_id"] for r in report["runs"]] == [run_id]
    assert [(j["name"], j["evidence"]) for j in report["jobs"]] == [
        ("static", ["notebook"]),
        ("by-runs", ["runs"]),
    ]
    assert [(p["output"], p["notebook_path"]) for p in report["packages"]] == [
        ("packages/literal", "literal.ipynb")
    ]
    assert [(v["version_id"], v["evidence"]) for v in report["versions"]] == [
        (ran.id, [f"run {run_id}"]),
        (extracted.id, ["package packages/literal"]),
    ]
    assert static.id in {j["job_id"] for j in report["jobs"]}

    # after the dataset left the catalog: declared names and its runs still tell
    remove_dataset(project, "customers")
    after = usage_report(project, "customers").to_dict()
    assert [j["name"] for j in after["jobs"]] == ["static", "by-runs"]
    assert after["packages"] == []  # a literal path matches only a catalogued location

    listed = CliRunner().invoke(
        cli,
        ["--root", str(project.root), "--db-url", _url(project), "data", "usage", "customers",
         "--json"],
    )  # fmt: skip
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.stdout) == json.loads(json.dumps(after, default=str))
    shown = CliRunner().invoke(
        cli, ["--root", str(project.root), "--db-url", _url(project), "data", "usage", "customers"]
    )
    assert "Jobs using customers (2)" in shown.output
    purge = ["--root", str(project.root), "--db-url", _url(project), "data", "usage", "customers",
             "--purge", "--json"]  # fmt: skip
    declined = answer_at_a_terminal("n\n", *purge)
    assert (declined.returncode, declined.stdout) == (1, "")  # stdout: the JSON answer alone
    assert "Delete the output files (0) and artifacts of the 1 run(s)" in declined.stderr
    unasked = CliRunner().invoke(cli, purge, input="y\n")  # no terminal: refused, not a "no"
    assert unasked.exit_code == 2, unasked.output
    refused = json.loads(unasked.stdout)
    assert (refused["error"], refused["details"]) == ("InvalidInputError", {"field": "yes"})
    assert refused["message"] == (
        "Deleting the output files (0) and artifacts of the 1 run(s) derived from customers "
        "needs confirmation: run it in a terminal, or pass --yes."
    )


def _url(project: Project) -> str:
    return project.store.engine.url.render_as_string(hide_password=False)


def test_a_dataset_nothing_used_says_so_and_its_purge_asks_nothing(project: Project) -> None:
    def nbtools(*args: str) -> Any:
        command = ["--root", str(project.root), "--db-url", _url(project), "data", "usage"]
        return CliRunner().invoke(cli, [*command, *args])

    shown = nbtools("unused")
    assert shown.exit_code == 0, shown.output
    assert shown.output.splitlines() == [
        "No run read or wrote unused.",
        "No job used unused, and no job's notebook names it.",
        "No package was extracted from a notebook naming unused.",
        "No notebook version names unused.",
    ]
    purged = nbtools("unused", "--purge")  # no confirmation to answer: nothing to delete
    assert (purged.exit_code, purged.output) == (
        0,
        "Nothing to delete: no run read or wrote unused.\n",
    )
    # the same JSON as any purge (it was {"deleted": []} alone), and each is in the trail: the
    # record that an erasure request was carried out, also when nothing was derived
    assert json.loads(nbtools("unused", "--purge", "--json").stdout) == {
        "dataset": "unused",
        "runs": [],
        "files": [],
        "artifacts": [],
        "deleted": [],
        "unfinished": [],
    }
    entries = audit.list_entries(project, action="dataset.purge")
    assert [(e.target, e.summary) for e in entries] == [
        ("dataset unused", {"files_deleted": 0, "runs": []}),
        ("dataset unused", {"files_deleted": 0, "runs": []}),
    ]


def test_each_notebook_is_checked_once_against_the_dataset_alone(project: Project) -> None:
    """The same queries however many jobs run a notebook and however large the catalog: the
    report read the whole catalog again for every active job's notebook."""

    def add_jobs(count: int) -> None:
        for _ in range(count):
            for path in ("uses.ipynb", "literal.ipynb", "none.ipynb"):
                create_job(project, {"notebook_path": path})

    add_jobs(1)
    with counted(project) as few:
        report = usage_report(project, "customers")
    add_jobs(10)
    for index in range(10):
        (project.root / f"other{index}.csv").write_text("id\n1\n")
        add_dataset(
            project, dataset_spec(project, f"other{index}", {"location": f"other{index}.csv"})
        )
    with counted(project) as many:
        more = usage_report(project, "customers")
    assert len(many) == len(few)
    assert [job.notebook_path for job in report.jobs] == ["uses.ipynb", "literal.ipynb"]
    assert len(more.jobs) == 22  # every job of the two notebooks that name it
