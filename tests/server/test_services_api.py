"""Service previews through a real server: a real extracted package served by a real
``nbtools serve`` process, called through the proxy, stopped without leaving a process."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from jupyter_server.auth import IdentityProvider, User
from jupyter_server.auth.authorizer import Authorizer
from sqlalchemy import select

from jupyter_nbtools.previews import ServicePreviews
from nbtools import audit
from nbtools.errors import ConflictError
from nbtools.export.api import ExtractRequest, run_extract
from nbtools.export.model import MANIFEST
from nbtools.jobs.tables import Job
from nbtools.metrics.tables import MetricValue
from nbtools.project import Project
from tests.conftest import make_notebook, nbtools, plant
from tests.server.conftest import server_config
from tests.server.openapi_spec import reply_validator

SCORER = [
    ("code", "WEIGHT = 2.0\nprint('model loaded')", ["export"]),
    (
        "code",
        "#| serve\ndef predict(x: float, label: str = 'a') -> dict[str, float]:\n"
        "    return {'score': x * WEIGHT}",
        [],
    ),
]
BROKEN = [
    ("code", "WEIGHT = 1.0\nraise RuntimeError('model file missing: SEE-LOG')", ["export"]),
    SCORER[1],
]
UNSERVED = [("code", "def predict(x: float) -> float:\n    return x", ["export"])]
#: Serves where the service finds its project, as ``nbtools.artifacts.load`` finds it.
WHERE = [
    (
        "code",
        "#| serve\ndef where(x: float) -> dict[str, str]:\n"
        "    from nbtools.project import project_from_environment\n\n"
        "    project = project_from_environment()\n"
        "    return {'root': str(project.root), 'store_dir': str(project.store_dir), "
        "'db_url': project.db_url}",
        [],
    )
]


def write_package(root: Path, name: str, cells: list[tuple[str, str, list[str]]]) -> str:
    notebook = root / f"{name}.ipynb"
    notebook.write_text(json.dumps(make_notebook(cells)))
    run_extract(ExtractRequest(notebook, root / f"{name}-pkg", mode="write"))
    return f"{name}-pkg"


def group_members(pgid: int) -> list[int]:
    """Processes whose process group is ``pgid``, from /proc."""
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # pid (comm) state ppid pgrp ...: comm may hold spaces, so split after ')'
            if int(stat.rsplit(")", 1)[1].split()[2]) == pgid:
                members.append(int(entry.name))
    return members


class Users(IdentityProvider):
    """alice and bob, told apart by a header."""

    def get_user(self, handler: Any) -> User | None:
        name = handler.request.headers.get("X-Test-User", "alice")
        return User(username=name) if name in ("alice", "bob") else None


class BobReadsOnly(Authorizer):
    def is_authorized(self, handler: Any, user: Any, action: str, resource: str) -> bool:
        return resource != "nbtools" or user.username == "alice" or action == "read"


@pytest.fixture
def jp_server_config() -> dict[str, Any]:
    return server_config(identity=Users, authorizer=BobReadsOnly)


@pytest.fixture
def api(jp_fetch: Any) -> Any:
    """``await api(method, template, status, body=, user=, **params)``: the reply, validated
    against the OpenAPI document."""

    async def call(
        method: str,
        template: str,
        status: int,
        /,
        body: Any = None,
        user: str = "alice",
        headers: dict[str, str] | None = None,
        **ids: str,
    ) -> Any:
        path = template.format(**ids)
        response = await jp_fetch(
            "nbtools",
            "api",
            *path.strip("/").split("/"),
            method=method,
            headers={"X-Test-User": user, **(headers or {})},
            body=json.dumps(body if body is not None else {}) if method == "POST" else None,
            raise_error=False,
        )
        assert response.code == status, (method, path, response.body)
        reply = json.loads(response.body) if response.body else None
        if reply is not None:
            reply_validator(template, method, status).validate(reply)
        return reply

    return call


async def settled(api: Any, preview_id: str) -> dict[str, Any]:
    """The preview once it is no longer starting (ready or exited)."""
    for _ in range(600):
        preview: dict[str, Any] = await api(
            "GET", "/services/{preview_id}", 200, preview_id=preview_id
        )
        if preview["state"] != "starting":
            return preview
        await asyncio.sleep(0.2)
    raise AssertionError(f"preview {preview_id} still starting")


async def test_start_call_and_stop_a_preview(
    api: Any, jp_root_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """... audited as ``service.start``, ``service.call`` (never what was sent) and
    ``service.stop`` by who did each; ``nbtools serve`` runs in the root but imports none of
    its modules (as from a shell)."""
    # the server's own API key setting is not the preview's: it has none
    monkeypatch.setenv("NBTOOLS_SERVE_API_KEY_ENV", "NBTOOLS_TEST_SERVER_KEY")
    monkeypatch.setenv("NBTOOLS_TEST_SERVER_KEY", "the-server-s-key")
    ran = plant(jp_root_dir)
    package_dir = write_package(jp_root_dir, "scorer", SCORER)
    started = await api("POST", "/services", 201, body={"package_dir": package_dir})
    assert (started["state"], started["failure"]) == ("ready", None)  # the start waits for it
    assert started["started_by"] == "alice"
    assert started["url"] == f"http://127.0.0.1:{started['port']}"
    again = await api("POST", "/services", 200, body={"package_dir": f"./{package_dir}/"})
    assert again["id"] == started["id"]
    ids = {"preview_id": started["id"]}

    ready = await settled(api, started["id"])
    assert ready["state"] == "ready", await api("GET", "/services/{preview_id}/log", 200, **ids)
    assert ready["info"]["package"] == "scorer"
    assert ready["info"]["endpoints"] == ["predict"]
    assert [p["id"] for p in await api("GET", "/services", 200)] == [started["id"]]

    document = await api("GET", "/services/{preview_id}/openapi", 200, **ids)
    assert "post" in document["paths"]["/predict"]
    answer = await api(
        "POST",
        "/services/{preview_id}/call/{endpoint}",
        200,
        body={"x": 1.5},
        endpoint="predict",
        **ids,
    )
    assert answer["status"] == 200
    assert answer["body"] == {"score": 3.0}
    assert answer["latency_ms"] > 0
    invalid = await api(
        "POST",
        "/services/{preview_id}/call/{endpoint}",
        200,
        body={"x": "a"},
        endpoint="predict",
        **ids,
    )
    assert invalid["status"] == 422
    assert [f["field"] for f in invalid["body"]["details"]["fields"]] == ["x"]
    missing = await api(
        "POST", "/services/{preview_id}/call/{endpoint}", 200, body={}, endpoint="nothing", **ids
    )
    assert missing["status"] == 404
    refused = await api(
        "POST", "/services/{preview_id}/call/{endpoint}", 400, endpoint="a.b", **ids
    )
    assert refused["details"]["field"] == "endpoint"
    log = await api("GET", "/services/{preview_id}/log", 200, **ids)
    assert "model loaded" in log["log"]
    assert log["state"] == "ready"

    assert group_members(ready["pid"]) != []
    assert await api("DELETE", "/services/{preview_id}", 204, **ids) is None
    assert group_members(ready["pid"]) == []
    assert (await api("GET", "/services/{preview_id}", 404, **ids))["details"][
        "field"
    ] == "preview_id"
    assert await api("GET", "/services", 200) == []
    assert not ran.exists(), ran.read_text()
    project = Project(jp_root_dir)
    try:
        entries = audit.list_entries(project, action="service.*")
    finally:
        project.close()
    assert [(e.actor, e.action, e.target) for e in reversed(entries)] == [
        ("alice", "service.start", "service scorer-pkg"),  # the second POST started nothing
        # each call passed on runs the package's code (a 404 of the service's too); the
        # refused endpoint name was never passed on
        *[("alice", "service.call", "service scorer-pkg")] * 3,
        ("alice", "service.stop", "service scorer-pkg"),
    ]
    start, stop = entries[-1].summary, entries[0].summary
    calls = [entry.summary for entry in reversed(entries[1:-1])]
    assert [call["endpoint"] for call in calls] == ["predict", "predict", "nothing"]
    assert calls[0] == {"preview": started["id"], "package": "scorer", "endpoint": "predict"}
    assert start == {
        "preview": started["id"], "package": "scorer", "port": started["port"],
        "api_key": False, "record": False,
    }  # fmt: skip
    assert stop == {
        "preview": started["id"], "package": "scorer", "started_by": "alice", "state": "ready"
    }  # fmt: skip


async def test_a_preview_that_fails_at_startup_is_answered_with_why(
    api: Any, jp_root_dir: Path
) -> None:
    """The start answered 201 and the preview showed ``exited``, why only in its log."""
    package_dir = write_package(jp_root_dir, "broken", BROKEN)
    failed = await api("POST", "/services", 409, body={"package_dir": package_dir})
    assert failed["error"] == "ConflictError"
    assert failed["message"] == (
        "The preview of broken failed at start-up: RuntimeError: model file missing: SEE-LOG. "
        "Its log shows the whole start-up: fix what failed, then start the preview again."
    ), failed  # what to do, in JupyterLab too: its log's address is a field of its own
    details = failed["details"]
    assert (details["field"], details["state"], details["exit_code"]) == (
        "package_dir",
        "exited",
        3,
    )
    ids = {"preview_id": details["id"]}
    assert details["log"] == f"/services/{details['id']}/log"
    ended = await api("GET", "/services/{preview_id}", 200, **ids)
    assert ended["state"] == "exited"
    assert ended["failure"] == failed  # shown as the start answered it
    assert (
        "model file missing: SEE-LOG"
        in (await api("GET", "/services/{preview_id}/log", 200, **ids))["log"]
    )
    conflict = await api(
        "POST", "/services/{preview_id}/call/{endpoint}", 409, endpoint="predict", **ids
    )
    assert conflict["details"]["state"] == "exited"
    await api("GET", "/services/{preview_id}/openapi", 409, **ids)
    # an ended preview is replaced by a new start, and forgotten by a stop
    await api("DELETE", "/services/{preview_id}", 204, **ids)
    assert group_members(ended["pid"]) == []


async def test_a_preview_whose_data_use_is_refused_at_start_up_is_answered_403(
    api: Any, jp_root_dir: Path
) -> None:
    """Its package reads personal data as it is imported, and it is served for no purpose:
    ``nbtools serve`` refuses the start (exit 2), and the start says so, naming the dataset
    and the purpose, where it answered 201 and the preview showed ``exited``."""
    (jp_root_dir / "pii.csv").write_text("id,email\n1,person@example.org\n")
    added = nbtools(jp_root_dir, "data", "add", "pii", "pii.csv",
                    "--classification", "personal", "--purpose", "churn-model")  # fmt: skip
    assert added.exit_code == 0, added.output
    reads = "import nbtools.data\n\nROWS = open(nbtools.data.path('pii')).read().splitlines()"
    served = [("code", "#| serve\ndef row(i: int) -> str:\n    return ROWS[i]", [])]
    package_dir = write_package(jp_root_dir, "rows", [("code", reads, ["export"]), *served])
    refused = await api("POST", "/services", 403, body={"package_dir": package_dir})
    assert refused["error"] == "PolicyRefusedError"
    assert refused["message"].startswith(
        "The preview of rows was refused at start-up: data use refused: Dataset 'pii' is "
        "personal data: using it needs a purpose (allowed purposes: churn-model)"
    ), refused
    assert refused["message"].endswith(". Change what it names, then start the preview again.")
    assert refused["details"]["log"] == f"/services/{refused['details']['id']}/log"
    assert refused["details"]["field"] == "package_dir"
    assert refused["details"]["exit_code"] == 2
    shown = await api("GET", "/services/{preview_id}", 200, preview_id=refused["details"]["id"])
    assert shown["failure"] == refused


async def test_a_preview_with_an_api_key_and_recording(
    api: Any, jp_root_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a key file the server's environment names is not the preview's (nor a second key)
    (tmp_path / "server-key").write_text("the-server-s-key\n")
    monkeypatch.setenv("NBTOOLS_SERVE_API_KEY_FILE", str(tmp_path / "server-key"))
    package_dir = write_package(jp_root_dir, "scorer", SCORER)
    key = "s3cret-KEY_for.tests"
    body = {"package_dir": package_dir, "api_key": key, "record": True}
    started = await api("POST", "/services", 201, body=body)
    assert started["needs_api_key"] is True
    assert started["recording"] is True
    assert key not in json.dumps(started)
    ids = {"preview_id": started["id"]}
    ready = await settled(api, started["id"])
    assert ready["state"] == "ready", await api("GET", "/services/{preview_id}/log", 200, **ids)
    # the server reads /info and /openapi.json with the key itself
    assert ready["info"]["package"] == "scorer"
    assert key not in json.dumps(ready)
    document = await api("GET", "/services/{preview_id}/openapi", 200, **ids)
    assert "post" in document["paths"]["/predict"]
    call = "/services/{preview_id}/call/{endpoint}"
    refused = await api("POST", call, 200, body={"x": 1}, endpoint="predict", **ids)
    assert refused["status"] == 401
    wrong = {"X-API-Key": "not-the-key"}
    assert (await api("POST", call, 200, body={"x": 1}, headers=wrong, endpoint="predict", **ids))[
        "status"
    ] == 401
    right = {"X-API-Key": key}
    answer = await api("POST", call, 200, body={"x": 2}, headers=right, endpoint="predict", **ids)
    assert answer["status"] == 200
    assert answer["body"] == {"score": 4.0}
    log = await api("GET", "/services/{preview_id}/log", 200, **ids)
    assert key not in log["log"]
    await api("DELETE", "/services/{preview_id}", 204, **ids)  # writes the minute in progress
    project = Project(jp_root_dir)
    try:
        with project.store.session() as session:
            job = session.scalars(select(Job).where(Job.name == "service:scorer")).one()
            requests = session.scalars(
                select(MetricValue.number).where(
                    MetricValue.job_id == job.id, MetricValue.name == "requests"
                )
            ).all()
    finally:
        project.close()
    assert sum(n or 0 for n in requests) == 3  # the refused calls count too


async def test_a_lineage_still_being_recorded_as_the_preview_got_ready_shows_once_recorded(
    api: Any, jp_root_dir: Path
) -> None:
    """Before: /info was read once, as the preview got ready, so a lineage then still being
    recorded in the background said "restart the preview" for as long as it ran."""
    package_dir = write_package(jp_root_dir, "scorer", SCORER)
    manifest_path = jp_root_dir / package_dir / MANIFEST
    manifest = json.loads(manifest_path.read_text())
    manifest["lineage"] = {"pending": "token", "notebook": "scorer.ipynb"}  # as extract leaves it
    manifest_path.write_text(json.dumps(manifest))
    started = await api("POST", "/services", 201, body={"package_dir": package_dir})
    ready = await settled(api, started["id"])
    assert (ready["state"], ready["info"]["lineage_pending"]) == ("ready", True)
    version = {"id": 7, "number": 2, "path": "scorer.ipynb"}
    manifest["lineage"] = {"notebook_version": version, "environment": None}
    manifest_path.write_text(json.dumps(manifest))  # as the background recording fills it in
    for _ in range(50):  # the panel follows a ready preview every second
        info = (await api("GET", "/services/{preview_id}", 200, preview_id=started["id"]))["info"]
        if not info["lineage_pending"]:
            break
        await asyncio.sleep(0.2)
    assert (info["lineage_pending"], info["notebook_version_id"]) == (False, 7)
    await api("DELETE", "/services/{preview_id}", 204, preview_id=started["id"])


@pytest.mark.parametrize(
    "jp_server_config",
    [
        server_config(
            identity=Users, authorizer=BobReadsOnly, NbtoolsSettings={"store_dir": "state"}
        )
    ],
)
async def test_a_preview_finds_the_server_s_project_and_store_directory(
    api: Any, jp_root_dir: Path, jp_serverapp: Any
) -> None:
    """As a run's kernel does (``Project.environment``): the store directory too, which the
    preview did not get (it looked for ``.nbtools``, where nothing is)."""
    project: Project = jp_serverapp.web_app.settings["nbtools_project"]
    package_dir = write_package(jp_root_dir, "where", WHERE)
    started = await api("POST", "/services", 201, body={"package_dir": package_dir})
    ids = {"preview_id": started["id"]}
    ready = await settled(api, started["id"])
    try:
        assert ready["state"] == "ready", await api("GET", "/services/{preview_id}/log", 200, **ids)
        call = "/services/{preview_id}/call/{endpoint}"
        answer = await api("POST", call, 200, body={"x": 1}, endpoint="where", **ids)
    finally:
        await api("DELETE", "/services/{preview_id}", 204, **ids)
    assert answer["body"] == {
        "root": str(jp_root_dir),
        "store_dir": str(jp_root_dir / "state"),
        "db_url": project.db_url,
    }


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"api_key": "has space"}, "api_key"),
        ({"api_key": "x" * 257}, "api_key"),
        ({"api_key": "caf\u00e9"}, "api_key"),
        ({"api_key": "line\nbreak"}, "api_key"),
        ({"api_key": 3}, "api_key"),
        ({"record": "yes"}, "record"),
    ],
)
async def test_bad_start_options_are_refused_naming_the_field(
    api: Any, jp_root_dir: Path, body: dict[str, Any], field: str
) -> None:
    package_dir = write_package(jp_root_dir, "scorer", SCORER)
    refused = await api("POST", "/services", 400, body={"package_dir": package_dir, **body})
    assert refused["details"]["field"] == field, refused
    assert await api("GET", "/services", 200) == []


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({}, 400, "package_dir"),
        ({"package_dir": 3}, 400, "package_dir"),
        ({"package_dir": "../elsewhere"}, 400, "package_dir"),
        ({"package_dir": "absent"}, 400, "package_dir"),
        ({"package_dir": "plain"}, 400, "package_dir"),  # a directory, no package
        ({"package_dir": "unserved-pkg"}, 400, "package_dir"),  # a package serving nothing
        ({"package_dir": ".nbtools"}, 404, "package_dir"),
    ],
)
async def test_bad_package_dirs_are_refused_naming_the_field(
    api: Any, jp_root_dir: Path, body: dict[str, Any], status: int, field: str
) -> None:
    (jp_root_dir / "plain").mkdir()
    write_package(jp_root_dir, "unserved", UNSERVED)
    refused = await api("POST", "/services", status, body=body)
    assert refused["details"]["field"] == field, refused
    assert await api("GET", "/services", 200) == []


async def test_a_second_user_reads_but_cannot_start_call_or_stop(
    api: Any, jp_root_dir: Path
) -> None:
    package_dir = write_package(jp_root_dir, "scorer", SCORER)
    await api("POST", "/services", 403, body={"package_dir": package_dir}, user="bob")
    assert await api("GET", "/services", 200, user="bob") == []
    started = await api("POST", "/services", 201, body={"package_dir": package_dir})
    ids = {"preview_id": started["id"]}
    await settled(api, started["id"])
    seen = await api("GET", "/services", 200, user="bob")
    assert [(p["id"], p["started_by"]) for p in seen] == [(started["id"], "alice")]
    await api("GET", "/services/{preview_id}/log", 200, user="bob", **ids)
    await api(
        "POST",
        "/services/{preview_id}/call/{endpoint}",
        403,
        body={"x": 1},
        user="bob",
        endpoint="predict",
        **ids,
    )
    await api("DELETE", "/services/{preview_id}", 403, user="bob", **ids)
    assert group_members(started["pid"]) != []
    await api("DELETE", "/services/{preview_id}", 204, **ids)
    assert group_members(started["pid"]) == []


def test_stopping_every_preview_leaves_no_process(tmp_path: Path) -> None:
    """What the extension does when the server stops."""
    (tmp_path / ".nbtools").mkdir()
    project = Project(tmp_path)
    previews = ServicePreviews(project, limit=2)
    try:
        first, _ = previews.start(tmp_path / write_package(tmp_path, "scorer", SCORER), "alice")
        second, _ = previews.start(tmp_path / write_package(tmp_path, "other", SCORER), "alice")
        pids = [first.process.pid, second.process.pid]
        with pytest.raises(ConflictError) as refused:  # over the limit
            previews.start(tmp_path / write_package(tmp_path, "third", SCORER), "alice")
        assert refused.value.details["running"] == [first.id, second.id]
        assert all(group_members(pid) for pid in pids)
        previews.stop_all()
        assert [group_members(pid) for pid in pids] == [[], []]
        assert previews.all() == []
    finally:
        previews.stop_all()
        project.close()
