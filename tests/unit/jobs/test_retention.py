"""Run retention on both stores: exactly the expired runs lose their outputs, metrics and
version references; running runs and each job's newest success stay; dry runs change nothing;
two pruners at once prune each run once."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from nbtools import audit, versioning
from nbtools.artifacts.tables import ArtifactRecord
from nbtools.cli.app import cli
from nbtools.data.catalog import (
    add_dataset,
    dataset_spec,
    edit_dataset,
    get_dataset,
    remove_dataset,
)
from nbtools.data.uses import DataUse, save_uses
from nbtools.errors import InvalidInputError
from nbtools.jobs.definitions import create_job, update_job
from nbtools.jobs.retention import PRUNE_BATCH, parse_keep_runs, prune_runs
from nbtools.jobs.run_files import output_files, run_dir
from nbtools.jobs.tables import Job, Run
from nbtools.metrics.tables import MetricValue
from nbtools.project import Project
from nbtools.store.base import utcnow
from nbtools.versioning.tables import version_refs
from tests.conftest import make_notebook
from tests.terminal import answer_at_a_terminal
from tests.unit.jobs.test_run_views import counted

NOW = utcnow()


@pytest.fixture
def project(tmp_path: Path, store_url: str) -> Iterator[Project]:
    opened = Project(tmp_path, db_url=store_url)
    (tmp_path / "nb.ipynb").write_text(json.dumps(make_notebook([("code", "x = 1", [])])))
    (tmp_path / "adhoc.ipynb").write_text(json.dumps(make_notebook([("code", "y = 1", [])])))
    yield opened
    opened.close()


def add_run(
    project: Project,
    job: Job | None,
    status: str,
    days_ago: float,
    *,
    dataset: str | None = None,
) -> int:
    """A run that ended ``days_ago`` (a running one started then), with an output file, a
    metric and a reference to a notebook version; it read ``dataset`` as now catalogued, if
    given."""
    ended = NOW - timedelta(days=days_ago)
    path = job.notebook_path if job is not None else "adhoc.ipynb"
    uid = get_dataset(project, dataset).uid if dataset is not None else None
    with project.store.session(write=True) as session:
        run = Run(
            job_id=job.id if job is not None else None,
            trigger="manual",
            notebook_path=path,
            status=status,
            created_at=ended,
            started_at=ended,
            finished_at=None if status == "running" else ended,
        )
        session.add(run)
        session.flush()
        out = run_dir(project, run.id)
        out.mkdir(parents=True)
        (out / "nb.ipynb").write_text("{}")
        (out / "artifacts").mkdir()
        (out / "artifacts" / "model.json").write_text("{}")
        run.output_dir = str(out)
        run.outputs = ["notebook"]
        session.add(MetricValue(run_id=run.id, name="m", kind="number", value=1, source="x"))
        location = str(out / "artifacts" / "model.json")
        session.add(ArtifactRecord(run_id=run.id, name="model.json", size=2, sha256="0" * 64,
                                   location=location))  # fmt: skip
        if dataset is not None:
            use = DataUse(dataset, "read", "personal", "people.csv", uid)
            save_uses(session, run.id, [use])
        run_id = run.id
    version = versioning.commit(project, path, (project.root / path).read_bytes())
    versioning.pin(project, version.id, "run", str(run_id))
    return run_id


def pruned_state(project: Project, run_ids: list[int]) -> dict[int, tuple[bool, bool, int, int]]:
    """Run id → (pruned_at set, output dir present, metrics + artifacts, version references)."""
    with project.store.session() as session:
        state = {}
        for run_id in run_ids:
            run = session.get(Run, run_id)
            assert run is not None
            metrics = sum(
                session.scalar(
                    select(func.count()).select_from(table).where(table.run_id == run_id)
                )
                or 0
                for table in (MetricValue, ArtifactRecord)
            )
            refs = session.scalar(
                select(func.count())
                .select_from(version_refs)
                .where(version_refs.c.kind == "run", version_refs.c.ref == str(run_id))
            )
            state[run_id] = (
                run.pruned_at is not None,
                run_dir(project, run_id).exists(),
                int(metrics or 0),
                int(refs or 0),
            )
        return state


@pytest.fixture
def runs(project: Project) -> dict[str, int]:
    """Runs under every rule, named for what should happen to them."""
    (project.root / "people.csv").write_text("id\n1\n")
    spec = {"location": "people.csv", "classification": "personal", "retention": "90d"}
    add_dataset(project, dataset_spec(project, "people", spec))
    counted = create_job(project, {"notebook_path": "nb.ipynb", "name": "a", "keep_runs": 2})
    aged = create_job(project, {"notebook_path": "nb.ipynb", "name": "b", "keep_runs": "30d"})
    legal = create_job(project, {"notebook_path": "nb.ipynb", "name": "c"})
    return {
        # job a keeps 2: its newest succeeded run is kept anyway, running is never pruned
        "a_success_kept": add_run(project, counted, "succeeded", 50),
        "a_failed_pruned": add_run(project, counted, "failed", 40),
        "a_failed_kept_2": add_run(project, counted, "failed", 30),
        "a_failed_kept_1": add_run(project, counted, "failed", 20),
        "a_running_kept": add_run(project, counted, "running", 60),
        # job b keeps 30 days
        "b_old_pruned": add_run(project, aged, "failed", 40),
        "b_young_kept": add_run(project, aged, "cancelled", 10),
        # job c: no rule, but its only (newest succeeded) run read a 90-day dataset 100 days ago
        "c_legal_pruned": add_run(project, legal, "succeeded", 100, dataset="people"),
        "c_legal_young_kept": add_run(project, legal, "failed", 80, dataset="people"),
        # job-less runs follow only the rules given by hand
        "adhoc_old": add_run(project, None, "failed", 20),
        "adhoc_older": add_run(project, None, "failed", 25),
        "adhoc_new": add_run(project, None, "failed", 1),
    }


def test_exactly_the_expired_runs_are_pruned(project: Project, runs: dict[str, int]) -> None:
    everything = list(runs.values())
    before = pruned_state(project, everything)
    assert set(before.values()) == {(False, True, 2, 1)}

    dry = prune_runs(project, dry_run=True, now=NOW)
    expected = {runs["a_failed_pruned"], runs["b_old_pruned"], runs["c_legal_pruned"]}
    assert set(dry.expired) == expected
    assert dry.expired[runs["c_legal_pruned"]] == "retention of people (90d)"
    assert dry.expired[runs["a_failed_pruned"]] == "keep_runs 2"
    assert dry.pruned == []
    assert pruned_state(project, everything) == before  # a dry run changes nothing
    assert audit.list_entries(project, action="runs.*") == []

    report = prune_runs(project, actor="dpo", now=NOW)
    assert report.pruned == sorted(expected)
    after = pruned_state(project, everything)
    assert {i for i, s in after.items() if s == (True, False, 0, 0)} == expected
    assert {i for i, s in after.items() if s == (False, True, 2, 1)} == set(everything) - expected
    with project.store.session() as session:  # a pruned run lists no output file
        listed = {i: set(output_files(session.get(Run, i))) for i in everything}  # type: ignore[arg-type]
    assert {i for i, kinds in listed.items() if kinds == {"notebook"}} == set(everything) - expected
    [entry] = audit.list_entries(project, action="runs.prune")
    assert (entry.actor, entry.target) == ("dpo", "3 runs")
    assert entry.summary["runs"] == sorted(expected)

    assert prune_runs(project, now=NOW).expired == {}  # nothing more to do


def test_rules_given_by_hand(project: Project, runs: dict[str, int]) -> None:
    older = prune_runs(project, older_than_days=15, dry_run=True, now=NOW).expired
    assert runs["adhoc_old"] in older
    assert runs["adhoc_older"] in older
    assert runs["adhoc_new"] not in older
    assert older[runs["adhoc_old"]] == "older than 15d"
    # keep the newest 2 of each job or notebook, and only what is also older than 15 days
    both = prune_runs(project, older_than_days=15, keep=2, dry_run=True, now=NOW).expired
    assert runs["adhoc_old"] not in both  # among the newest two of adhoc.ipynb
    assert both[runs["adhoc_older"]] == "older than 15d and beyond the newest 2"
    assert runs["a_running_kept"] not in both
    assert runs["a_success_kept"] not in both
    # the project default applies to jobs without keep_runs and to job-less runs
    default = prune_runs(project, default_keep="1", dry_run=True, now=NOW).expired
    assert {runs["adhoc_old"], runs["adhoc_older"]} <= set(default)
    assert runs["a_failed_kept_2"] not in default  # job a keeps its own 2
    assert runs["c_legal_young_kept"] not in default  # job c's newest ended run


def test_a_dataset_catalogued_again_under_its_name_is_another(
    project: Project, runs: dict[str, int]
) -> None:
    """Its retention reaches only its own runs: the runs of the dataset removed keep theirs
    (none, once it left the catalog), where a shorter retention given to a new dataset of the
    same name expired them."""
    remove_dataset(project, "people")
    spec = {"location": "people.csv", "classification": "personal", "retention": "30d"}
    add_dataset(project, dataset_spec(project, "people", spec))
    with project.store.session() as session:
        legal = session.scalars(select(Job).where(Job.name == "c")).one()
    new_old = add_run(project, legal, "failed", 40, dataset="people")
    new_young = add_run(project, legal, "failed", 20, dataset="people")
    expired = prune_runs(project, dry_run=True, now=NOW).expired
    assert expired.get(new_old) == "retention of people (30d)"
    assert new_young not in expired
    assert runs["c_legal_pruned"] not in expired  # the dataset it read has no retention now
    assert runs["c_legal_young_kept"] not in expired


def test_a_services_minutes_follow_its_own_keep_runs_alone(
    project: Project, runs: dict[str, int]
) -> None:
    """The project's keep_runs and the rules given by hand are about runs' outputs, which a
    service's minutes do not have: they pruned its metric series to that many minutes."""
    from nbtools.serve.recorder import ServiceRecorder
    from nbtools.serve.telemetry import Minute

    recorder = ServiceRecorder(project_url(project), "service:churn", {}, "host:1")
    first = int((NOW - timedelta(days=40)).timestamp() // 60)
    try:
        recorder.write({first + i: Minute(count=1) for i in range(3)})
    finally:
        recorder.close()
    with project.store.session() as session:
        minutes = session.scalars(
            select(Run.id).where(Run.job_id == recorder.job_id).order_by(Run.id)
        ).all()
    assert len(minutes) == 3
    project_wide = prune_runs(
        project, default_keep="1", older_than_days=15, keep=1, dry_run=True, now=NOW
    ).expired
    assert runs["adhoc_older"] in project_wide
    assert not set(minutes) & set(project_wide)
    update_job(project, recorder.job_id, {"keep_runs": "2"})
    own = prune_runs(project, default_keep="1", dry_run=True, now=NOW).expired
    assert {i: own[i] for i in minutes if i in own} == {minutes[0]: "keep_runs 2"}


def test_two_pruners_at_once_prune_each_run_once(project: Project, runs: dict[str, int]) -> None:
    expected = set(prune_runs(project, older_than_days=0, dry_run=True, now=NOW).expired)
    results: list[list[int]] = []
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def pruner() -> None:
        start.wait()
        try:
            results.append(prune_runs(project, older_than_days=0, now=NOW).pruned)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=pruner) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    first, second = results
    assert not set(first) & set(second)
    assert set(first) | set(second) == expected
    assert runs["a_running_kept"] not in expected
    assert runs["a_success_kept"] not in expected
    assert len(audit.list_entries(project, action="runs.prune")) == len([r for r in results if r])


def test_the_longest_ages_keep_everything_and_raise_nothing(
    project: Project, runs: dict[str, int]
) -> None:
    """999999y (the longest age the syntax allows, ≈ 365 million days) reaches back past the
    calendar's year 1: it means "keep", never an overflow in every later prune."""
    edit_dataset(project, "people", {"retention": "999999y"})
    with project.store.session() as session:
        jobs = session.scalars(select(Job.id).where(Job.name.in_(["a", "b"]))).all()
    for job_id in jobs:
        update_job(project, job_id, {"keep_runs": "999999y"})
    assert prune_runs(project, dry_run=True, now=NOW).expired == {}
    by_hand = prune_runs(project, older_than_days=999999 * 365, dry_run=True, now=NOW)
    assert by_hand.expired == {}


def test_keep_runs_is_checked_and_stored(project: Project) -> None:
    assert parse_keep_runs("10") == parse_keep_runs(10) == "10"
    assert parse_keep_runs("12w") == "12w"
    assert parse_keep_runs("") is None
    for bad in ("0", 0, "3m", "10 days", True, 1.5, -1):
        with pytest.raises(InvalidInputError) as info:
            parse_keep_runs(bad)
        assert info.value.details["field"] == "keep_runs"
    job = create_job(project, {"notebook_path": "nb.ipynb", "keep_runs": "5"})
    assert job.keep_runs == "5"
    assert update_job(project, job.id, {"keep_runs": None}).keep_runs is None
    with pytest.raises(InvalidInputError):
        update_job(project, job.id, {"keep_runs": "forever"})


def test_cli_prune(project: Project, runs: dict[str, int]) -> None:
    def nbtools(*args: str, input: str | None = None) -> Any:
        return CliRunner().invoke(
            cli, ["--root", str(project.root), "--db-url", project_url(project), *args],
            input=input,
        )  # fmt: skip

    dry = nbtools("runs", "prune", "--older-than", "15d", "--dry-run", "--json")
    assert dry.exit_code == 0, dry.output
    planned = {run["id"] for run in json.loads(dry.stdout)["runs"]}
    assert runs["adhoc_older"] in planned
    at_terminal = ["--root", str(project.root), "--db-url", project_url(project), "runs", "prune"]
    declined = answer_at_a_terminal("n\n", *at_terminal, "--older-than", "15d")
    assert declined.returncode == 1, declined.stderr
    assert f"Prune the outputs of {len(planned)} run(s)? [y/N]" in declined.stdout
    asked = answer_at_a_terminal("n\n", *at_terminal, "--older-than", "15d", "--json")
    assert (asked.returncode, asked.stdout) == (1, "")  # stdout is for the JSON answer alone
    assert "Prune the outputs of" in asked.stderr
    # no terminal to answer (a script, CI): refused as the other deleting commands refuse,
    # never read as a "no" (with --json, the error is the JSON answer)
    for args in ((), ("--json",)):
        unasked = nbtools("runs", "prune", "--older-than", "15d", *args, input="y\n")
        assert unasked.exit_code == 2, unasked.output
        assert (
            f"Pruning the outputs of {len(planned)} run(s) needs confirmation: run it in a "
            "terminal, or pass --yes." in " ".join(unasked.stderr.split())
        )
    refused = json.loads(nbtools("runs", "prune", "--older-than", "15d", "--json").stdout)
    assert (refused["error"], refused["details"]) == ("InvalidInputError", {"field": "yes"})
    assert pruned_state(project, [runs["adhoc_older"]])[runs["adhoc_older"]][0] is False
    done = nbtools("--actor", "ops", "runs", "prune", "--older-than", "15d", "--yes", "--json")
    assert done.exit_code == 0, done.output
    assert set(json.loads(done.stdout)["pruned"]) == planned
    assert audit.list_entries(project, action="runs.prune")[0].actor == "ops"
    nothing = nbtools("runs", "prune", "--older-than", "15d")  # nothing left to ask about
    assert (nothing.exit_code, nothing.stdout) == (0, "Nothing to prune.\n")
    bad = nbtools("runs", "prune", "--older-than", "soon")
    assert bad.exit_code == 2
    assert "--older-than" in bad.output
    job_bad = nbtools("schedule", "add", "nb.ipynb", "--keep-runs", "3m")
    assert job_bad.exit_code == 2
    assert "--keep-runs must be a number of runs (10) or an age" in job_bad.output


def project_url(project: Project) -> str:
    return project.store.engine.url.render_as_string(hide_password=False)


def test_the_scheduler_prunes_periodically(project: Project, runs: dict[str, int]) -> None:
    from nbtools.jobs.scheduler import Scheduler

    clock = [NOW]
    scheduler = Scheduler(project, clock=lambda: clock[0], keep_runs="1", prune_seconds=3600)
    first = scheduler.tick().pruned
    assert runs["adhoc_older"] in first
    assert runs["a_failed_pruned"] in first
    late = add_run(project, None, "failed", 30)
    clock[0] = NOW + timedelta(minutes=30)
    assert scheduler.tick().pruned == []  # not due yet
    clock[0] = NOW + timedelta(hours=1, seconds=1)
    assert late in scheduler.tick().pruned
    assert audit.list_entries(project, action="runs.prune")[0].summary["trigger"] == "scheduler"


def add_ended_runs(project: Project, count: int) -> list[int]:
    """``count`` failed runs of a new job that keeps 1 run, without outputs: all but the
    newest expire."""
    job = create_job(project, {"notebook_path": "nb.ipynb", "name": "many", "keep_runs": 1})
    with project.store.session(write=True) as session:
        added = [
            Run(
                job_id=job.id,
                trigger="manual",
                notebook_path="nb.ipynb",
                status="failed",
                created_at=NOW - timedelta(minutes=count - index),
                finished_at=NOW - timedelta(minutes=count - index),
            )
            for index in range(count)
        ]
        session.add_all(added)
        session.flush()
        return [run.id for run in added]


def test_runs_are_pruned_in_batches_one_update_each(project: Project) -> None:
    ids = add_ended_runs(project, PRUNE_BATCH + 2)
    with counted(project) as statements:
        report = prune_runs(project, now=NOW)
    assert report.pruned == ids[:-1]  # the newest is kept
    claims = [sql for sql in statements if sql.lstrip().upper().startswith("UPDATE RUNS")]
    assert len(claims) == 2  # one per batch of PRUNE_BATCH, not one per run
    entries = audit.list_entries(project, action="runs.prune")
    assert sorted(len(entry.summary["runs"]) for entry in entries) == [1, PRUNE_BATCH]


def test_the_scheduler_prunes_a_backlog_a_bounded_part_per_tick(project: Project) -> None:
    from nbtools.jobs.scheduler import PRUNE_PER_TICK, Scheduler

    ids = add_ended_runs(project, PRUNE_PER_TICK + 2)
    scheduler = Scheduler(project, clock=lambda: NOW, keep_runs=None, prune_seconds=3600)
    assert scheduler.tick().pruned == ids[:PRUNE_PER_TICK]
    assert scheduler.tick().pruned == ids[PRUNE_PER_TICK:-1]  # the next tick, not in an hour
    assert scheduler.tick().pruned == []
