"""Real replies of a real server (real store, no kernels) validate against the document."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from nbtools import versioning
from nbtools.project import Project
from tests.conftest import make_notebook
from tests.server.openapi_spec import reply_validator
from tests.unit.metrics.conftest import store_metrics

#: No scheduler: queued runs stay queued, so run models are checked without kernels.
pytestmark = pytest.mark.scheduler(None)


@pytest.fixture
def api(jp_fetch: Any, jp_root_dir: Path) -> Any:
    """``await api(method, template, status, body=, **params)``: call ``template`` (its
    ``{name}`` parts filled from ``params``, the rest sent as query arguments), check the
    status, validate the JSON reply against the document and return it."""
    notebook = make_notebook(
        [
            ("code", "days = 7\ncity = 'Lisbon'", ["parameters"]),
            ("code", "def grow(x):\n    return x * days", ["export"]),
        ]
    )
    (jp_root_dir / "forecast.ipynb").write_text(json.dumps(notebook))

    async def call(
        method: str, template: str, status: int, /, body: Any = None, **params: Any
    ) -> Any:
        path = template.format(**params)
        query = {k: str(v) for k, v in params.items() if "{" + k + "}" not in template}
        data = json.dumps(body if body is not None else {}) if method in ("POST", "PATCH") else None
        response = await jp_fetch(
            "nbtools",
            "api",
            *path.strip("/").split("/"),
            method=method,
            params=query,
            body=data,
            raise_error=False,
        )
        assert response.code == status, (method, path, response.body)
        if not response.body:
            return None
        reply = json.loads(response.body)
        reply_validator(template, method, status).validate(reply)
        return reply

    return call


async def test_status_notebook_and_schedule_inputs(api: Any) -> None:
    await api("GET", "/status", 200)
    await api("GET", "/notebook", 200, path="forecast.ipynb")
    await api("GET", "/parameters", 200, path="forecast.ipynb")
    await api("GET", "/cron/preview", 200, cron="weekdays", timezone="Europe/Lisbon")
    await api("GET", "/notebook", 400)  # a missing argument: the server's own HTTPError
    await api("GET", "/notebook", 404, path="missing.ipynb")


async def test_extract_preview(api: Any) -> None:
    report = await api("POST", "/extract", 200, body={"path": "forecast.ipynb"})
    assert (report["mode"], report["written"]) == ("preview", False)


async def test_jobs_and_runs(api: Any) -> None:
    job = await api("POST", "/jobs", 201, body={"notebook_path": "forecast.ipynb", "cron": "daily"})
    assert job["next_run_at"] is not None
    assert [j["id"] for j in await api("GET", "/jobs", 200)] == [job["id"]]
    await api("GET", "/jobs", 200, path="forecast.ipynb")
    await api("PATCH", "/jobs/{job_id}", 200, body={"paused": True}, job_id=job["id"])
    await api("POST", "/jobs", 400, body={"notebook_path": "forecast.ipynb", "colour": 1})
    await api("GET", "/jobs/{job_id}", 404, job_id=999)
    run = await api(
        "POST", "/jobs/{job_id}/run", 202, body={"parameters": {"days": 3}}, job_id=job["id"]
    )
    await api("POST", "/runs", 202, body={"notebook_path": "forecast.ipynb"})
    assert len(await api("GET", "/runs", 200, job_id=job["id"], status="queued")) == 1
    await api("GET", "/runs/{run_id}", 200, run_id=run["id"])
    assert (await api("POST", "/runs/{run_id}/cancel", 200, run_id=run["id"]))[
        "status"
    ] == "cancelled"
    await api("POST", "/runs/{run_id}/open", 404, run_id=run["id"])
    await api("GET", "/runs/{run_id}/download/{kind}", 404, run_id=run["id"], kind="html")
    assert await api("GET", "/runs/{run_id}/artifacts", 200, run_id=run["id"]) == []
    await api("GET", "/runs/{run_id}/artifacts", 404, run_id=999)
    await api("GET", "/runs/{run_id}/artifacts/{name}", 404, run_id=run["id"], name="model")
    await api("GET", "/runs/{run_id}/artifacts/{name}", 400, run_id=run["id"], name="..")
    await api("POST", "/runs/{run_id}/reproduce", 409, run_id=run["id"])
    await api("POST", "/runs/{run_id}/rerun", 202, run_id=run["id"])
    [row] = (await api("GET", "/jobs/overview", 200, status="queued"))["jobs"]
    assert (row["id"], row["last_run"]["status"]) == (job["id"], "queued")  # the rerun
    assert [r["status"] for r in row["recent_runs"]] == ["cancelled"]
    await api("DELETE", "/jobs/{job_id}", 204, job_id=job["id"])


async def test_versions(api: Any, jp_root_dir: Path) -> None:
    version = await api("POST", "/versions", 201, body={"path": "forecast.ipynb", "message": "v1"})
    await api("POST", "/versions", 200, body={"path": "forecast.ipynb"})
    run = await api("POST", "/runs", 202, body={"notebook_path": "forecast.ipynb"})
    project = Project(jp_root_dir)
    try:  # what a run records when it starts (no scheduler here runs it)
        versioning.pin(project, version["id"], "run", str(run["id"]))
        versioning.pin(project, version["id"], "extraction", "packages/forecast")
    finally:
        project.close()
    history = await api("GET", "/versions", 200, path="forecast.ipynb")
    assert [(v["id"], v["references"]) for v in history["versions"]] == [
        (
            version["id"],
            [
                {"kind": "extraction", "ref": "packages/forecast"},
                {"kind": "run", "ref": str(run["id"])},
            ],
        )
    ]
    shown = await api("GET", "/versions/{version_id}", 200, version_id=version["id"])
    assert shown["references"] == history["versions"][0]["references"]
    await api("GET", "/versions/{version_id}/notebook", 200, version_id=version["id"])
    await api("GET", "/versions/diff", 200, path="forecast.ipynb")
    await api("POST", "/versions/gc", 200, body={"dry_run": True})
    await api(
        "POST",
        "/versions/{version_id}/restore",
        200,
        body={"as_path": "copy.ipynb"},
        version_id=version["id"],
    )


async def test_environment_snapshots(api: Any) -> None:
    await api("GET", "/env/kernels", 200)
    body = {"content": "requests==2.31.0\nidna==3.6\n", "name": "requirements.txt"}
    snapshot = await api("POST", "/env/import", 201, body=body)
    listed = await api("GET", "/env/snapshots", 200)
    assert [s["id"] for s in listed] == [snapshot["id"]]
    await api("GET", "/env/snapshots/{snapshot_id}", 200, snapshot_id=snapshot["short_id"])
    await api("GET", "/env/snapshots/{snapshot_id}/export", 200, snapshot_id=snapshot["id"])
    await api("GET", "/env/diff", 200, old=snapshot["id"], new=snapshot["id"])
    none_yet = await api("GET", "/env/last-run", 200, path="forecast.ipynb")
    assert none_yet == {"run": None, "snapshot": None}


async def test_rules_alerts_and_notifications(api: Any, jp_root_dir: Path) -> None:
    job = await api("POST", "/jobs", 201, body={"notebook_path": "forecast.ipynb"})
    project = Project(jp_root_dir)
    store_metrics(project, job["id"], 1000, rmse=0.5)  # a finished run the new rule looks at
    project.close()
    rule = await api(
        "POST", "/jobs/{job_id}/rules", 201, body={"text": "rmse > 0.3"}, job_id=job["id"]
    )
    assert (rule["latest_run"]["run_id"], rule["latest_run"]["result"]) == (1000, "fires")
    await api("POST", "/jobs/{job_id}/rules", 409, body={"text": "rmse > 0.3"}, job_id=job["id"])
    await api("GET", "/jobs/{job_id}/rules", 200, job_id=job["id"])
    await api("GET", "/alerts", 200, job=job["id"])
    await api("GET", "/alerts/counts", 200)
    body = {"channel": "webhook", "destination": "https://example.org/hook", "events": ["failure"]}
    target = await api("POST", "/jobs/{job_id}/notifications", 201, body=body, job_id=job["id"])
    await api("GET", "/jobs/{job_id}/notifications", 200, job_id=job["id"])
    await api("GET", "/notifications", 200, status="failed")
    await api("GET", "/jobs/{job_id}/metrics", 200, job_id=job["id"])
    await api("DELETE", "/notification-targets/{target_id}", 200, target_id=target["id"])
    await api("DELETE", "/rules/{rule_id}", 200, rule_id=rule["id"])
