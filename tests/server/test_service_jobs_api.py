"""A served package's traffic job over REST: no run, no schedule (409 naming the field)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

from nbtools.project import Project
from nbtools.serve.recorder import ServiceRecorder

#: No scheduler: the jobs and runs stay as the test leaves them, no kernel starts.
pytestmark = pytest.mark.scheduler(None)


async def call(jp_fetch: Any, method: str, *path: str, body: Any = None, **params: str) -> Any:
    encoded = None if body is None else json.dumps(body)
    response = await jp_fetch("nbtools", "api", *path, method=method, params=params, body=encoded)
    return json.loads(response.body)


async def refused(jp_fetch: Any, method: str, *path: str, body: Any = None) -> dict[str, Any]:
    with pytest.raises(HTTPClientError) as info:
        await call(jp_fetch, method, *path, body=body)
    payload: dict[str, Any] = json.loads(info.value.response.body)
    payload["status"] = info.value.code
    return payload


async def test_a_service_s_job_is_409_to_run_or_schedule(jp_fetch: Any, project: Project) -> None:
    """A served package's traffic job was run and scheduled like a notebook job (202, 200),
    which mixed notebook runs into the service's series."""
    project.store.revision()  # the store exists, as nbtools serve expects
    info = {"notebook": "nb.ipynb", "notebook_sha256": None}
    recorder = ServiceRecorder(project.db_url, "service:nb", info, "h:1")
    job_id = str(recorder.job_id)
    recorder.close()
    assert (await call(jp_fetch, "GET", "jobs", job_id))["service"] is True
    body = await refused(jp_fetch, "POST", "jobs", job_id, "run", body={})
    assert (body["status"], body["error"]) == (409, "ConflictError")
    assert "records the traffic of a served package" in body["message"]
    body = await refused(jp_fetch, "PATCH", "jobs", job_id, body={"cron": "0 6 * * *"})
    assert (body["status"], body["details"]["field"]) == (409, "cron")
    edited = await call(jp_fetch, "PATCH", "jobs", job_id, body={"keep_runs": "7d"})
    assert (edited["keep_runs"], edited["cron"], edited["service"]) == ("7d", None, True)
    assert await call(jp_fetch, "GET", "runs", job_id=job_id) == []  # nothing was queued
