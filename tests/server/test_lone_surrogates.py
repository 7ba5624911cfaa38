"""Text UTF-8 cannot hold: a lone surrogate, which JSON can write (``"\\ud800"``), in a request
body, the URL or a notebook. Each is a 400 naming where it stands and changes nothing; a body
answered 500 on ten routes (the store or a path refused the text), and a parameter was
accepted and then failed every run."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import pytest

from nbtools import envsnap
from nbtools.project import Project
from tests.conftest import make_notebook
from tests.server.test_bad_input import BODY_ROUTES, TAKEN, send, send_raw, url

#: A notebook with a text parameter, and one whose second cell holds a lone surrogate.
PARAMETERS = make_notebook([("code", "s = 'a'", ["parameters"]), ("code", "print(s)", [])])
DAMAGED = make_notebook([("code", "s = 'a'", ["parameters"]), ("code", "x = '\ud800'", [])])


#: No scheduler: the jobs and runs stay as the test leaves them, no kernel starts.
pytestmark = pytest.mark.scheduler(None)


@pytest.fixture(autouse=True)
def notebooks(jp_root_dir: Path) -> None:
    """``nb.ipynb`` (a parameter ``s``) and ``bad.ipynb`` (a lone surrogate in its cell 2)."""
    (jp_root_dir / "nb.ipynb").write_text(json.dumps(PARAMETERS))
    (jp_root_dir / "bad.ipynb").write_text(json.dumps(DAMAGED))  # "\ud800", as JSON escapes it


async def created(jp_fetch: Any) -> int:
    """A job of ``nb.ipynb`` and a version of it: what a refusal could change."""
    body = json.dumps({"notebook_path": "nb.ipynb"}).encode()
    status, payload = await send(jp_fetch, "POST", "nbtools/api/jobs", body)
    assert status == 201, payload
    await send(jp_fetch, "POST", "nbtools/api/versions", b'{"path": "nb.ipynb"}')
    job_id: int = payload["id"]
    return job_id


async def state(jp_fetch: Any, job_id: int) -> list[Any]:
    """What a refused request must leave as it was: jobs, runs, versions, the audit trail."""
    return [
        await send(jp_fetch, "GET", "nbtools/api/jobs"),
        await send(jp_fetch, "GET", f"nbtools/api/jobs/{job_id}"),
        await send(jp_fetch, "GET", "nbtools/api/runs"),
        await send(jp_fetch, "GET", "nbtools/api/versions", path="nb.ipynb"),
        await send(jp_fetch, "GET", "nbtools/api/audit"),
    ]


async def test_a_lone_surrogate_in_any_field_of_any_body_is_400_naming_it(jp_fetch: Any) -> None:
    job_id = await created(jp_fetch)
    before = await state(jp_fetch, job_id)
    for pattern, method in BODY_ROUTES:
        taken = TAKEN[pattern, method]
        if taken is None:
            continue  # a body passed on to a service: the service reads it (below)
        path = url(pattern, {"job_id": str(job_id)})
        for field in sorted(taken):
            body = json.dumps({field: "a\ud800"}).encode()  # '"a\\ud800"'
            status, payload = await send(jp_fetch, method, path, body)
            assert (status, payload["error"]) == (400, "InvalidInputError"), (path, payload)
            assert payload["details"] == {"field": field}, (path, payload)
            assert payload["message"] == (
                f"'{field}' holds the lone surrogate \\ud800, half of a UTF-16 pair that JSON "
                "can write as an escape but that is no character: text is kept as UTF-8, which "
                "cannot hold it. Send the text without it."
            )
    assert await state(jp_fetch, job_id) == before


#: (method, target, a body the route takes but for the surrogate, the field named): each answered
#: 500, or (parameters) was accepted and then failed every run.
REPORTED = [
    ("POST", "versions", {"path": "nb.ipynb", "message": "m\ud800"}, "message"),
    ("POST", "versions", {"path": "nb\ud800.ipynb"}, "path"),
    ("POST", "versions/{version}/restore", {"as_path": "c\ud800.ipynb"}, "as_path"),
    ("POST", "env/import", {"content": "requests==2.31.0\n", "name": "r\ud800"}, "name"),
    ("POST", "env/recreate", {"snapshot": "{snapshot}", "path": "v\ud800"}, "path"),
    ("POST", "extract", {"path": "nb\ud800.ipynb", "dry_run": True}, "path"),
    ("POST", "extract", {"path": "nb.ipynb", "output": "o\ud800", "dry_run": True}, "output"),
    ("POST", "jobs", {"notebook_path": "nb.ipynb", "name": "\ud800"}, "name"),
    ("POST", "jobs", {"notebook_path": "nb\ud800.ipynb"}, "notebook_path"),
    ("PATCH", "jobs/{job}", {"name": "n\ud800"}, "name"),
    ("POST", "runs", {"notebook_path": "a\ud800.ipynb"}, "notebook_path"),
    ("POST", "services", {"package_dir": "p\ud800"}, "package_dir"),
    ("POST", "runs", {"notebook_path": "nb.ipynb", "parameters": {"s": "\ud800"}}, "parameters.s"),
    ("POST", "jobs", {"notebook_path": "nb.ipynb", "parameters": {"s": "\udc80"}}, "parameters.s"),
    ("POST", "jobs/{job}/run", {"parameters": {"s": "a\ud800"}}, "parameters.s"),
    ("PATCH", "jobs/{job}", {"parameters": {"s": ["\ud800"]}}, "parameters.s.0"),
    ("POST", "runs", {"notebook_path": "nb.ipynb", "parameters": {"\ud800": 1}}, "parameters.\\ud800"),
    ("POST", "jobs/{job}/notifications", {"channel": "webhook", "events": ["\ud800"]}, "events.0"),
    ("POST", "runs", {"notebook_path": "nb.ipynb", "\ud800": 1}, "\\ud800"),
]  # fmt: skip


@pytest.mark.parametrize(("method", "target", "body", "field"), REPORTED)
async def test_the_reported_bodies_are_400_naming_the_place_and_change_nothing(
    jp_fetch: Any,
    jp_serverapp: Any,
    method: str,
    target: str,
    body: dict[str, Any],
    field: str,
) -> None:
    job_id = await created(jp_fetch)
    project: Project = jp_serverapp.web_app.settings["nbtools_project"]
    snapshot = envsnap.import_text(project, "requests==2.31.0\n", "requirements.txt")[0].id
    _, versions = await send(jp_fetch, "GET", "nbtools/api/versions", path="nb.ipynb")
    where = target.format(job=job_id, version=versions["versions"][0]["id"])
    data = json.dumps(body).replace("{snapshot}", snapshot).encode()
    before = await state(jp_fetch, job_id)
    status, payload = await send(jp_fetch, method, "nbtools/api/" + where, data)
    assert (status, payload["details"].get("field")) == (400, field), payload
    assert "holds the lone surrogate \\ud" in payload["message"]
    if field.startswith("parameters."):  # where JupyterLab's job form shows it
        assert payload["details"]["parameter"] == field.split(".")[1]
    assert await state(jp_fetch, job_id) == before


@pytest.mark.parametrize(
    ("body", "refused"),
    [
        (b'{"path": "nb.ipynb", "message": "m\xed\xa0\x80"}', True),  # UTF-8's bytes of one
        ('{"path": "nb.ipynb", "message": "m\ud800"}'.encode("utf-16-le", "surrogatepass"), True),
        ('{"path": "nb.ipynb", "message": "\\ud83d\\ude00 \U0001f600"}'.encode(), False),  # pairs
        (b'{"path": "nb.ipynb", "message": "C:\\\\ud800"}', False),  # a backslash, then "ud800"
    ],
)
async def test_a_lone_surrogate_is_found_however_the_body_writes_it(
    jp_fetch: Any, body: bytes, refused: bool
) -> None:
    status, payload = await send(jp_fetch, "POST", "nbtools/api/versions", body)
    if refused:
        assert (status, payload["details"]) == (400, {"field": "message"})
    else:
        assert status == 201, payload
        assert payload["message"] == json.loads(body)["message"]


async def test_a_body_passed_on_to_a_service_is_the_services_to_read(jp_fetch: Any) -> None:
    """A served function takes such text (docs/serving.md): the body reaches the preview."""
    body = json.dumps({"text": "\ud800"}).encode()
    status, payload = await send(
        jp_fetch, "POST", "nbtools/api/services/0123456789ab/call/run", body
    )
    assert (status, payload["error"]) == (404, "NotFoundError"), payload


async def test_a_surrogate_in_the_url_is_400_naming_the_argument(
    http_server_client: Any, jp_auth_header: dict[str, str], jp_base_url: str
) -> None:
    """UTF-8's bytes of a surrogate (%ED%A0%80) are no UTF-8: refused as such."""
    sent = functools.partial(send_raw, http_server_client, jp_auth_header, jp_base_url.rstrip("/"))
    for target, field in [
        ("/nbtools/api/parameters?path=a%ED%A0%80.ipynb", "path"),
        ("/nbtools/api/audit?actor=%ED%A0%80", "actor"),
        ("/nbtools/api/runs/%ED%A0%80", "run_id"),
        ("/nbtools/api/datasets/a%ED%A0%80", "name"),
    ]:
        status, payload = await sent("GET", target)
        assert (status, payload["details"]) == (400, {"field": field}), target
        assert "is not UTF-8 text" in payload["message"]


@pytest.mark.parametrize(
    ("method", "target", "body", "params", "field"),
    [
        ("POST", "extract", {"path": "bad.ipynb", "dry_run": True}, {}, "path"),
        ("GET", "parameters", None, {"path": "bad.ipynb"}, "path"),
        ("GET", "notebook", None, {"path": "bad.ipynb"}, "path"),
        ("POST", "runs", {"notebook_path": "bad.ipynb"}, {}, "notebook_path"),
        ("POST", "jobs", {"notebook_path": "bad.ipynb"}, {}, "notebook_path"),
    ],
)
async def test_a_notebook_holding_a_lone_surrogate_is_400_naming_the_cell(
    jp_fetch: Any,
    method: str,
    target: str,
    body: dict[str, Any] | None,
    params: dict[str, str],
    field: str,
) -> None:
    """Extraction, the parameters' form and a run answered 500 (UnicodeEncodeError)."""
    job_id = await created(jp_fetch)
    before = await state(jp_fetch, job_id)
    data = json.dumps(body).encode() if body is not None else None
    status, payload = await send(jp_fetch, method, "nbtools/api/" + target, data, **params)
    assert (status, payload["error"], payload["details"]["field"]) == (400, "NotebookError", field)
    assert payload["details"]["cell"] == 1
    assert payload["message"].startswith(
        "bad.ipynb: cell 2, line 1 holds the lone surrogate \\ud800, half of a UTF-16 pair"
    )
    assert await state(jp_fetch, job_id) == before


async def test_a_notebook_sent_holding_one_is_400_naming_its_place(jp_fetch: Any) -> None:
    body = {"path": "nb.ipynb", "dry_run": True, "content": DAMAGED}
    status, payload = await send(jp_fetch, "POST", "nbtools/api/extract", json.dumps(body).encode())
    assert (status, payload["details"]) == (400, {"field": "content.cells.1.source"})


async def test_versioning_keeps_a_notebook_holding_one(jp_fetch: Any) -> None:
    status, payload = await send(
        jp_fetch, "POST", "nbtools/api/versions", b'{"path": "bad.ipynb", "message": "as it is"}'
    )
    assert (status, payload["number"], payload["message"]) == (201, 1, "as it is")
