"""The jobs REST API on a real server, with the in-process scheduler and real kernels."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

from nbtools.jobs.submit import queue_run
from nbtools.project import Project
from tests.conftest import make_notebook
from tests.server.conftest import ONE_WORKER

pytestmark = pytest.mark.scheduler(ONE_WORKER)


async def call(jp_fetch: Any, method: str, *path: str, body: Any = None, **params: str) -> Any:
    response = await jp_fetch(
        "nbtools",
        "api",
        *path,
        method=method,
        params=params,
        body=json.dumps(body if body is not None else {}) if method in ("POST", "PATCH") else None,
    )
    return json.loads(response.body) if response.body else None


async def refused(
    jp_fetch: Any, method: str, *path: str, body: Any = None, **params: str
) -> dict[str, Any]:
    with pytest.raises(HTTPClientError) as info:
        await call(jp_fetch, method, *path, body=body, **params)
    assert info.value.code in (400, 404, 409)
    payload: dict[str, Any] = json.loads(info.value.response.body)
    payload["status"] = info.value.code
    return payload


async def finished(jp_fetch: Any, run_id: int) -> dict[str, Any]:
    for _ in range(1200):
        run: dict[str, Any] = await call(jp_fetch, "GET", "runs", str(run_id))
        if run["finished_at"] is not None:
            return run
        await asyncio.sleep(0.1)
    raise AssertionError(f"run {run_id} did not finish")


async def test_parameters_of_a_notebook(jp_fetch: Any, notebooks: Path) -> None:
    model = await call(jp_fetch, "GET", "parameters", path="forecast.ipynb")
    assert model["cell"] == 0
    assert [(p["name"], p["type"], p["default"]) for p in model["parameters"]] == [
        ("city", "str", "Lisbon"),
        ("days", "int", 7),
        ("growth", "float", 0.5),
        ("fast", "bool", True),
    ]
    assert model["parameters"][0]["help"] == "where"
    assert (await refused(jp_fetch, "GET", "parameters", path="../x.ipynb"))["status"] == 400


async def test_cron_preview_and_its_errors(jp_fetch: Any) -> None:
    model = await call(
        jp_fetch, "GET", "cron", "preview", cron="0 6 * * 1-5", timezone="Europe/Lisbon"
    )
    assert "Monday through Friday" in model["description"]
    assert len(model["next"]) == 5
    assert model["presets"]["daily"] == "0 0 * * *"
    nickname = await call(jp_fetch, "GET", "cron", "preview", cron="@weekly", timezone="UTC")
    assert (nickname["cron"], nickname["description"]) == (
        "0 0 * * 0",
        "At 12:00 AM, only on Sunday",
    )
    reboot = await refused(jp_fetch, "GET", "cron", "preview", cron="@reboot")
    assert (reboot["status"], reboot["details"]["field"]) == (400, "cron")
    bad_cron = await refused(jp_fetch, "GET", "cron", "preview", cron="0 25 * * *")
    assert bad_cron["error"] == "InvalidScheduleError"
    never = await refused(jp_fetch, "GET", "cron", "preview", cron="0 0 30 2 *")
    assert (never["status"], never["details"]["cron"]) == (400, "0 0 30 2 *")
    assert "This schedule never fires" in never["message"]
    bad_tz = await refused(jp_fetch, "GET", "cron", "preview", cron="daily", timezone="Moon/Base")
    assert "Unknown timezone" in bad_tz["message"]
    for zone in ("localtime", ""):
        refused_zone = await refused(
            jp_fetch, "GET", "cron", "preview", cron="daily", timezone=zone
        )
        assert (refused_zone["status"], refused_zone["details"]["field"]) == (400, "timezone")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"cron": "* * *"}, "needs 5"),
        ({"cron": "0 0 30 2 *"}, "This schedule never fires"),
        ({"cron": "61 * * * *"}, "minute must be 0-59, got 61"),
        ({"cron": "daily", "timezone": "Nowhere"}, "Unknown timezone"),
        ({"cron": "daily", "timezone": "localtime"}, "Unknown timezone 'localtime'"),
        ({"timezone": ""}, "The timezone is empty"),
        ({"parameters": {"dayz": 3}}, "Valid parameters: city, days, growth, fast"),
        ({"parameters": {"days": "3"}}, "expects int"),
        ({"retries": -1}, "retries must be"),
        ({"missed_policy": "sometimes"}, "missed_policy"),
        ({"notebook_path": "../../etc/passwd.ipynb"}, "contains '..'"),
    ],
)
async def test_bad_job_is_400_and_stores_nothing(
    jp_fetch: Any, notebooks: Path, fields: dict[str, Any], message: str
) -> None:
    body = {"notebook_path": "forecast.ipynb", **fields}
    error = await refused(jp_fetch, "POST", "jobs", body=body)
    assert error["status"] == 400
    assert message in error["message"]
    assert await call(jp_fetch, "GET", "jobs") == []


async def test_every_invalid_field_is_named_in_one_400(jp_fetch: Any, notebooks: Path) -> None:
    """The job form shows each under its field after one submission (the first is still
    `details.field`); tests/unit/jobs/test_fields.py has the rules."""
    body = {"notebook_path": "forecast.ipynb", "name": "12", "keep_runs": "lots"}
    error = await refused(jp_fetch, "POST", "jobs", body=body)
    assert (error["status"], error["error"], error["details"]["field"]) == (
        400,
        "InvalidInputError",
        "name",
    )
    assert [entry["field"] for entry in error["details"]["errors"]] == ["name", "keep_runs"]
    assert await call(jp_fetch, "GET", "jobs") == []


async def test_every_invalid_field_of_a_run_is_named_in_one_400(
    jp_fetch: Any, notebooks: Path
) -> None:
    """Run now (POST runs) answers as the jobs API does: each field refused in
    `details.errors`, the first still `details.field`, nothing queued."""
    body = {
        "notebook_path": "forecast.ipynb",
        "parameters": {"days": "a week"},
        "timeout_seconds": 2**40,
        "cell_timeout_seconds": 0,
        "output_html": "yes",
    }
    error = await refused(jp_fetch, "POST", "runs", body=body)
    assert (error["status"], error["details"]["field"]) == (400, "output_html")
    assert [(entry["field"], entry.get("parameter")) for entry in error["details"]["errors"]] == [
        ("output_html", None),
        ("parameters", "days"),
        ("timeout_seconds", None),
        ("cell_timeout_seconds", None),
    ]
    assert 'output_html must be true or false, got "yes".' in error["message"]
    assert "cell_timeout_seconds must be a positive whole number" in error["message"]
    assert await call(jp_fetch, "GET", "runs") == []


async def test_runs_list_pages_back_by_run_id(jp_fetch: Any, notebooks: Path) -> None:
    project = Project(notebooks)
    try:
        # Queued under a claim token: no scheduler executes them.
        ids = [queue_run(project, "forecast.ipynb", {}, claim="test").id for _ in range(5)]
        queue_run(project, "failing.ipynb", {}, claim="test")
    finally:
        project.close()

    pages = []
    before: dict[str, str] = {}
    while page := await call(jp_fetch, "GET", "runs", path="forecast.ipynb", limit="2", **before):
        pages.append([run["id"] for run in page])
        before = {"before": str(page[-1]["id"])}
    assert pages == [[ids[4], ids[3]], [ids[2], ids[1]], [ids[0]]]
    everything = await call(jp_fetch, "GET", "runs", path="forecast.ipynb")
    assert [run["id"] for run in everything] == ids[::-1]


async def test_runs_list_of_an_empty_store_and_past_the_oldest(
    jp_fetch: Any, notebooks: Path
) -> None:
    assert await call(jp_fetch, "GET", "runs", limit="1000") == []
    project = Project(notebooks)
    try:
        oldest = queue_run(project, "forecast.ipynb", {}, claim="test").id
    finally:
        project.close()
    assert await call(jp_fetch, "GET", "runs", before=str(oldest)) == []
    assert await call(jp_fetch, "GET", "runs", status="skipped") == []


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"limit": "0"}, "'limit' must be a whole number from 1 to 1000, got '0'"),
        ({"limit": "1001"}, "'limit' must be a whole number from 1 to 1000, got '1001'"),
        ({"limit": "ten"}, "'limit' must be a whole number from 1 to 1000, got 'ten'"),
        ({"before": "-3"}, "'before' must be a whole number from 1 to 2147483647, got '-3'"),
        ({"before": "²"}, "'before' must be a whole number from 1 to 2147483647, got '²'"),
        ({"status": "done"}, "Unknown status 'done'"),
    ],
)
async def test_bad_runs_page_is_400(jp_fetch: Any, params: dict[str, str], message: str) -> None:
    error = await refused(jp_fetch, "GET", "runs", **params)
    assert (error["status"], error["error"]) == (400, "InvalidInputError")
    assert message in error["message"]
    assert error["details"]["field"] in params


async def test_job_crud(jp_fetch: Any, notebooks: Path) -> None:
    job = await call(
        jp_fetch,
        "POST",
        "jobs",
        body={
            "notebook_path": "forecast.ipynb",
            "cron": "daily",
            "timezone": "Asia/Tokyo",
            "parameters": {"days": 3},
        },
    )
    assert job["name"] == "forecast"
    assert job["next_run_at"] is not None
    assert job["schedule_description"] == "At 12:00 AM"
    paused = await call(jp_fetch, "PATCH", "jobs", str(job["id"]), body={"paused": True})
    assert (paused["paused"], paused["next_run_at"]) == (True, None)
    edited = await call(
        jp_fetch,
        "PATCH",
        "jobs",
        str(job["id"]),
        body={"cron": "0 6 * * *", "parameters": {"city": "Kyoto"}},
    )
    assert edited["parameters"] == {"city": "Kyoto"}
    for zone, said in (("localtime", "Unknown timezone 'localtime'"), ("", "timezone is empty")):
        bad_zone = await refused(jp_fetch, "PATCH", "jobs", str(job["id"]), body={"timezone": zone})
        assert (bad_zone["status"], bad_zone["details"]["field"]) == (400, "timezone")
        assert said in bad_zone["message"]
    assert (await call(jp_fetch, "GET", "jobs", str(job["id"])))["timezone"] == "Asia/Tokyo"
    for name in ("", " "):  # was 200, changing nothing; null names it after its notebook
        bad_name = await refused(jp_fetch, "PATCH", "jobs", str(job["id"]), body={"name": name})
        assert (bad_name["status"], bad_name["details"]) == (400, {"field": "name"})
        assert "A job's name cannot be empty" in bad_name["message"]
    assert [j["id"] for j in await call(jp_fetch, "GET", "jobs", path="forecast.ipynb")] == [
        job["id"]
    ]
    await call(jp_fetch, "DELETE", "jobs", str(job["id"]))  # archives it
    archived = await call(jp_fetch, "GET", "jobs", str(job["id"]))
    assert archived["archived_at"] is not None
    assert (archived["paused"], archived["next_run_at"]) == (True, None)
    assert await call(jp_fetch, "GET", "jobs") == []
    listed = await call(jp_fetch, "GET", "jobs", archived="true")
    assert [j["id"] for j in listed] == [job["id"]]
    for method, path, body in (
        ("DELETE", ("jobs", str(job["id"])), None),
        ("PATCH", ("jobs", str(job["id"])), {"paused": False}),
        ("POST", ("jobs", str(job["id"]), "run"), {}),
    ):
        assert (await refused(jp_fetch, method, *path, body=body))["status"] == 409
    assert (await refused(jp_fetch, "GET", "jobs", archived="yes"))["status"] == 400
    await call(jp_fetch, "DELETE", "jobs", str(job["id"]), purge="true")
    assert (await refused(jp_fetch, "GET", "jobs", str(job["id"])))["status"] == 404
    assert (await refused(jp_fetch, "GET", "jobs", "abc"))["status"] == 400


async def test_run_now_outputs_rerun_and_failure(jp_fetch: Any, notebooks: Path) -> None:
    job = await call(
        jp_fetch,
        "POST",
        "jobs",
        body={
            "notebook_path": "forecast.ipynb",
            "parameters": {"city": "<b>Porto</b>"},
            "output_html": True,
        },
    )
    queued = await call(
        jp_fetch, "POST", "jobs", str(job["id"]), "run", body={"parameters": {"days": 4}}
    )
    assert queued["status"] == "queued"
    run = await finished(jp_fetch, queued["id"])
    assert run["status"] == "succeeded", run
    assert run["parameters"] == {"city": "<b>Porto</b>", "days": 4}

    opened = await call(jp_fetch, "POST", "runs", str(run["id"]), "open")
    contents = await jp_fetch("api", "contents", opened["path"])
    outputs = json.loads(contents.body)["content"]["cells"][-1]["outputs"]
    assert outputs[0]["text"] == "<b>Porto</b> 2.0\n"

    html = await jp_fetch("nbtools", "api", "runs", str(run["id"]), "download", "html")
    assert (
        html.headers["Content-Disposition"]
        == f'attachment; filename="forecast-run-{run["id"]}.html"; '
        f"filename*=UTF-8''forecast-run-{run['id']}.html"
    )
    assert "sandbox" in html.headers["Content-Security-Policy"]
    assert html.headers["Content-Type"].startswith("text/html")
    assert b"&lt;b&gt;Porto&lt;/b&gt;" in html.body

    again = await call(jp_fetch, "POST", "runs", str(run["id"]), "rerun")
    assert (await finished(jp_fetch, again["id"]))["parameters"] == run["parameters"]
    assert (await refused(jp_fetch, "POST", "runs", str(run["id"]), "cancel"))["status"] == 409

    failing = await call(jp_fetch, "POST", "runs", body={"notebook_path": "failing.ipynb"})
    failed = await finished(jp_fetch, failing["id"])
    assert failed["status"] == "failed"
    assert failed["error"] == {
        "name": "ZeroDivisionError",
        "message": "division by zero",
        "cell": 1,
    }
    listed = await call(jp_fetch, "GET", "runs", path="failing.ipynb")
    assert [r["id"] for r in listed] == [failing["id"]]

    # The kernel's temporary cell file (`/tmp/ipykernel_1/123.py`) is never shown.
    syntax = await call(jp_fetch, "POST", "runs", body={"notebook_path": "syntax.ipynb"})
    error = (await finished(jp_fetch, syntax["id"]))["error"]
    assert (error["name"], error["cell"]) == ("SyntaxError", 1)
    assert ".py" not in error["message"]
    assert error["message"].endswith("(line 1)"), error["message"]
    missing = await refused(jp_fetch, "GET", "runs", str(failing["id"]), "download", "html")
    assert missing["status"] == 404


async def test_cell_timeout_is_stored_on_jobs_and_runs_and_stops_a_slow_cell(
    jp_fetch: Any, notebooks: Path
) -> None:
    (notebooks / "slow.ipynb").write_text(
        json.dumps(
            make_notebook([("code", "x = 1", []), ("code", "import time; time.sleep(600)", [])])
        )
    )
    job = await call(
        jp_fetch, "POST", "jobs", body={"notebook_path": "slow.ipynb", "cell_timeout_seconds": 2}
    )
    assert job["cell_timeout_seconds"] == 2
    queued = await call(jp_fetch, "POST", "jobs", str(job["id"]), "run", body={})
    assert queued["cell_timeout_seconds"] == 2
    run = await finished(jp_fetch, queued["id"])
    assert run["status"] == "timed_out"
    assert run["error"] == {
        "name": "CellTimeoutError",
        "message": "A cell ran longer than the run's cell timeout of 2 s; its kernel was stopped.",
        "cell": 1,
    }
    for body in ({"cell_timeout_seconds": 0}, {"cell_timeout_seconds": "5"}):
        error = await refused(
            jp_fetch, "POST", "runs", body={"notebook_path": "slow.ipynb", **body}
        )
        assert (error["status"], error["details"]["field"]) == (400, "cell_timeout_seconds")
        error = await refused(
            jp_fetch, "POST", "jobs", body={"notebook_path": "slow.ipynb", **body}
        )
        assert (error["status"], error["details"]["field"]) == (400, "cell_timeout_seconds")


async def test_idempotent_submission_of_jobs_and_runs(jp_fetch: Any, notebooks: Path) -> None:
    async def post(path: str, body: dict[str, Any], **headers: str) -> Any:
        return await jp_fetch(
            "nbtools", "api", *path.split("/"), method="POST", body=json.dumps(body),
            headers=headers,
        )  # fmt: skip

    job_body = {"notebook_path": "forecast.ipynb"}
    created = await post("jobs", job_body, **{"Idempotency-Key": "job-7"})
    job = json.loads(created.body)
    assert (created.code, job["idempotency_key"]) == (201, "job-7")
    with pytest.raises(HTTPClientError) as again:
        await post("jobs", {**job_body, "idempotency_key": "job-7"})
    assert again.value.code == 409
    conflict = json.loads(again.value.response.body)
    assert conflict["error"] == "ConflictError"
    assert conflict["details"] == {"idempotency_key": "job-7", "job_id": job["id"]}
    assert len(await call(jp_fetch, "GET", "jobs")) == 1

    run_body = {"notebook_path": "forecast.ipynb", "idempotency_key": "run-7"}
    run = json.loads((await post("runs", run_body)).body)
    with pytest.raises(HTTPClientError) as twice:
        await post("runs", run_body)
    assert json.loads(twice.value.response.body)["details"]["run_id"] == run["id"]
    job_run = json.loads(
        (await post(f"jobs/{job['id']}/run", {}, **{"Idempotency-Key": "r8"})).body
    )
    with pytest.raises(HTTPClientError) as thrice:
        await post(f"jobs/{job['id']}/run", {}, **{"Idempotency-Key": "r8"})
    assert json.loads(thrice.value.response.body)["details"]["run_id"] == job_run["id"]

    with pytest.raises(HTTPClientError) as mismatch:
        await post("runs", {**run_body, "idempotency_key": "b"}, **{"Idempotency-Key": "c"})
    assert mismatch.value.code == 400
    assert json.loads(mismatch.value.response.body)["details"]["field"] == "idempotency_key"


async def test_a_missing_notebook_is_refused_at_once(jp_fetch: Any, notebooks: Path) -> None:
    for path, body in (
        ("jobs", {"notebook_path": "gone.ipynb", "cron": "daily"}),
        ("runs", {"notebook_path": "gone.ipynb"}),
    ):
        error = await refused(jp_fetch, "POST", path, body=body)
        assert (error["status"], error["error"]) == (404, "NotFoundError")
        assert "gone.ipynb" in error["message"]
        assert str(notebooks) not in error["message"]  # no server path in the reply
    assert await call(jp_fetch, "GET", "jobs") == []
    assert await call(jp_fetch, "GET", "runs") == []


async def test_a_kernel_not_installed_is_refused_unless_the_check_is_off(
    jp_fetch: Any, notebooks: Path
) -> None:
    """As `schedule add --kernel` and `--no-kernel-check` (docs/jobs.md, "Kernels")."""
    job_body = {"notebook_path": "forecast.ipynb", "kernel_name": "nosuch"}
    for method, path, body in (
        ("POST", ("jobs",), job_body),
        ("POST", ("runs",), job_body),
    ):
        error = await refused(jp_fetch, method, *path, body=body)
        assert (error["status"], error["error"]) == (404, "NotFoundError"), error
        assert error["details"]["field"] == "kernel_name"
        assert "python3" in error["details"]["kernels"]
        assert error["message"].endswith("turn the kernel check off.")
    assert await call(jp_fetch, "GET", "jobs") == []
    assert await call(jp_fetch, "GET", "runs") == []
    job = await call(jp_fetch, "POST", "jobs", body={**job_body, "kernel_check": False})
    assert job["kernel_name"] == "nosuch"
    patched = await refused(jp_fetch, "PATCH", "jobs", str(job["id"]), body={"kernel_name": "x"})
    assert (patched["status"], patched["details"]["field"]) == (404, "kernel_name")
    changed = await call(
        jp_fetch, "PATCH", "jobs", str(job["id"]), body={"kernel_name": "x", "kernel_check": False}
    )
    assert changed["kernel_name"] == "x"
    wrong = await refused(jp_fetch, "POST", "jobs", body={**job_body, "kernel_check": "no"})
    assert (wrong["status"], wrong["details"]["field"]) == (400, "kernel_check")
