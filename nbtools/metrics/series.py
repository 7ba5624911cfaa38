"""Storing a run's harvested metrics and reading them back per run and per job."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from nbtools.errors import NotFoundError
from nbtools.ids import check_limit
from nbtools.jobs.tables import Run
from nbtools.metrics import DEFAULT_PAGE_RUNS, MAX_PAGE_RUNS
from nbtools.metrics.harvest import Harvest
from nbtools.metrics.tables import MetricHarvest, MetricValue
from nbtools.metrics.values import value_kind
from nbtools.store.base import utcnow


def save_run_metrics(
    session: Session, run_id: int, job_id: int | None, harvest: Harvest
) -> list[MetricValue]:
    """Store a run's harvest, replacing an earlier harvest of the same run."""
    session.execute(delete(MetricValue).where(MetricValue.run_id == run_id))
    now = utcnow()
    rows = [
        MetricValue(
            run_id=run_id,
            job_id=job_id,
            name=metric.name,
            kind=value_kind(metric.value),
            value=metric.value,
            number=_number(metric.value),
            unit=metric.unit,
            source=metric.source,
            cell_index=metric.cell_index,
            recorded_at=now,
        )
        for metric in harvest.metrics.values()
    ]
    session.add_all(rows)
    session.merge(
        MetricHarvest(run_id=run_id, job_id=job_id, problems=harvest.problems, harvested_at=now)
    )
    return rows


def _number(value: Any) -> float | None:
    """The numeric copy rules and charts use: numbers only (booleans are not numbers here)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None


def metric_to_dict(row: MetricValue) -> dict[str, Any]:
    return {
        "run_id": row.run_id,
        "job_id": row.job_id,
        "name": row.name,
        "kind": row.kind,
        "value": row.value,
        "unit": row.unit,
        "source": row.source,
        "cell_index": row.cell_index,
        "recorded_at": row.recorded_at.isoformat(),
    }


def run_metrics(session: Session, run_id: int) -> dict[str, Any]:
    """A run's metrics (by name) and the outputs its harvest could not read."""
    harvest = session.get(MetricHarvest, run_id)
    if harvest is None:
        run = session.get(Run, run_id)
        if run is None:
            why = "there is no such run (`nbtools runs list` lists them)"
        elif run.finished_at is None:
            why = f"it is {run.status}: its metrics are read from its notebook once it ends"
        elif run.pruned_at is not None:
            why = "it was pruned by retention, and its metrics with it"
        else:
            why = "it ended without a notebook to read them from, or before monitoring was set up"
        raise NotFoundError(f"Run {run_id} has no metrics: {why}.", run_id=run_id)
    rows = session.scalars(
        select(MetricValue).where(MetricValue.run_id == run_id).order_by(MetricValue.name)
    )
    return {
        "run_id": run_id,
        "job_id": harvest.job_id,
        "harvested_at": harvest.harvested_at.isoformat(),
        "metrics": [metric_to_dict(row) for row in rows],
        "problems": list(harvest.problems),
    }


def metric_series(
    session: Session,
    job_id: int,
    *,
    metric: str | None = None,
    before_run: int | None = None,
    limit: int = DEFAULT_PAGE_RUNS,
) -> dict[str, Any]:
    """A page of a job's metrics over its runs, newest ``limit`` runs before ``before_run``.

    Points come oldest first (ready to chart); ``next_before_run`` pages further back
    and is None on the last page. ``runs`` carry each run's status, parameters, notebook
    version and duration, so a chart can mark failed runs and say what a point is.
    ``metric_names`` are the metrics any run of the job recorded, whatever the page and
    ``metric``: what ``metric`` may be, when it matched nothing.
    """
    check_limit(limit, MAX_PAGE_RUNS)
    runs_query = select(MetricHarvest.run_id).where(MetricHarvest.job_id == job_id)
    if before_run is not None:
        runs_query = runs_query.where(MetricHarvest.run_id < before_run)
    run_ids = list(
        session.scalars(runs_query.order_by(MetricHarvest.run_id.desc()).limit(limit + 1))
    )
    more = len(run_ids) > limit
    run_ids = sorted(run_ids[:limit])
    rows_query = select(MetricValue).where(MetricValue.run_id.in_(run_ids))
    if metric is not None:
        rows_query = rows_query.where(MetricValue.name == metric)
    series: dict[str, list[dict[str, Any]]] = {}
    for row in session.scalars(rows_query.order_by(MetricValue.run_id, MetricValue.name)):
        series.setdefault(row.name, []).append(
            {"run_id": row.run_id, "value": row.value, "unit": row.unit}
        )
    runs = session.scalars(select(Run).where(Run.id.in_(run_ids)).order_by(Run.id))
    return {
        "job_id": job_id,
        "run_ids": run_ids,
        "runs": [_run_facts(run) for run in runs],
        "series": series,
        "next_before_run": run_ids[0] if more and run_ids else None,
        "metric_names": list(
            session.scalars(
                select(MetricValue.name)
                .where(MetricValue.job_id == job_id)
                .distinct()
                .order_by(MetricValue.name)
            )
        ),
    }


def recorded_hint(metric: str, names: list[str]) -> str:
    """What runs that did not record ``metric`` recorded instead (``names``): the name
    meant, if one is close, else the names, else how to record it."""
    import difflib

    if not names:
        return (
            "they recorded no metric (in the notebook, "
            f"nbtools.record({metric!r}, VALUE) records it)."
        )
    close = difflib.get_close_matches(metric, names, n=1)
    shown = ", ".join(names[:10]) + (", …" if len(names) > 10 else "")
    return f"did you mean {close[0]}?" if close else f"they recorded {shown}."


def _run_facts(run: Run) -> dict[str, Any]:
    duration = None
    if run.finished_at is not None and run.started_at is not None:
        duration = (run.finished_at - run.started_at).total_seconds()
    return {
        "id": run.id,
        "status": run.status,
        "attempt": run.attempt,
        "parameters": run.parameters,
        "notebook_sha256": run.notebook_sha256,
        "notebook_version_id": run.notebook_version_id,
        "started_at": run.started_at.isoformat() if run.started_at else None,
        "duration_seconds": duration,
    }
