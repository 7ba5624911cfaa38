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
    ("code", "record('loss', 10**400 if loss == 'big' else float(loss))", ["main", "serve"]),
]


def test_only_finite_numbers_reach_the_metrics_and_the_stored_means(
    notebook_factory: NotebookFactory,
    tmp_path: Path,
    project: Project,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """record() refuses NaN, the infinities and integers beyond a float's range in a served
    function as in a notebook (the call fails: 500); run()'s own record() keeps them in its
    results, which are a 500 too for NaN and the infinities (JSON cannot carry them), and
    an integer beyond a float's range is JSON: each of these is left out of /metrics and of
    the means, counted by name and logged once per name."""
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
            for loss in ("2.0", "nan", "inf", "-inf", "big")
        ]
        metrics = client.get("/metrics").text
    assert statuses == [200, 500, 500, 500, 500, 200, 500, 500, 500, 200]
    assert 'nbtools_serve_recorded_value_sum{name="size"} 2.0' in metrics
    assert 'nbtools_serve_recorded_value_count{name="size"} 1.0' in metrics
    assert 'nbtools_serve_recorded_value_sum{name="loss"} 2.0' in metrics
    assert 'nbtools_serve_recorded_value_count{name="loss"} 1.0' in metrics
    assert 'nbtools_serve_recorded_dropped_total{name="size"}' not in metrics  # refused
    assert 'nbtools_serve_recorded_dropped_total{name="loss"} 4.0' in metrics
    assert 'nbtools_serve_errors_total{endpoint="/measure",type="InvalidMetricError"} 4.0' in (
        metrics
    )
    told = [r.getMessage() for r in caplog.records if "no finite number" in r.getMessage()]
    assert [message.split(" is ")[0] for message in told] == ["the value recorded as 'loss'"]
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


#: A served pipeline whose main cell records numpy scalars and names record() refuses, which
#: run()'s own record() keeps in its results unchecked.
COUNTER = [
    ("code", "import numpy as np\nfrom nbtools import record", ["export"]),
    ("code", "n = 3", ["parameters"]),
    (
        "code",
        "record('rows', np.int64(n))\n"
        "record('share', np.float32(0.5))\n"
        "record('exact', np.longdouble(1.5))\n"
        "record('flag', np.bool_(True))\n"
        "record('bad name', 7)\n"
        "record('\\ud800', 7.5)\n"
        "record(3, 8)\n"
        "record('ok.then', 1)",
        ["main", "serve"],
    ),
]


def test_run_results_count_numpy_numbers_and_only_names_record_takes(
    notebook_factory: NotebookFactory,
    tmp_path: Path,
    project: Project,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """run()'s results are checked as record() checks them before they are counted: a numpy
    scalar counts as its number (an int64 was silently left out), a number under a name
    record() refuses (a space, a lone surrogate, an int) is left out of /metrics and the
    stored means (no ``mean.bad name``), logged once per name, and the call still answers."""
    package = extract(notebook_factory("counter.ipynb", COUNTER), tmp_path / "counter-pkg")
    monkeypatch.syspath_prepend(str(package / "src"))
    monkeypatch.delitem(sys.modules, "counter", raising=False)
    app = create_app(
        "counter", {"run": "counter.pipeline:run"}, ServeSettings(record_to=project.db_url)
    )
    with caplog.at_level(logging.WARNING, "nbtools.serve"), TestClient(app) as client:
        replies = [client.post("/run", json={"n": n}) for n in (3, 5)]
        metrics = client.get("/metrics")
    assert [reply.status_code for reply in replies] == [200, 200]
    assert replies[0].json()["bad name"] == 7
    assert metrics.status_code == 200
    for name, total in (("rows", 8.0), ("share", 1.0), ("exact", 3.0), ("ok.then", 2.0)):
        assert f'nbtools_serve_recorded_value_sum{{name="{name}"}} {total}' in metrics.text
    assert 'name="flag"' not in metrics.text  # a boolean, as record()'s, is not averaged
    assert "bad name" not in metrics.text
    assert 'name="3"' not in metrics.text
    assert "nbtools_serve_recorded_dropped_total{" not in metrics.text
    told = [r.getMessage() for r in caplog.records if "a name record() refuses" in r.getMessage()]
    assert len(told) == 3  # once per name, for two calls
    assert "Invalid metric name 'bad name'" in told[0]
    assert "Invalid metric name '\\ud800'" in told[1]
    assert "must be a string, not int" in told[2]
    with project.store.session() as session:
        job_id = session.scalars(select(Job.id).where(Job.name == "service:counter")).one()
        names = set(session.scalars(select(MetricValue.name).where(MetricValue.job_id == job_id)))
    assert {name for name in names if name.startswith("mean.")} == {
        "mean.rows",
        "mean.share",
        "mean.exact",
        "mean.ok.then",
    }


#: A served function recording a value before it takes longer than the time limit.
LATE = [
    ("code", "import time\nfrom nbtools import record", ["export"]),
    (
        "code",
        "#| serve\n"
        "def late(value: float, seconds: float = 0.0) -> float:\n"
        '    """Record value, then wait."""\n'
        "    record('late', value)\n"
        "    time.sleep(seconds)\n"
        "    return value",
        [],
    ),
]


def test_what_a_call_past_the_time_limit_recorded_is_left_out_as_for_a_failed_call(
    notebook_factory: NotebookFactory,
    tmp_path: Path,
    project: Project,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Its client got a 504, no result: the values it recorded before were counted in
    /metrics and in the stored means (a mean of 750.25 for one answered call of 1)."""
    package = extract(notebook_factory("late.ipynb", LATE), tmp_path / "late-pkg")
    monkeypatch.syspath_prepend(str(package / "src"))
    monkeypatch.delitem(sys.modules, "late", raising=False)
    settings = ServeSettings(record_to=project.db_url, timeout_seconds=0.2)
    with TestClient(create_app("late", {"late": "late.core:late"}, settings)) as client:
        timed_out = [
            client.post("/late", json={"value": 1000.0, "seconds": 1.0}).status_code
            for _ in range(2)
        ]
        answered = client.post("/late", json={"value": 1.0})
        metrics = client.get("/metrics").text
    assert (timed_out, answered.status_code) == ([504, 504], 200)
    assert 'nbtools_serve_recorded_value_sum{name="late"} 1.0' in metrics
    assert 'nbtools_serve_recorded_value_count{name="late"} 1.0' in metrics
    with project.store.session() as session:
        job_id = session.scalars(select(Job.id).where(Job.name == "service:late")).one()
        rows = session.execute(
            select(MetricValue.name, MetricValue.value).where(MetricValue.job_id == job_id)
        ).all()
    assert {value for name, value in rows if name == "mean.late"} == {1.0}
