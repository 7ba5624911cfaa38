"""Notebook to production, end to end: the example training job keeps a model, the extracted
package serves it, and its traffic alerts through the job's rules."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from nbtools.export.api import ExtractRequest, run_extract
from nbtools.jobs.definitions import create_job
from nbtools.jobs.executors.base import RunRequest
from nbtools.jobs.runner import execute_run
from nbtools.jobs.submit import queue_run
from nbtools.jobs.tables import Job, Run
from nbtools.kernels import KernelSource
from nbtools.lineage.extraction import record_lineage
from nbtools.metrics.alerts import add_rule
from nbtools.metrics.tables import Alert, MetricValue
from nbtools.project import Project
from tests.integration.serve.conftest import RunningService

pytestmark = pytest.mark.slow

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "train_churn.ipynb"
CUSTOMER = {"tenure_months": 3, "monthly_charges": 110.0, "support_calls": 6}


def test_train_extract_serve_and_alert(
    project: Project, serve: Callable[..., RunningService]
) -> None:
    notebook = project.root / "train_churn.ipynb"
    shutil.copy(EXAMPLE, notebook)
    job = create_job(project, {"name": "train-churn", "notebook_path": notebook.name})
    trained = queue_run(project, notebook.name, {}, job=job)
    kernels = KernelSource(prestart=False)
    try:
        execute_run(project, RunRequest.for_project(project, trained.id), kernels)
    finally:
        kernels.close()
    with project.store.session() as session:
        assert session.get(Run, trained.id).status == "succeeded"  # type: ignore[union-attr]

    out = project.root / "churn-pkg"
    run_extract(
        ExtractRequest(
            notebook,
            out,
            mode="write",
            lineage=lambda nb, out: record_lineage(project, [(notebook, nb)], out),
        )
    )
    service = serve(out, "--record-to", project.db_url, env={"NBTOOLS_ROOT": str(project.root)})
    assert service.process.poll() is None, service.stop()
    with project.store.session(write=True) as session:
        service_job = session.scalars(select(Job).where(Job.name == "service:train_churn")).one()
        rule = add_rule(session, service_job.id, "requests >= 1")
        service_job_id, rule_id = service_job.id, rule.id

    with service.client() as client:
        answer = client.post("/predict", json=CUSTOMER)
        info = client.get("/info").json()
        metrics = client.get("/metrics").text
    assert answer.status_code == 200, answer.text
    assert 0.0 <= answer.json()["churn_risk"] <= 1.0
    [artifact] = info["artifacts"]
    assert (artifact["name"], artifact["run_id"], artifact["job"]) == (
        "model.json",
        trained.id,
        "train-churn",
    )
    assert set(artifact["metrics"]) >= {"accuracy", "rmse"}
    with project.store.session() as session:
        run = session.get(Run, trained.id)
        assert run is not None
        assert run.env_snapshot_id is not None
        ran_in, executed = run.env_snapshot_id, run.notebook_version_id
    # the model's environment is named as its notebook version is (it named neither)
    short = ran_in[:12]
    assert (artifact["env_snapshot_id"], artifact["notebook_version_id"]) == (ran_in, executed)
    assert artifact["environment"]["short_id"] == short
    assert artifact["environment"]["command"] == f"nbtools env show {short}"
    assert artifact["environment"]["python_version"]
    assert artifact["notebook_version"]["path"] == "train_churn.ipynb"
    assert artifact["lineage"].endswith(f"environment {short}")
    assert info["notebook"] == "train_churn.ipynb"
    assert info["notebook_path"] == "train_churn.ipynb"  # in the project: the lineage says
    assert info["notebook_version_id"] is not None
    assert info["environment_id"] is not None
    assert 'nbtools_serve_requests_total{endpoint="/predict",status="200"} 1.0' in metrics

    service.stop()
    with project.store.session() as session:
        values = session.scalars(
            select(MetricValue).where(MetricValue.job_id == service_job_id)
        ).all()
        alerts = session.scalars(select(Alert).where(Alert.rule_id == rule_id)).all()
    assert {(v.name, v.value) for v in values} >= {("requests", 1), ("errors", 0)}
    assert len(alerts) == 1
