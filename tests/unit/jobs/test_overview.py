"""The jobs dashboard's page: latest and recent runs, open alerts, filters, sorting and
paging, with a fixed number of queries whatever the number of jobs (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from nbtools import jobs
from nbtools.errors import InvalidInputError
from nbtools.jobs.overview import RECENT_RUNS, ListJobsQuery, natural_order
from nbtools.jobs.runs import new_run
from nbtools.jobs.schedules import describe
from nbtools.jobs.tables import FAILED, QUEUED, SKIPPED, SUCCEEDED, Job
from nbtools.jsonvalues import json_default
from nbtools.metrics.tables import Alert
from nbtools.project import Project
from nbtools.store.base import utcnow
from tests.conftest import NotebookFactory
from tests.unit.jobs.test_run_views import counted


def add_runs(project: Project, job_id: int, *outcomes: tuple[str, float]) -> None:
    """Runs of job ``job_id``, oldest first, each (status, seconds it took)."""
    with project.store.session(write=True) as session:
        job = session.get(Job, job_id)
        for status, seconds in outcomes:
            run = new_run(job, trigger="schedule", status=status)
            if status not in (QUEUED, SKIPPED):
                run.finished_at = utcnow()
                run.started_at = run.finished_at - timedelta(seconds=seconds)
            session.add(run)
            session.flush()


def add_alerts(project: Project, job_id: int, count: int, status: str = "open") -> None:
    with project.store.session(write=True) as session:
        for index in range(count):
            alert = Alert(
                job_id=job_id,
                kind="failed",
                rule_text="failed",
                message="m",
                dedupe_key=f"{job_id}-{status}-{index}",
                status=status,
            )
            session.add(alert)


def page(project: Project, **query: Any) -> dict[str, Any]:
    found = jobs.dashboard(project, ListJobsQuery(**query))
    result: dict[str, Any] = json.loads(json.dumps(found, default=json_default))
    return result


def names(result: dict[str, Any]) -> list[str]:
    return [job["name"] for job in result["jobs"]]


@pytest.fixture
def three(any_project: Project, notebook_factory: NotebookFactory) -> dict[str, int]:
    """Jobs ``nightly`` (failing, 2 open alerts), ``Weekly report`` (paused, succeeding) and
    ``adhoc`` (never run, no schedule); ``old`` is archived."""
    notebook_factory("train.ipynb", [("code", "days = 1", ["parameters"])])
    notebook_factory("report.ipynb", [("code", "x = 1", [])])
    created = {
        "nightly": {"notebook_path": "train.ipynb", "cron": "0 6 * * *"},
        "Weekly report": {"notebook_path": "report.ipynb", "cron": "0 8 * * 1", "paused": True},
        "adhoc": {"notebook_path": "train.ipynb"},
        "old": {"notebook_path": "train.ipynb"},
    }
    ids = {
        name: jobs.create_job(any_project, {"name": name, **fields}, actor=f"{name[0]}-owner").id
        for name, fields in created.items()
    }
    add_runs(any_project, ids["nightly"], (SUCCEEDED, 2), (FAILED, 5), (SKIPPED, 0))
    add_runs(any_project, ids["Weekly report"], *[(SUCCEEDED, n) for n in range(1, 13)])
    add_runs(any_project, ids["old"], (FAILED, 1))
    add_alerts(any_project, ids["nightly"], 2)
    add_alerts(any_project, ids["nightly"], 1, status="acknowledged")
    jobs.delete_job(any_project, ids["old"])
    return ids


def test_each_job_has_its_latest_run_recent_durations_and_open_alerts(
    any_project: Project, three: dict[str, int]
) -> None:
    result = page(any_project)
    assert (result["total"], result["offset"], result["limit"]) == (3, 0, 25)
    assert names(result) == ["adhoc", "nightly", "Weekly report"]  # by name, any case
    adhoc, nightly, weekly = result["jobs"]
    assert nightly["id"] == three["nightly"]
    assert nightly["schedule_description"] == "At 06:00 AM"
    assert nightly["created_by"] == "n-owner"
    assert nightly["last_run"]["status"] == FAILED  # the skipped due time is not a run
    assert [r["duration_seconds"] for r in nightly["recent_runs"]] == [2, 5]
    assert nightly["open_alerts"] == 2
    assert len(weekly["recent_runs"]) == RECENT_RUNS
    assert [r["duration_seconds"] for r in weekly["recent_runs"]] == list(range(3, 13))
    assert (adhoc["last_run"], adhoc["recent_runs"], adhoc["open_alerts"]) == (None, [], 0)
    assert adhoc["schedule_description"] is None


def test_filters_by_words_and_status(any_project: Project, three: dict[str, int]) -> None:
    assert names(page(any_project, text="REPORT")) == ["Weekly report"]
    assert names(page(any_project, text="train n-owner")) == ["nightly"]
    assert names(page(any_project, text="nothing like it")) == []
    assert names(page(any_project, status="paused")) == ["Weekly report"]
    assert names(page(any_project, status="active")) == ["adhoc", "nightly"]
    assert names(page(any_project, status="failed")) == ["nightly"]  # not the archived job
    assert names(page(any_project, status="never_run")) == ["adhoc"]
    assert page(any_project, status="running") == {"total": 0, "offset": 0, "limit": 25, "jobs": []}


def test_sorts_with_jobs_lacking_a_value_last_in_either_order(
    any_project: Project, three: dict[str, int]
) -> None:
    by = {"sort": "next_run_at"}
    assert names(page(any_project, **by))[-1] == "adhoc"  # not scheduled
    assert names(page(any_project, **by, descending=True))[-1] == "adhoc"
    assert names(page(any_project, sort="open_alerts", descending=True))[0] == "nightly"
    assert names(page(any_project, sort="last_status")) == ["nightly", "Weekly report", "adhoc"]
    latest_first = names(page(any_project, sort="last_run_at", descending=True))
    assert latest_first == ["Weekly report", "nightly", "adhoc"]  # weekly's runs came later
    assert names(page(any_project, sort="last_run_at")) == ["nightly", "Weekly report", "adhoc"]
    assert names(page(any_project, sort="name", descending=True)) == [
        "Weekly report",
        "nightly",
        "adhoc",
    ]


def test_text_columns_sort_as_people_read_numbers(
    any_project: Project, notebook_factory: NotebookFactory
) -> None:
    """Names, notebooks and owners: "job 2" before "job 10", any case alike (before: "job
    1", "job 10", "job 100", "job 11", "job 2")."""
    for notebook in ("run 2.ipynb", "run 10.ipynb", "Run 9.ipynb"):
        notebook_factory(notebook, [("code", "x = 1", [])])
    for name, notebook, owner in [
        ("job 10", "run 2.ipynb", "user10"),
        ("job 2", "run 10.ipynb", "user10"),
        ("job 100", "Run 9.ipynb", "user9"),
        ("Job 11", "run 2.ipynb", "user10"),
        ("job 1", "run 10.ipynb", "User2"),
        ("job 02b", "run 2.ipynb", "user10"),
    ]:
        jobs.create_job(any_project, {"name": name, "notebook_path": notebook}, actor=owner)
    by_name = ["job 1", "job 2", "job 02b", "job 10", "Job 11", "job 100"]
    assert names(page(any_project)) == by_name
    assert names(page(any_project, descending=True)) == by_name[::-1]
    by_notebook = [job["notebook_path"] for job in page(any_project, sort="notebook_path")["jobs"]]
    assert by_notebook == ["run 2.ipynb"] * 3 + ["Run 9.ipynb"] + ["run 10.ipynb"] * 2
    by_owner = [job["created_by"] for job in page(any_project, sort="created_by")["jobs"]]
    assert by_owner == ["User2", "user9", "user10", "user10", "user10", "user10"]


def test_natural_order_reads_any_run_of_digits() -> None:
    assert natural_order("Job 007 of 12") == ["job ", (1, "7"), " of ", (2, "12"), ""]
    longest = "a" + "9" * 5000  # more digits than int() reads: compared as text, by length
    assert sorted(["a" + "9" * 4999, longest, "a10", "a"], key=natural_order) == [
        "a",
        "a10",
        "a" + "9" * 4999,
        longest,
    ]
    assert natural_order("a") < natural_order("a0") < natural_order("a1")
    assert natural_order("a007") == natural_order("a7")  # the same number: the job's id decides


def test_pages_and_their_edges(any_project: Project, three: dict[str, int]) -> None:
    assert names(page(any_project, limit=2)) == ["adhoc", "nightly"]
    second = page(any_project, offset=2, limit=2)
    assert (names(second), second["total"]) == (["Weekly report"], 3)
    beyond = page(any_project, offset=3)
    assert (beyond["jobs"], beyond["total"]) == ([], 3)


def test_no_jobs_is_an_empty_page(any_project: Project) -> None:
    assert page(any_project) == {"total": 0, "offset": 0, "limit": 25, "jobs": []}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"status": "done"}, "status"),
        ({"sort": "parameters"}, "sort"),
        ({"offset": -1}, "offset"),
        ({"limit": 0}, "limit"),
        ({"limit": 201}, "limit"),
    ],
)
def test_a_bad_query_names_its_field(project: Project, query: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        jobs.dashboard(project, ListJobsQuery(**query))
    assert info.value.details["field"] == field


def test_a_page_takes_the_same_queries_whatever_the_number_of_jobs(
    any_project: Project, notebook_factory: NotebookFactory
) -> None:
    notebook_factory("nb.ipynb", [("code", "x = 1", [])])

    def add_jobs(count: int) -> None:
        for _ in range(count):
            job = jobs.create_job(any_project, {"notebook_path": "nb.ipynb", "cron": "0 * * * *"})
            add_runs(any_project, job.id, (SUCCEEDED, 1), (FAILED, 2))
            add_alerts(any_project, job.id, 1)

    add_jobs(2)
    with counted(any_project) as few:
        assert len(page(any_project, limit=200)["jobs"]) == 2
    add_jobs(30)
    with counted(any_project) as many:
        assert len(page(any_project, limit=200)["jobs"]) == 32
    assert len(many) == len(few)


def test_only_the_page_s_jobs_are_described_each_schedule_once(
    any_project: Project, notebook_factory: NotebookFactory
) -> None:
    notebook_factory("nb.ipynb", [("code", "x = 1", [])])
    for minute in range(12):
        jobs.create_job(any_project, {"notebook_path": "nb.ipynb", "cron": f"{minute} 6 * * *"})
    describe.cache_clear()
    first = page(any_project, limit=2)
    assert (first["total"], len(first["jobs"])) == (12, 2)
    assert describe.cache_info().currsize == 2  # not the 10 jobs off the page
    again = page(any_project, limit=2)
    assert again == first
    assert (describe.cache_info().currsize, describe.cache_info().hits) == (2, 2)
    assert page(any_project, text="06:05")["total"] == 1  # words search every job's schedule
    assert describe.cache_info().currsize == 12
