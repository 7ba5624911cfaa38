"""Helpers for monitoring tests: jobs and runs with metrics stored in a real project."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from nbtools.jobs.tables import Job, Run
from nbtools.metrics.harvest import Harvest, HarvestedMetric
from nbtools.metrics.series import save_run_metrics
from nbtools.project import Project


def _keep_sequence_ahead(session: Session, table: str) -> None:
    """After rows with chosen ids, PostgreSQL's id sequence must continue past them."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}")
        )


def add_jobs(project: Project, *job_ids: int) -> None:
    """Jobs with these ids (those missing), as `nbtools schedule add` stores them."""
    with project.store.session(write=True) as session:
        for job_id in job_ids:
            if session.get(Job, job_id) is None:
                session.add(Job(id=job_id, name=f"job-{job_id}", notebook_path="train.ipynb"))
        session.flush()
        _keep_sequence_ahead(session, "jobs")


def add_run(project: Project, job_id: int | None, run_id: int, status: str = "succeeded") -> None:
    """Run ``run_id`` of job ``job_id`` (both created if missing), ended with ``status``."""
    if job_id is not None:
        add_jobs(project, job_id)
    with project.store.session(write=True) as session:
        if session.get(Run, run_id) is None:
            session.add(
                Run(
                    id=run_id,
                    job_id=job_id,
                    trigger="schedule",
                    notebook_path="train.ipynb",
                    status=status,
                )
            )
            session.flush()
            _keep_sequence_ahead(session, "runs")


def store_metrics(project: Project, job_id: int | None, run_id: int, **metrics: Any) -> None:
    """Save ``metrics`` as the harvest of run ``run_id`` of job ``job_id`` (created if missing)."""
    add_run(project, job_id, run_id)
    harvest = Harvest(
        {name: HarvestedMetric(name, value, None, "nbtools", 0) for name, value in metrics.items()}
    )
    with project.store.session(write=True) as session:
        save_run_metrics(session, run_id, job_id, harvest)
