"""``--record-to`` with several workers: their shares of a minute add up to one run."""

from __future__ import annotations

import multiprocessing
import os
import threading
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select

from nbtools.jobs.tables import Job, Run
from nbtools.metrics.alerts import add_rule
from nbtools.metrics.tables import Alert, MetricValue
from nbtools.serve.recorder import ServiceRecorder
from nbtools.serve.tables import ServiceMinuteShare
from nbtools.serve.telemetry import Minute, MinuteAggregates
from nbtools.store.database import Store

INFO = {"notebook": "scorer.ipynb", "notebook_sha256": "a" * 64}
MINUTE = 29_000_000


def minute(calls: int, failed: int, score: float, seconds: float) -> Minute:
    aggregates = MinuteAggregates()
    for index in range(calls):
        aggregates.add(MINUTE * 60.0, seconds, index < failed, [("score", score)])
    return aggregates.take()[MINUTE]


def series(store: Store, name: str) -> tuple[list[Run], dict[str, float | None], list[Alert]]:
    with store.session() as session:
        job = session.scalars(select(Job).where(Job.name == name)).one()
        runs = list(session.scalars(select(Run).where(Run.job_id == job.id)))
        values = {
            row.name: row.number
            for row in session.scalars(select(MetricValue).where(MetricValue.job_id == job.id))
        }
        alerts = list(session.scalars(select(Alert).where(Alert.job_id == job.id)))
    return runs, values, alerts


def test_the_shares_of_two_workers_make_one_run_of_the_minute(db_url: str) -> None:
    Store.open(db_url).close()  # made and migrated once, as nbtools serve expects
    first = ServiceRecorder(db_url, "service:scorer", INFO, "host:1")
    second = ServiceRecorder(db_url, "service:scorer", INFO, "host:2")
    assert first.job_id == second.job_id
    with first.store.session(write=True) as session:
        add_rule(session, first.job_id, "error_rate > 0.2")
    first.write({MINUTE: minute(3, 0, 1.0, 0.010)})
    runs, values, alerts = series(first.store, "service:scorer")
    assert values["requests"] == 3
    assert values["error_rate"] == 0
    assert alerts == []
    second.write({MINUTE: minute(1, 1, 5.0, 0.500)})
    runs, values, alerts = series(first.store, "service:scorer")
    assert len(runs) == 1
    assert runs[0].trigger == "service"
    assert values["requests"] == 4
    assert values["errors"] == 1
    assert values["error_rate"] == 0.25
    assert values["mean.score"] == 2.0
    assert values["latency_p95"] is not None
    assert 0.49 < values["latency_p95"] < 0.51
    assert len(alerts) == 1  # the merged minute crosses the threshold: one alert
    # the same worker writing the minute again (its shutdown) adds to its own share
    second.write({MINUTE: minute(2, 0, 5.0, 0.010)})
    runs, values, alerts = series(first.store, "service:scorer")
    assert values["requests"] == 6
    assert len(alerts) == 1
    with first.store.session() as session:
        shares = session.scalars(select(ServiceMinuteShare.worker)).all()
    assert sorted(shares) == ["host:1", "host:2"]
    first.close()
    second.close()


def test_a_minute_s_run_covers_the_part_its_workers_served(db_url: str) -> None:
    """A worker that started 10 s into the minute and one that stopped 5 s into it: the run
    spans what they served together, not the whole minute (nor only the first's part)."""
    Store.open(db_url).close()
    first = ServiceRecorder(db_url, "service:scorer", INFO, "host:1")
    second = ServiceRecorder(db_url, "service:scorer", INFO, "host:2")
    start = MINUTE * 60.0
    first.write({MINUTE: minute(1, 0, 1.0, 0.010)}, since=start + 10, until=start + 20)
    (run,), _, _ = series(first.store, "service:scorer")
    assert (run.scheduled_for.timestamp(), run.started_at, run.finished_at) == (
        start,
        datetime.fromtimestamp(start + 10, timezone.utc),
        datetime.fromtimestamp(start + 20, timezone.utc),
    )
    second.write({MINUTE: minute(1, 0, 1.0, 0.010)}, since=start - 300, until=start + 5)
    second.write({MINUTE - 1: minute(1, 0, 1.0, 0.010)}, since=start - 300)
    runs, _, _ = series(first.store, "service:scorer")
    spans = sorted(
        (r.started_at.timestamp() - start, r.finished_at.timestamp() - start) for r in runs
    )
    assert spans == [(-60, 0), (0, 20)]
    first.close()
    second.close()


def test_workers_writing_at_once_lose_no_share(db_url: str) -> None:
    Store.open(db_url).close()
    recorders = [ServiceRecorder(db_url, "service:busy", INFO, f"host:{n}") for n in range(4)]
    threads = [
        threading.Thread(target=recorder.write, args=({MINUTE: minute(5, 0, 1.0, 0.01)},))
        for recorder in recorders
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    runs, values, _ = series(recorders[0].store, "service:busy")
    assert len(runs) == 1
    assert values["requests"] == 20
    for recorder in recorders:
        recorder.close()


def start_services(url: str, names: list[str], barrier: Any, found: Any) -> None:
    """One worker starting each service in ``names`` when all workers are ready to."""
    for name in names:
        barrier.wait(60)
        recorder = ServiceRecorder(url, name, INFO, f"pid:{os.getpid()}")
        found.put((name, recorder.job_id))
        recorder.close()


def test_workers_starting_at_once_make_one_job(db_url: str) -> None:
    """Real processes, released together: never two jobs for one service."""
    Store.open(db_url).close()
    names = [f"service:race-{n}" for n in range(5)]
    context = multiprocessing.get_context("spawn")
    barrier, found = context.Barrier(3), context.Queue()
    workers = [
        context.Process(target=start_services, args=(db_url, names, barrier, found))
        for _ in range(3)
    ]
    for worker in workers:
        worker.start()
    answers = [found.get(timeout=120) for _ in range(3 * len(names))]
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    store = Store.open(db_url)
    with store.session() as session:
        jobs = session.execute(select(Job.name, Job.id).where(Job.name.in_(names))).all()
    store.close()
    assert sorted(jobs) == sorted(set(answers))
    assert sorted(name for name, _ in jobs) == names


def test_the_service_job_names_the_notebook_s_project_path_once_the_lineage_has_it(
    db_url: str,
) -> None:
    """A service started while its package's lineage was still being recorded knows only the
    notebook's file name; its job and minutes get the notebook's path in the project (the
    Jobs section of ``nbs/scorer.ipynb`` lists the service) as soon as the lineage names it."""
    Store.open(db_url).close()
    info: dict[str, Any] = {**INFO, "notebook_path": None}
    recorder = ServiceRecorder(db_url, "service:pending", info, "host:1")
    recorder.write({MINUTE: minute(1, 0, 1.0, 0.010)})
    info["notebook_path"] = "nbs/scorer.ipynb"  # the service read the manifest again
    recorder.write({MINUTE + 1: minute(1, 0, 1.0, 0.010)})
    with recorder.store.session() as session:
        job = session.scalars(select(Job).where(Job.id == recorder.job_id)).one()
        paths = session.scalars(
            select(Run.notebook_path).where(Run.job_id == job.id).order_by(Run.scheduled_for)
        ).all()
    assert job.notebook_path == "nbs/scorer.ipynb"
    assert paths == ["scorer.ipynb", "nbs/scorer.ipynb"]
    again = ServiceRecorder(db_url, "service:pending", info, "host:2")  # a restart: found
    assert again.job_id == recorder.job_id
    recorder.close()
    again.close()


def test_a_minute_names_its_notebook_version_and_no_file_hash(db_url: str) -> None:
    """A run's ``notebook_sha256`` is the sha256 of the notebook file it executed; a
    service's minutes carried their package's hash of the notebook's cells under it, so a
    minute and a run of the same notebook version seemed to come from different notebooks.
    They name the version (what they have in common) and no file hash."""
    Store.open(db_url).close()
    info = {**INFO, "notebook_version_id": 7, "environment_id": "e" * 64}
    recorder = ServiceRecorder(db_url, "service:versioned", info, "host:1")
    recorder.write({MINUTE: minute(1, 0, 1.0, 0.010)})
    with recorder.store.session() as session:
        run = session.scalars(select(Run).where(Run.job_id == recorder.job_id)).one()
    assert (run.notebook_sha256, run.notebook_version_id, run.env_snapshot_id) == (
        None, 7, "e" * 64,
    )  # fmt: skip
    recorder.close()


def test_the_datasets_a_minutes_calls_used_are_the_uses_of_its_run(db_url: str) -> None:
    """Each worker's share keeps the uses of its calls; the minute's run stores them all, each
    dataset and mode once, as a run's uses (a share an earlier version wrote has none)."""
    from nbtools.data.tables import RunDatasetRecord

    Store.open(db_url).close()
    pii = {"dataset": "pii", "dataset_uid": "1" * 32, "mode": "read",
           "classification": "personal", "location": "data/pii.csv"}  # fmt: skip
    scores = {**pii, "dataset": "scores", "dataset_uid": "2" * 32, "mode": "write"}
    aggregates = MinuteAggregates()
    aggregates.add(MINUTE * 60.0, 0.01, False, [], [pii])
    aggregates.add(MINUTE * 60.0, 0.01, False, [], [pii, scores])
    first = ServiceRecorder(db_url, "service:data", INFO, "host:1")
    second = ServiceRecorder(db_url, "service:data", INFO, "host:2")
    older = {"count": 1, "errors": 0, "latencies": {"0": 1}, "sums": {}, "counts": {}}
    again = minute(1, 0, 1.0, 0.01)
    again.add_uses([pii])
    try:
        first.write(aggregates.take())
        second.write({MINUTE: Minute.from_json(older)})
        second.write({MINUTE: again})
        with first.store.session() as session:
            rows = session.execute(
                select(
                    RunDatasetRecord.run_id,
                    RunDatasetRecord.dataset,
                    RunDatasetRecord.dataset_uid,
                    RunDatasetRecord.mode,
                ).order_by(RunDatasetRecord.dataset)
            ).all()
            [run_id] = session.scalars(select(Run.id).where(Run.job_id == first.job_id)).all()
    finally:
        first.close()
        second.close()
    assert [tuple(row) for row in rows] == [
        (run_id, "pii", "1" * 32, "read"),
        (run_id, "scores", "2" * 32, "write"),
    ]
