"""A served package's traffic job (``nbtools serve --record-to``) runs no notebook and is
never scheduled: it was run, rerun and scheduled like a notebook job, which mixed notebook
runs into the service's series, sent success notifications and kept its ``late`` rules
quiet while the service served nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select, text

from nbtools import jobs
from nbtools.cli.app import cli
from nbtools.errors import ConflictError
from nbtools.jobs.tables import Job, Run
from nbtools.project import Project
from nbtools.serve.recorder import ServiceRecorder
from nbtools.serve.telemetry import MinuteAggregates
from tests.conftest import NotebookFactory

INFO = {"notebook": "churn.ipynb", "notebook_sha256": "a" * 64}
MINUTE = 29_000_000


@pytest.fixture
def served(tmp_path: Path, notebook_factory: NotebookFactory) -> Iterator[tuple[Project, int]]:
    """A project whose notebook ``churn.ipynb`` is served, with one minute of traffic
    recorded under its service's job."""
    notebook_factory("churn.ipynb", [("code", "x = 1.0", ["parameters"])])
    project = Project(tmp_path)
    project.store  # noqa: B018 (made and migrated, as nbtools serve expects)
    recorder = ServiceRecorder(
        f"sqlite:///{tmp_path / '.nbtools' / 'nbtools.db'}", "service:churn", INFO, "h:1"
    )
    aggregates = MinuteAggregates()
    aggregates.add(MINUTE * 60.0, 0.01, False, [("score", 0.5)])
    recorder.write(aggregates.take())
    recorder.close()
    yield project, recorder.job_id
    project.close()


def nbtools(root: Path, *args: str) -> Result:
    return CliRunner(env={"COLUMNS": "200"}).invoke(cli, ["--root", str(root), *args])


def runs_of(project: Project, job_id: int) -> list[str]:
    with project.store.session() as session:
        return list(session.scalars(select(Run.trigger).where(Run.job_id == job_id)))


def test_a_service_s_job_says_so_and_is_listed_as_a_service(served: tuple[Project, int]) -> None:
    project, job_id = served
    spec = jobs.show_job(project, job_id)
    assert (spec.name, spec.service, spec.cron) == ("service:churn", True, None)
    notebook_job = jobs.create_job(project, {"notebook_path": "churn.ipynb"})
    assert jobs.show_job(project, notebook_job.id).service is False
    listed = nbtools(project.root, "schedule", "list")
    assert "service: the traffic of nbtools serve" in listed.output
    assert "on demand" in listed.output  # the notebook's own job
    shown = nbtools(project.root, "schedule", "show", str(job_id))
    assert "service: the traffic of nbtools serve" in shown.output
    listed_json = json.loads(nbtools(project.root, "schedule", "list", "--json").output)
    assert [job["service"] for job in listed_json] == [True, False]


def test_a_service_s_job_runs_no_notebook(served: tuple[Project, int]) -> None:
    project, job_id = served
    with pytest.raises(ConflictError, match="records the traffic of a served package") as info:
        jobs.run_job(project, job_id, {})
    assert info.value.details == {"job_id": job_id, "service": True}
    (minute_run,) = jobs.list_runs(project, job_id=job_id)
    with pytest.raises(ConflictError, match="so it runs no notebook"):
        jobs.rerun_run(project, minute_run["id"])  # a minute's run, as a notebook run
    (project.root / "churn.ipynb").unlink()  # refused for what it is, not for a notebook
    for parameters in ([], ["-p", "x=2.0"]):
        refused = nbtools(project.root, "schedule", "run", "service:churn", *parameters)
        assert refused.exit_code == 2, refused.output
        assert "Job 1 (service:churn) records the traffic of a served package" in refused.output
        assert "Traceback" not in refused.output
    assert runs_of(project, job_id) == ["service"]  # nothing was queued


@pytest.mark.parametrize(
    ("args", "field", "flag"),
    [(["--cron", "daily"], "cron", "--cron"), (["-p", "x=2.0"], "parameters", None),
     (["--retries", "2"], "retries", "--retries"), (["--name", "other"], "name", "--name")],
)  # fmt: skip
def test_a_service_s_job_is_never_scheduled_nor_edited_as_a_notebook_job(
    served: tuple[Project, int], args: list[str], field: str, flag: str | None
) -> None:
    project, job_id = served
    refused = nbtools(project.root, "schedule", "edit", "service:churn", *args)
    assert refused.exit_code == 2, refused.output
    assert f"its {field} cannot be set" in refused.output
    if flag is not None:
        assert flag in refused.output  # the field, named as the option that sets it
    with pytest.raises(ConflictError) as info:
        jobs.update_job(project, job_id, {"cron": "0 6 * * *", "keep_runs": "7d"})
    assert (info.value.details["field"], info.value.details["fields"]) == ("cron", ["cron"])
    with project.store.session() as session:
        job = session.get_one(Job, job_id)
        assert (job.cron, job.next_run_at, job.keep_runs, job.name) == (
            None, None, None, "service:churn",
        )  # fmt: skip


def test_how_long_its_minutes_are_kept_can_change_and_it_can_be_paused(
    served: tuple[Project, int],
) -> None:
    """Also once its notebook is no longer in the project: what a service's job may change
    needs none. An edit repeating its other fields as they are is no change of them."""
    project, job_id = served
    (project.root / "churn.ipynb").unlink()
    kept = jobs.update_job(project, job_id, {"keep_runs": "7d", "cron": None, "parameters": {}})
    assert (kept.keep_runs, kept.cron, kept.service) == ("7d", None, True)
    assert jobs.pause_job(project, job_id, True).paused is True
    assert jobs.update_job(project, job_id, {"paused": False}).paused is False
    edited = nbtools(project.root, "schedule", "edit", "service:churn", "--keep-runs", "100")
    assert edited.exit_code == 0, edited.output
    assert jobs.show_job(project, job_id).keep_runs == "100"


def test_a_notebook_job_of_the_same_name_is_no_service_s(
    tmp_path: Path, notebook_factory: NotebookFactory
) -> None:
    """The service found its job by name alone, so it took over a notebook job named
    like it and mixed its minutes into that job's runs."""
    notebook_factory("churn.ipynb", [("code", "x = 1.0", ["parameters"])])
    project = Project(tmp_path)
    notebook_job = jobs.create_job(
        project, {"notebook_path": "churn.ipynb", "name": "service:churn", "cron": "0 6 * * *"}
    )
    url = f"sqlite:///{tmp_path / '.nbtools' / 'nbtools.db'}"
    recorder = ServiceRecorder(url, "service:churn", INFO, "h:1")
    assert recorder.job_id != notebook_job.id
    assert jobs.show_job(project, recorder.job_id).service is True
    assert jobs.show_job(project, notebook_job.id).service is False
    second = ServiceRecorder(url, "service:churn", INFO, "h:2")
    assert second.job_id == recorder.job_id
    second.close()
    recorder.close()
    project.close()


def test_the_upgrade_marks_the_services_jobs_and_drops_the_schedules_they_were_given(
    db_url: str,
) -> None:
    """A store an earlier version wrote: the jobs services made (who made them, or their
    minutes' runs) become services' jobs, without the schedule someone gave them; a
    notebook job keeps its own. The minutes lose the hash of their package's cells that
    they carried as their ``notebook_sha256`` (a file's sha256 for every other run)."""
    from alembic import command

    from nbtools.store import migrations
    from nbtools.store.database import Store, create_store_engine

    engine = create_store_engine(db_url)
    migrations.upgrade(engine)
    command.downgrade(migrations._config(engine), "serve_0001")
    job = text(
        "INSERT INTO jobs (id, name, notebook_path, parameters, cron, timezone, paused, "
        "retries, retry_backoff_seconds, max_concurrent, output_html, missed_policy, "
        "next_run_at, created_by, created_at, updated_at) VALUES (:id, :name, 'churn.ipynb', "
        "'{}', :cron, 'UTC', :no, 0, 60, 1, :no, 'run_once', :next, :by, :at, :at)"
    )
    run = text(
        "INSERT INTO runs (id, job_id, trigger, notebook_path, parameters, output_html, "
        "status, attempt, cancel_requested, created_at, notebook_sha256) VALUES (:id, :job, "
        ":trigger, 'churn.ipynb', '{}', :no, 'succeeded', 1, :no, :at, :sha)"
    )
    at, due = "2026-12-01 00:00:00+00:00", "2026-12-02 06:00:00+00:00"
    with engine.begin() as connection:
        for job_id, name, cron, by in (
            (1, "churn", "0 6 * * *", "ana"),  # a notebook job
            (2, "service:churn", "0 6 * * *", "nbtools serve"),  # made by a service
            (3, "service:older", "0 6 * * *", None),  # told by its minutes alone
            (4, "service:idle", None, "nbtools serve"),  # no minute yet
        ):
            values = {"id": job_id, "name": name, "cron": cron, "by": by, "no": False}
            connection.execute(job, {**values, "next": due if cron else None, "at": at})
        for run_id, job_id, trigger in ((10, 1, "schedule"), (11, 3, "service"), (12, 2, "manual")):
            connection.execute(
                run,
                {
                    "id": run_id,
                    "job": job_id,
                    "trigger": trigger,
                    "no": False,
                    "at": at,
                    "sha": f"{run_id}" * 32,
                },
            )
    engine.dispose()
    store = Store.open(db_url)  # upgrades
    try:
        with store.connection() as connection:
            rows = connection.execute(
                text("SELECT id, service, cron, next_run_at IS NULL FROM jobs ORDER BY id")
            ).all()
            hashes = connection.execute(
                text("SELECT id, notebook_sha256 FROM runs ORDER BY id")
            ).all()
        # a minute's hash (its package's, of the cells) is no file's sha256: cleared
        assert [tuple(row) for row in hashes] == [(10, "10" * 32), (11, None), (12, "12" * 32)]
        assert [(r[0], bool(r[1]), r[2], bool(r[3])) for r in rows] == [
            (1, False, "0 6 * * *", False),
            (2, True, None, True),
            (3, True, None, True),
            (4, True, None, True),
        ]
    finally:
        store.close()
