"""What a served function records: the finite numbers, as in a notebook run, in ``/metrics``
and in the means ``record_to`` stores (the app in this process, its lifespan run by FastAPI's
test client, the store a real SQLite file)."""

from __future__ import annotations

import logging
import math
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from nbtools.jobs.tables import Job
from nbtools.metrics.tables import MetricValue
from nbtools.project import Project
from nbtools.serve import create_app
from nbtools.serve.config import ServeSettings
from tests.conftest import NotebookFactory
from tests.integration.serve.conftest import extract

#: A served function recording what it is asked to, and a served pipeline recording a loss.
GAUGE = [
    ("markdown", "# Gauge\n> Records sizes.", []),
    ("code", "from nbtools import record", ["export"]),
    (
        "code",
        "#| serve\n"
        "def measure(kind: str) -> dict[str, bool]:\n"
        '    """Record a size of the kind asked for."""\n'
        "    sizes = {'big': 10**400, 'nan': float('nan'), 'inf': float('inf')}\n"
        "    record('size', sizes.get(kind, 2))\n"
        "    return {'recorded': True}",
        [],
    ),
    ("code", "loss = '1.0'", ["parameters"]),
    ("code", "record('loss', float(loss))", ["main", "serve"]),
]


def test_only_finite_numbers_reach_the_metrics_and_the_stored_means(
    notebook_factory: NotebookFactory,
    tmp_path: Path,
    project: Project,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """record() refuses NaN and the infinities in a served function as in a notebook (the
    call fails: 500); run()'s own record() keeps them in its results, which are a 500 too
    (JSON cannot carry them), and an integer beyond a float's range is JSON: each of these
    is left out of /metrics and of the means, counted by name and logged once per name."""
    package = extract(notebook_factory("gauge.ipynb", GAUGE), tmp_path / "gauge-pkg")
    monkeypatch.syspath_prepend(str(package / "src"))
    monkeypatch.delitem(sys.modules, "gauge", raising=False)
    endpoints = {"measure": "gauge.core:measure", "run": "gauge.pipeline:run"}
    app = create_app("gauge", endpoints, ServeSettings(record_to=project.db_url))
    with caplog.at_level(logging.WARNING, "nbtools.serve"), TestClient(app) as client:
        statuses = [
            client.post("/measure", json={"kind": kind}).status_code
            for kind in ("plain", "big", "nan", "inf", "big")
        ]
        statuses += [
            client.post("/run", json={"loss": loss}).status_code
            for loss in ("2.0", "nan", "inf", "-inf")
        ]
        metrics = client.get("/metrics").text
    assert statuses == [200, 200, 500, 500, 200, 200, 500, 500, 500]
    assert 'nbtools_serve_recorded_value_sum{name="size"} 2.0' in metrics
    assert 'nbtools_serve_recorded_value_count{name="size"} 1.0' in metrics
    assert 'nbtools_serve_recorded_value_sum{name="loss"} 2.0' in metrics
    assert 'nbtools_serve_recorded_value_count{name="loss"} 1.0' in metrics
    assert 'nbtools_serve_recorded_dropped_total{name="size"} 2.0' in metrics
    assert 'nbtools_serve_recorded_dropped_total{name="loss"} 3.0' in metrics
    assert 'nbtools_serve_errors_total{endpoint="/measure",type="InvalidMetricError"} 2.0' in (
        metrics
    )
    told = [r.getMessage() for r in caplog.records if "no finite number" in r.getMessage()]
    assert [message.split(" is ")[0] for message in told] == [
        "the value recorded as 'size'",
        "the value recorded as 'loss'",
    ]
    # the minute in progress was written at shutdown: its means are those of the finite values
    with project.store.session() as session:
        job_id = session.scalars(select(Job.id).where(Job.name == "service:gauge")).one()
        rows = session.execute(
            select(MetricValue.name, MetricValue.value).where(MetricValue.job_id == job_id)
        ).all()
    means = {(name, value) for name, value in rows if name.startswith("mean.")}
    assert means == {("mean.size", 2.0), ("mean.loss", 2.0)}  # one minute, or two
    assert all(math.isfinite(value) for _, value in rows)
    assert sum(value for name, value in rows if name == "requests") == len(statuses)
