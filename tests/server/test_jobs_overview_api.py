"""``GET /jobs/overview``, the jobs dashboard's page, on a real server and store: replies as
documented, bad query arguments answered 400 naming the argument, empty and paging edges."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

from nbtools import jobs
from nbtools.project import Project
from tests.server.openapi_spec import reply_validator

#: No scheduler: the jobs stay as created, no kernels start.
pytestmark = pytest.mark.scheduler(None)


async def overview(jp_fetch: Any, **params: str) -> dict[str, Any]:
    response = await jp_fetch("nbtools", "api", "jobs", "overview", params=params)
    reply: dict[str, Any] = json.loads(response.body)
    reply_validator("/jobs/overview", "get", 200).validate(reply)
    return reply


async def test_no_jobs_is_an_empty_page(jp_fetch: Any, project: Project) -> None:
    assert await overview(jp_fetch) == {"total": 0, "offset": 0, "limit": 25, "jobs": []}


async def test_pages_filters_and_sorts(jp_fetch: Any, project: Project) -> None:
    for name in ("alpha", "beta", "gamma"):
        jobs.create_job(project, {"name": name, "notebook_path": "nb.ipynb", "cron": "0 6 * * *"})
    jobs.pause_job(project, 2, True)

    first = await overview(jp_fetch, limit="2", sort="name", order="desc")
    assert [job["name"] for job in first["jobs"]] == ["gamma", "beta"]
    assert first["jobs"][0]["schedule_description"]
    assert (first["jobs"][0]["open_alerts"], first["jobs"][0]["last_run"]) == (0, None)
    last = await overview(jp_fetch, limit="2", offset="2", sort="name", order="desc")
    assert ([job["name"] for job in last["jobs"]], last["total"]) == (["alpha"], 3)
    beyond = await overview(jp_fetch, offset="3")
    assert (beyond["jobs"], beyond["total"]) == ([], 3)

    paused = await overview(jp_fetch, status="paused")
    assert [job["name"] for job in paused["jobs"]] == ["beta"]
    found = await overview(jp_fetch, q="GAM")
    assert [job["name"] for job in found["jobs"]] == ["gamma"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "done"}, "status"),
        ({"sort": "parameters"}, "sort"),
        ({"order": "up"}, "order"),
        ({"offset": "-1"}, "offset"),
        ({"offset": "two"}, "offset"),
        ({"limit": "0"}, "limit"),
        ({"limit": "201"}, "limit"),
        ({"q": "\0"}, "q"),  # read as a space by tornado: no words, every job
        ({"q": "gam\x1b"}, "q"),
    ],
)
async def test_a_bad_argument_is_400_naming_it(
    jp_fetch: Any, project: Project, params: dict[str, str], field: str
) -> None:
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("nbtools", "api", "jobs", "overview", params=params)
    assert info.value.code == 400
    assert info.value.response is not None
    payload = json.loads(info.value.response.body)
    assert (payload["error"], payload["details"]["field"]) == ("InvalidInputError", field)
    reply_validator("/jobs/overview", "get", 400).validate(payload)


async def test_jobs_list_pages_by_id_and_is_whole_without_paging(
    jp_fetch: Any, project: Project
) -> None:
    for name in ("alpha", "beta", "gamma"):
        jobs.create_job(project, {"name": name, "notebook_path": "nb.ipynb", "cron": "0 6 * * *"})

    async def listed(**params: str) -> list[str]:
        response = await jp_fetch("nbtools", "api", "jobs", params=params)
        reply: list[dict[str, Any]] = json.loads(response.body)
        reply_validator("/jobs", "get", 200).validate(reply)
        return [job["name"] for job in reply]

    assert await listed() == ["alpha", "beta", "gamma"]
    assert await listed(limit="2") == ["alpha", "beta"]
    assert await listed(offset="1", limit="1") == ["beta"]
    assert await listed(offset="2") == ["gamma"]
    assert await listed(offset="5") == []
    for name, value in (("limit", "0"), ("limit", "1001"), ("offset", "-1")):
        with pytest.raises(HTTPClientError) as info:
            await jp_fetch("nbtools", "api", "jobs", params={name: value})
        assert info.value.code == 400
        assert info.value.response is not None
        assert json.loads(info.value.response.body)["details"]["field"] == name
