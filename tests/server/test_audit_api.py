"""``GET /audit``: every job, run, version and rule action names the authenticated user who
did it; reading the trail needs the ``admin`` action."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from jupyter_server.auth.authorizer import Authorizer
from tornado.httpclient import HTTPClientError

from tests.server.conftest import server_config
from tests.server.openapi_spec import reply_validator
from tests.server.test_identity import NOTEBOOK, HeaderUsers, as_user

API = ("nbtools", "api")


class AdminAlice(Authorizer):
    """Everyone may read, write and execute; only alice may ``admin`` (read the trail)."""

    def is_authorized(self, handler: Any, user: Any, action: str, resource: str) -> bool:
        return action != "admin" or user.username == "alice"


@pytest.fixture
def jp_server_config() -> dict[str, Any]:
    return server_config(identity=HeaderUsers, authorizer=AdminAlice)


async def audit(jp_fetch: Any, user: str = "alice", **params: Any) -> list[dict[str, Any]]:
    response = await jp_fetch(*API, "audit", params=params, headers={"X-Test-User": user})
    entries: list[dict[str, Any]] = json.loads(response.body)
    reply_validator("/audit", "get", 200).validate(entries)
    return entries


async def test_each_action_names_the_user_who_did_it(jp_fetch: Any, jp_root_dir: Path) -> None:
    (jp_root_dir / "nb.ipynb").write_text(json.dumps(NOTEBOOK))
    job = await as_user(
        jp_fetch, "alice", "POST", *API, "jobs", body={"notebook_path": "nb.ipynb", "purpose": "x"}
    )
    job_path = (*API, "jobs", str(job["id"]))
    await as_user(jp_fetch, "bob", "PATCH", *job_path, body={"retries": 2, "name": "weekly"})
    await as_user(jp_fetch, "alice", "PATCH", *job_path, body={"paused": True})
    run = await as_user(jp_fetch, "bob", "POST", *job_path, "run", body={})
    await as_user(jp_fetch, "alice", "POST", *API, "runs", str(run["id"]), "cancel", body={})
    rerun = await as_user(jp_fetch, "bob", "POST", *API, "runs", str(run["id"]), "rerun", body={})
    rule = await as_user(jp_fetch, "alice", "POST", *job_path, "rules", body={"text": "failed"})
    await as_user(jp_fetch, "bob", "DELETE", *API, "rules", str(rule["id"]))
    hook = {"channel": "webhook", "destination": "https://ci:s3cret@hooks.example.org/ml"}
    target = await as_user(jp_fetch, "alice", "POST", *job_path, "notifications", body=hook)
    await as_user(jp_fetch, "bob", "DELETE", *API, "notification-targets", str(target["id"]))
    saved = await as_user(jp_fetch, "alice", "POST", *API, "versions", body={"path": "nb.ipynb"})
    await as_user(
        jp_fetch, "bob", "POST", *API, "versions", str(saved["id"]), "restore",
        body={"as_path": "copy.ipynb"},
    )  # fmt: skip
    await as_user(jp_fetch, "bob", "DELETE", *job_path)

    entries = await audit(jp_fetch)
    assert [(e["actor"], e["action"], e["target"]) for e in reversed(entries)] == [
        ("alice", "job.create", f"job {job['id']}"),
        ("bob", "job.edit", f"job {job['id']}"),
        ("alice", "job.pause", f"job {job['id']}"),
        ("bob", "run.submit", f"run {run['id']}"),
        ("alice", "run.cancel", f"run {run['id']}"),
        ("bob", "run.rerun", f"run {rerun['id']}"),
        ("alice", "rule.add", f"alert rule {rule['id']}"),
        ("bob", "rule.remove", f"alert rule {rule['id']}"),
        ("alice", "notify.add", f"notification target {target['id']}"),
        ("bob", "notify.remove", f"notification target {target['id']}"),
        ("bob", "version.restore", "notebook nb.ipynb"),
        ("bob", "job.archive", f"job {job['id']}"),
    ]
    by_action = {e["action"]: e["summary"] for e in entries}
    assert by_action["job.edit"] == {"changed": ["name", "retries"]}
    assert by_action["job.create"]["purpose"] == "x"
    assert by_action["run.cancel"] == {"status": "cancelled"}
    assert by_action["version.restore"]["as_path"] == "copy.ipynb"
    assert by_action["notify.add"] == {
        "job_id": job["id"], "channel": "webhook", "events": ["failure", "alert"],
        "destination": "https://***@hooks.example.org/***",  # the site only: kept for good
    }  # fmt: skip
    assert "s3cret" not in json.dumps(entries)
    assert by_action["notify.remove"] == by_action["notify.add"]

    # Filters and pages.
    assert {e["actor"] for e in await audit(jp_fetch, actor="bob")} == {"bob"}
    assert len(await audit(jp_fetch, action="run.*")) == 3
    assert [e["action"] for e in await audit(jp_fetch, object=f"run {run['id']}")] == [
        "run.cancel",
        "run.submit",
    ]
    first = await audit(jp_fetch, limit=4)
    second = await audit(jp_fetch, limit=4, before=first[-1]["id"])
    assert [e["id"] for e in first + second] == [e["id"] for e in entries[:8]]
    assert await audit(jp_fetch, since="2999-01-01") == []
    assert len(await audit(jp_fetch, since="1h")) == len(entries)


async def test_a_restore_is_one_entry_by_its_user_through_either_api(
    jp_fetch: Any, jp_root_dir: Path
) -> None:
    """Jupyter's checkpoint restore (File > Revert Notebook to Checkpoint, or any version
    number) and nbtools' own route record the same entry, each naming who restored; so is
    a collection removing versions."""
    for days in (7, 8):  # versions 1 and 2, saved by alice through Jupyter's contents API
        notebook = {**NOTEBOOK, "cells": [{**NOTEBOOK["cells"][0], "source": f"days = {days}"}]}
        model = {"type": "notebook", "format": "json", "content": notebook}
        await as_user(jp_fetch, "alice", "PUT", "api", "contents", "nb.ipynb", body=model)
    checkpoint = ("api", "contents", "nb.ipynb", "checkpoints", "1")
    await as_user(jp_fetch, "alice", "POST", *checkpoint, body={})
    listed = await jp_fetch(
        *API, "versions", params={"path": "nb.ipynb"}, headers={"X-Test-User": "bob"}
    )
    first = json.loads(listed.body)["versions"][-1]
    assert first["number"] == 1
    await as_user(jp_fetch, "bob", "POST", *API, "versions", str(first["id"]), "restore", body={})

    restores = await audit(jp_fetch, action="version.restore")
    assert [(e["actor"], e["target"]) for e in reversed(restores)] == [
        ("alice", "notebook nb.ipynb"),
        ("bob", "notebook nb.ipynb"),
    ]
    summary = {"path": "nb.ipynb", "version": 1, "as_path": None, "recorded_version": 3}
    assert [e["summary"] for e in restores] == [summary, summary]

    # removing history is audited as well, naming who removed it
    await as_user(jp_fetch, "bob", "POST", *API, "versions", "gc", body={"keep": 1})
    (gc,) = await audit(jp_fetch, action="version.gc")
    assert (gc["actor"], gc["target"]) == ("bob", "2 versions")
    assert gc["summary"]["removed"] == {"nb.ipynb": [1, 2]}


async def test_reading_the_trail_needs_the_admin_action(jp_fetch: Any) -> None:
    for user in ("bob", "mallory"):  # not allowed; not authenticated
        with pytest.raises(HTTPClientError) as info:
            await jp_fetch(*API, "audit", headers={"X-Test-User": user})
        assert info.value.code == 403
    # bob's refusal is an entry (tests/server/test_denied_audit.py); mallory, no one, is none
    assert [(e["actor"], e["action"]) for e in await audit(jp_fetch)] == [("bob", "access.deny")]


@pytest.mark.parametrize(
    ("argument", "value"),
    [
        ("since", "yesterday"),
        ("since", "0001-01-01T00:00:00+14:00"),  # before the calendar in UTC
        ("since", "9999-12-31T23:59:59-12:00"),  # after it
        ("action", "job.created"),  # a typo: refused, never "no entries"
        ("action", "run"),
        ("action", "*"),
        ("limit", "0"),
        ("limit", "10001"),
        ("before", "x"),
    ],
)
async def test_bad_filters_are_400_naming_the_argument(
    jp_fetch: Any, argument: str, value: str
) -> None:
    with pytest.raises(HTTPClientError) as info:
        await audit(jp_fetch, **{argument: value})
    assert info.value.code == 400
    assert json.loads(info.value.response.body)["details"]["field"] == argument


async def test_the_trail_as_csv_is_a_file_with_the_same_filters(
    jp_fetch: Any, jp_root_dir: Path
) -> None:
    """``?format=csv``: the entries JSON lists, as a CSV attachment (its cells' formulas
    neutralised and values read back whole: tests/unit/audit/test_csv.py)."""
    (jp_root_dir / "nb.ipynb").write_text(json.dumps(NOTEBOOK))
    job = await as_user(jp_fetch, "alice", "POST", *API, "jobs", body={"notebook_path": "nb.ipynb"})
    await as_user(jp_fetch, "bob", "PATCH", *API, "jobs", str(job["id"]), body={"paused": True})
    audit_entries = await audit(jp_fetch)

    response = await jp_fetch(
        *API, "audit", params={"format": "csv"}, headers={"X-Test-User": "alice"}
    )
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="nbtools-audit.csv"' in response.headers["Content-Disposition"]
    header, *rows = csv.reader(io.StringIO(response.body.decode(), newline=""))
    assert header == ["id", "at", "actor", "action", "target", "summary"]
    assert [(int(r[0]), r[2], r[3], r[4]) for r in rows] == [
        (e["id"], e["actor"], e["action"], e["target"]) for e in audit_entries
    ]
    jobs = await jp_fetch(
        *API, "audit", params={"format": "csv", "actor": "bob", "action": "job.*"},
        headers={"X-Test-User": "alice"},
    )  # fmt: skip
    assert [r[3] for r in csv.reader(io.StringIO(jobs.body.decode()))][1:] == ["job.pause"]
    empty = await jp_fetch(
        *API, "audit", params={"format": "csv", "since": "2999-01-01"},
        headers={"X-Test-User": "alice"},
    )  # fmt: skip
    assert empty.body == b"id,at,actor,action,target,summary\r\n"


async def test_a_format_other_than_json_or_csv_is_400_naming_it(jp_fetch: Any) -> None:
    with pytest.raises(HTTPClientError) as info:
        await audit(jp_fetch, format="xlsx")
    assert info.value.code == 400
    assert json.loads(info.value.response.body)["details"]["field"] == "format"


async def test_bob_cannot_read_the_trail_as_csv_either(jp_fetch: Any) -> None:
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch(*API, "audit", params={"format": "csv"}, headers={"X-Test-User": "bob"})
    assert info.value.code == 403
    assert info.value.response.headers["Content-Type"] == "application/json"
