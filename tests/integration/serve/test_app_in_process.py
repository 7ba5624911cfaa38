"""The app in this process (FastAPI's test client runs its lifespan): what start-up leaves
behind for the requests that follow, and the docs page served without internet access."""

from __future__ import annotations

import gc
import json
import os
import re
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator
from sqlalchemy import select

from nbtools import versioning
from nbtools.export.model import MANIFEST
from nbtools.jobs.tables import Run
from nbtools.project import Project
from nbtools.serve import create_app
from nbtools.serve.config import ServeSettings
from tests.conftest import NotebookFactory
from tests.integration.serve.conftest import extract


@pytest.fixture
def scorer_app(scorer_package: Path, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    monkeypatch.syspath_prepend(str(scorer_package / "src"))
    monkeypatch.delitem(sys.modules, "scorer", raising=False)
    app = create_app("scorer", {"predict": "scorer.core:predict"}, ServeSettings())
    return TestClient(app)


def test_an_app_mounted_in_another_process_leaves_its_collector_alone(
    scorer_app: TestClient,
) -> None:
    frozen = gc.get_freeze_count()
    with scorer_app as client:
        assert client.post("/predict", json={"x": 1}).json() == {"score": 2.0}
        assert gc.get_freeze_count() == frozen


def test_a_service_alone_in_its_process_keeps_start_up_objects_out_of_full_collections(
    scorer_package: Path,
) -> None:
    script = (
        "import gc\n"
        "from fastapi.testclient import TestClient\n"
        "from nbtools.serve import create_app\n"
        "from nbtools.serve.config import ServeSettings\n"
        "app = create_app('scorer', {'predict': 'scorer.core:predict'}, "
        "ServeSettings(freeze_gc=True))\n"
        "with TestClient(app) as client:\n"
        "    assert client.post('/predict', json={'x': 1}).json() == {'score': 2.0}\n"
        "    print(gc.get_freeze_count() > 0)\n"
        "print(gc.get_freeze_count())\n"
    )
    path = os.pathsep.join([str(scorer_package / "src"), *sys.path])
    done = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, "PYTHONPATH": path},
        capture_output=True,
        text=True,
        check=True,
    )
    # the app, its libraries and the package's objects frozen once loaded; shutdown hands
    # them back to the collector
    assert done.stdout.split()[-2:] == ["True", "0"]


def test_without_record_to_no_minute_aggregates_pile_up(scorer_app: TestClient) -> None:
    with scorer_app as client:
        for x in range(5):
            assert client.post("/predict", json={"x": x}).status_code == 200
        service = client.app.state.service  # type: ignore[attr-defined]
        assert service.aggregates.take() == {}
        assert 'nbtools_serve_requests_total{endpoint="/predict",status="200"} 5.0' in (
            client.get("/metrics").text
        )


def test_the_docs_page_loads_nothing_from_outside(scorer_app: TestClient) -> None:
    with scorer_app as client:
        page = client.get("/docs")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert "http://" not in page.text
        assert "https://" not in page.text
        linked = re.findall(r'(?:src|href)="([^"]*)"', page.text)
        assert sorted(linked) == [
            "/docs/assets/favicon-32x32.png",
            "/docs/assets/swagger-ui-bundle.js",
            "/docs/assets/swagger-ui.css",
        ]
        types = {url: client.get(url).headers["content-type"] for url in linked}
        assert types["/docs/assets/swagger-ui-bundle.js"].startswith("text/javascript")
        assert types["/docs/assets/swagger-ui.css"].startswith("text/css")
        assert "SwaggerUIBundle" in client.get("/docs/assets/swagger-ui-bundle.js").text
        assert "url: '/openapi.json'" in page.text
        # only the listed files: nothing else of the installed package, nothing outside it
        assert client.get("/docs/assets/index.html").status_code == 404
        assert client.get("/docs/assets/..%2F..%2F__init__.py").status_code == 404
        assert client.get("/docs/assets/swagger-ui.js.map").json()["error"] == "not-found"


def test_the_docs_page_behind_a_proxy_s_prefix_links_its_files_under_the_prefix(
    scorer_app: TestClient,
) -> None:
    """The page linked /docs/assets/… and /openapi.json, which the proxy does not pass on:
    a blank page."""
    with scorer_app as client:
        behind = TestClient(client.app, root_path="/scorer")
        page = behind.get("/docs").text
        linked = re.findall(r'(?:src|href)="([^"]*)"', page)
        assert sorted(linked) == [
            "/scorer/docs/assets/favicon-32x32.png",
            "/scorer/docs/assets/swagger-ui-bundle.js",
            "/scorer/docs/assets/swagger-ui.css",
        ]
        assert "url: '/scorer/openapi.json'" in page
        # the app sees the paths without the prefix, as the proxy passes them on
        for url in [*linked, "/scorer/openapi.json"]:
            assert behind.get(url.removeprefix("/scorer")).status_code == 200, url


def test_the_service_s_own_address_sends_a_browser_to_the_docs_and_a_client_a_map(
    scorer_app: TestClient,
) -> None:
    with scorer_app as client:
        browser = {"accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
        sent = client.get("/", headers=browser, follow_redirects=False)
        assert (sent.status_code, sent.headers["location"]) == (307, "/docs")
        assert client.get("/", headers=browser).headers["content-type"].startswith("text/html")
        behind = TestClient(client.app, root_path="/scorer")  # behind a proxy's prefix
        proxied = behind.get("/", headers=browser, follow_redirects=False)
        assert proxied.headers["location"] == "/scorer/docs"
        index = client.get("/")  # a client asking for JSON, or anything
        assert index.status_code == 200
        assert index.json() == {
            "service": "scorer",
            "endpoints": ["/predict"],
            "docs": "/docs",
            "openapi": "/openapi.json",
            "info": "/info",
            "health": "/health",
            "ready": "/ready",
            "metrics": "/metrics",
        }
        assert "/" not in client.get("/openapi.json").json()["paths"]
        assert 'endpoint="/",status="200"' in client.get("/metrics").text


def test_a_lineage_still_pending_at_start_up_is_shown_and_recorded_once_filled_in(
    scorer_package: Path, monkeypatch: pytest.MonkeyPatch, project: Project
) -> None:
    """``nbtools extract`` records the lineage in the background: a service started at once
    sees it pending, and names the version in /info and in its traffic once it is there."""
    manifest_path = scorer_package / MANIFEST
    manifest = json.loads(manifest_path.read_text())
    manifest["lineage"] = {"pending": "token", "notebook": "scorer.ipynb"}
    manifest_path.write_text(json.dumps(manifest))
    version = versioning.commit(
        project, "scorer.ipynb", (project.root / "scorer.ipynb").read_bytes()
    )
    monkeypatch.syspath_prepend(str(scorer_package / "src"))
    monkeypatch.delitem(sys.modules, "scorer", raising=False)
    settings = ServeSettings(record_to=project.db_url)
    with TestClient(create_app("scorer", {"predict": "scorer.core:predict"}, settings)) as client:
        pending = client.get("/info").json()
        assert (pending["lineage_pending"], pending["notebook_version_id"]) == (True, None)
        manifest["lineage"] = {
            "notebook_version": {"id": version.id, "number": 1},
            "environment": None,
        }
        manifest_path.write_text(json.dumps(manifest))  # as the background process fills it
        assert client.post("/predict", json={"x": 1}).status_code == 200
        filled = client.get("/info").json()
        assert (filled["lineage_pending"], filled["notebook_version_id"]) == (False, version.id)
    # the minute in progress is written at shutdown, naming the version
    with project.store.session() as session:
        runs = list(session.scalars(select(Run).where(Run.trigger == "service")))
    assert [run.notebook_version_id for run in runs] == [version.id]


def test_the_minute_written_at_shutdown_covers_the_time_served_not_a_whole_minute(
    scorer_package: Path, monkeypatch: pytest.MonkeyPatch, project: Project
) -> None:
    monkeypatch.syspath_prepend(str(scorer_package / "src"))
    monkeypatch.delitem(sys.modules, "scorer", raising=False)
    settings = ServeSettings(record_to=project.db_url)
    before = datetime.now(timezone.utc)
    with TestClient(create_app("scorer", {"predict": "scorer.core:predict"}, settings)) as client:
        assert client.post("/predict", json={"x": 1}).status_code == 200
    after = datetime.now(timezone.utc)
    with project.store.session() as session:
        (run,) = session.scalars(select(Run).where(Run.trigger == "service"))
    assert run.started_at is not None
    assert run.finished_at is not None
    # it was the whole minute: 60 s from the minute's start
    assert before <= run.started_at <= run.finished_at <= after


def documented_reply(document: dict[str, Any], path: str, status: int) -> Draft202012Validator:
    """A validator of the reply ``/openapi.json`` documents for ``POST path`` and ``status``."""
    responses = document["paths"][path]["post"]["responses"]
    assert str(status) in responses, f"{path} does not document {status}"
    schema = responses[str(status)]["content"]["application/json"]["schema"]
    return Draft202012Validator(
        {**schema, "components": document["components"]},
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def test_every_reply_of_a_served_function_is_the_one_its_openapi_document_describes(
    scorer_package: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A client generated from /openapi.json reads results and errors as the service sends
    them: each status a request got, success or error, is documented with its schema."""
    monkeypatch.syspath_prepend(str(scorer_package / "src"))
    monkeypatch.delitem(sys.modules, "scorer", raising=False)
    monkeypatch.setenv("SCORER_KEY", "k-123")
    settings = ServeSettings(
        api_key_env="SCORER_KEY", max_body_bytes=4096, timeout_seconds=0.2, max_batch=3
    )
    app = create_app("scorer", {"predict": "scorer.core:predict"}, settings)
    with TestClient(app, headers={"X-API-Key": "k-123"}) as client:
        document = client.get("/openapi.json").json()
        assert "HTTPValidationError" not in document["components"]["schemas"]
        requests: list[tuple[str, dict[str, Any], int]] = [
            ("/predict", {"json": {"x": 1}}, 200),
            ("/predict/batch", {"json": [{"x": 1}, {"x": 2}]}, 200),
            ("/predict", {"json": {"x": 1}, "headers": {"X-API-Key": "wrong"}}, 401),
            ("/predict/batch", {"json": [], "headers": {"X-API-Key": ""}}, 401),
            ("/predict", {"content": b"x" * 5000}, 413),
            ("/predict", {"data": {"x": "1"}}, 415),
            ("/predict", {"json": {"x": "one"}}, 422),
            ("/predict/batch", {"json": [{"x": 1}] * 4}, 422),  # over max_batch
            ("/predict/batch", {"json": {"x": 1}}, 422),  # not a list
            ("/predict", {"json": {"x": -1}}, 500),
            ("/predict/batch", {"json": [{"x": 1}, {"x": -1}]}, 500),
            ("/predict", {"json": {"x": 1000}}, 504),
        ]
        for path, arguments, status in requests:
            reply = client.post(path, **arguments)
            assert reply.status_code == status, (path, arguments, reply.text)
            errors = list(documented_reply(document, path, status).iter_errors(reply.json()))
            assert errors == [], (path, status, reply.json())
        # the result schemas are the function's, one item per body for /batch
        one = document["paths"]["/predict"]["post"]["responses"]["200"]["content"]
        many = document["paths"]["/predict/batch"]["post"]["responses"]["200"]["content"]
        result = {"additionalProperties": {"type": "number"}, "type": "object"}
        one_schema, many_schema = (
            one["application/json"]["schema"],
            many["application/json"]["schema"],
        )
        assert {k: v for k, v in one_schema.items() if k != "title"} == result
        assert many_schema["type"] == "array"
        assert {k: v for k, v in many_schema["items"].items() if k != "title"} == result
        assert not documented_reply(document, "/predict", 422).is_valid(
            {"detail": [{"loc": ["body", "x"], "msg": "Field required"}]}  # FastAPI's own
        )


def test_without_an_api_key_no_401_is_documented(scorer_app: TestClient) -> None:
    with scorer_app as client:
        document = client.get("/openapi.json").json()
    responses = document["paths"]["/predict"]["post"]["responses"]
    assert sorted(responses) == ["200", "403", "408", "413", "415", "422", "500", "503", "504"]
    assert "securitySchemes" not in document["components"]
    assert all("security" not in op for ops in document["paths"].values() for op in ops.values())


def test_with_an_api_key_the_document_says_how_to_send_it(
    scorer_package: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It documented the 401s but not the key: a client generated from it never sent one,
    and the docs page had no Authorize button to try a call with."""
    monkeypatch.syspath_prepend(str(scorer_package / "src"))
    monkeypatch.delitem(sys.modules, "scorer", raising=False)
    monkeypatch.setenv("SCORER_KEY", "k-123")
    settings = ServeSettings(api_key_env="SCORER_KEY")
    app = create_app("scorer", {"predict": "scorer.core:predict"}, settings)
    with TestClient(app, headers={"X-API-Key": "k-123"}) as client:
        document = client.get("/openapi.json").json()
    assert document["components"]["securitySchemes"] == {
        "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
        "bearer": {"type": "http", "scheme": "bearer"},
    }
    either = [{"apiKey": []}, {"bearer": []}]
    for path in ("/predict", "/predict/batch"):
        assert document["paths"][path]["post"]["security"] == either
    for path in ("/info", "/metrics"):
        assert document["paths"][path]["get"]["security"] == either
    for path in ("/health", "/ready"):  # open to probes
        assert "security" not in document["paths"][path]["get"]


def test_a_lone_surrogate_a_request_sent_comes_back_as_its_escape_not_a_500(
    notebook_factory: NotebookFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """JSON holds one (``"\\ud800"``), no UTF-8 encodes it: a function echoing its input
    was a 500 counted against the service for what a caller sent."""
    code = "#| serve\ndef echo(text: str) -> dict[str, str]:\n    return {'text': text}"
    cells = [("code", code, [])]
    package = extract(notebook_factory("echo.ipynb", cells), tmp_path / "echo-pkg")
    monkeypatch.syspath_prepend(str(package / "src"))
    monkeypatch.delitem(sys.modules, "echo", raising=False)
    app = create_app("echo", {"echo": "echo.core:echo"}, ServeSettings())
    headers = {"content-type": "application/json"}
    with TestClient(app) as client:
        lone = client.post("/echo", content=b'{"text": "a\\udfff\\ud800"}', headers=headers)
        batch = client.post("/echo/batch", content=b'[{"text": "\\ud83d"}]', headers=headers)
        pair = client.post("/echo", json={"text": "\U0001f600 é"})
    assert (lone.status_code, lone.content) == (200, b'{"text": "a\\udfff\\ud800"}')
    assert lone.json() == {"text": "a\udfff\ud800"}
    assert (batch.status_code, batch.json()) == (200, [{"text": "\ud83d"}])
    assert pair.content == '{"text": "\U0001f600 é"}'.encode()  # UTF-8, as before


def test_a_field_name_holding_a_lone_surrogate_is_named_by_its_escape(
    notebook_factory: NotebookFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pydantic cannot name such a key: the 422 was for the whole body, hiding the other
    fields' problems; no parameter has such a name, so it is an unknown field."""
    code = (
        "#| serve\ndef named(text: str = 'x', n: int = 1, tags: dict[str, int] | None = None)"
        " -> dict[str, str]:\n    keys = ' '.join(f'{ord(c):x}' for k in tags or {} for c in k)\n"
        "    return {'text': text, 'keys': keys}"
    )
    package = extract(notebook_factory("names.ipynb", [("code", code, [])]), tmp_path / "n-pkg")
    monkeypatch.syspath_prepend(str(package / "src"))
    app = create_app("names", {"named": "names.core:named"}, ServeSettings())
    headers = {"content-type": "application/json"}

    def fields(reply: Any) -> list[tuple[str, str]]:
        assert reply.status_code == 422, reply.text
        return [(f["field"], f["message"]) for f in reply.json()["details"]["fields"]]

    unknown = "Extra inputs are not permitted"
    with TestClient(app) as client:
        alone = client.post("/named", content=b'{"\\ud800": 1}', headers=headers)
        beside = client.post(
            "/named", content=b'{"te\\udfffxt": "a", "n": "x", "text": "b"}', headers=headers
        )
        batch = client.post(
            "/named/batch", content=b'[{"n": 2}, {"a\\ud83d": 1, "n": "y"}]', headers=headers
        )
        inside = client.post("/named", content=b'{"tags": {"\\ud800": 1}}', headers=headers)
        pair = client.post("/named", content=b'{"\\ud83d\\ude00": 1}', headers=headers)
    assert fields(alone) == [("\\ud800", unknown)]
    assert alone.json()["message"] == "The request body is invalid: \\ud800."
    assert sorted(fields(beside)) == [
        ("n", "Input should be a valid integer, not a string"),
        ("te\\udfffxt", unknown),
    ]
    assert fields(batch) == [
        ("1.n", "Input should be a valid integer, not a string"),
        ("1.a\\ud83d", unknown),
    ]
    # a key inside a dict the function takes is its data, passed on as it came
    assert (inside.status_code, inside.json()) == (200, {"text": "x", "keys": "d800"})
    assert fields(pair) == [("\U0001f600", unknown)]  # a pair is a character: as sent


#: A served function taking keys as data at several depths, and objects read as fields.
DEEP_NAMES = (
    "#| serve\n"
    "from dataclasses import dataclass\n\n"
    "from pydantic import BaseModel, ConfigDict\n\n\n"
    "class Feature(BaseModel):\n"
    "    model_config = ConfigDict(extra='forbid')\n"
    "    name: str\n"
    "    weight: float = 1.0\n\n\n"
    "class Loose(BaseModel):\n"
    "    x: float\n\n\n"
    "class Nested(BaseModel):\n"
    "    inner: Loose\n"
    "    more: dict[str, list[Loose]] = {}\n\n\n"
    "@dataclass\n"
    "class Point:\n"
    "    x: float\n\n\n"
    "def deep(features: dict[str, int] | None = None,\n"
    "         rows: list[dict[str, dict[str, int]]] | None = None,\n"
    "         feature: Feature | None = None, point: Point | None = None,\n"
    "         loose: list[Loose] | None = None, nested: Nested | None = None) -> int:\n"
    "    return len(features or {}) + len(rows or [])"
)


def test_a_key_holding_a_lone_surrogate_deeper_in_the_body_is_named_by_its_full_path(
    notebook_factory: NotebookFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pydantic names such a key with replacement characters (``features.���``), and refuses
    an object it reads as fields (a pydantic model, a dataclass) whole when one of its keys
    holds one, naming only the parameter: each is named by its place, the key by its escape,
    as at the top level."""
    package = extract(notebook_factory("deep.ipynb", [("code", DEEP_NAMES, [])]), tmp_path / "d")
    monkeypatch.syspath_prepend(str(package / "src"))
    monkeypatch.delitem(sys.modules, "deep", raising=False)
    app = create_app("deep", {"deep": "deep.core:deep"}, ServeSettings())
    headers = {"content-type": "application/json"}
    surrogate = "A field name holding a lone surrogate is not permitted in this object"

    def fields(path: str, body: bytes) -> list[tuple[str, str]]:
        reply = client.post(path, content=body, headers=headers)
        assert reply.status_code == 422, reply.text
        return [(f["field"], f["message"]) for f in reply.json()["details"]["fields"]]

    not_int = "Input should be a valid integer, not a string"
    with TestClient(app) as client:
        assert fields("/deep", b'{"features": {"\\ud800": "x", "ok": "y"}}') == [
            ("features.\\ud800", not_int),
            ("features.ok", not_int),
        ]
        assert fields(
            "/deep", b'{"rows": [{"a": {"b": 1}}, {"a\\udfff\\ud800b": {"c": "x"}}]}'
        ) == [("rows.1.a\\udfff\\ud800b.c", not_int)]
        assert fields("/deep", b'{"feature": {"name": "a", "na\\ud800me": "b"}}') == [
            ("feature.na\\ud800me", surrogate)
        ]
        assert fields("/deep", b'{"point": {"x": 1, "\\udc00": 2}, "features": {"a": "z"}}') == [
            ("features.a", not_int),  # in the order of the parameters
            ("point.\\udc00", surrogate),
        ]
        assert fields("/deep/batch", b'[{}, {"feature": {"name": "a", "\\ud800": 1}}]') == [
            ("1.feature.\\ud800", surrogate)
        ]
        # a model ignoring unknown fields dropped such a key without a word
        assert fields("/deep", b'{"loose": [{"x": 1}, {"\\ud800": 1, "x": 1}]}') == [
            ("loose.1.\\ud800", surrogate)
        ]
        # and so did one inside a model's own fields (the outer model was checked)
        inner = b'{"nested": {"inner": {"\\ud800": 1, "x": 1}}}'
        assert fields("/deep", inner) == [("nested.inner.\\ud800", surrogate)]
        deeper = b'{"nested": {"inner": {"x": 1}, "more": {"a": [{"x": 1}, {"\\udc00": 2}]}}}'
        assert fields("/deep", deeper) == [("nested.more.a.1.\\udc00", surrogate)]
        # the function's own data: passed on as it came
        taken = client.post("/deep", content=b'{"features": {"\\ud800": 1}}', headers=headers)
        assert (taken.status_code, taken.json()) == (200, 1)


@pytest.mark.parametrize("public_docs", [False, True])
def test_the_api_description_is_public_only_with_public_docs(
    scorer_package: Path, monkeypatch: pytest.MonkeyPatch, public_docs: bool
) -> None:
    """With an API key /docs and /openapi.json needed it, so a browser (which cannot send a
    header) could not show the docs at all. With ``public_docs`` the page, its files and the
    document answer without the key, the document saying how to send it (the page's
    Authorize button); every other endpoint still needs it."""
    monkeypatch.syspath_prepend(str(scorer_package / "src"))
    monkeypatch.delitem(sys.modules, "scorer", raising=False)
    monkeypatch.setenv("SCORER_KEY", "k-123")
    settings = ServeSettings(api_key_env="SCORER_KEY", public_docs=public_docs)
    app = create_app("scorer", {"predict": "scorer.core:predict"}, settings)
    description = ("/docs", "/docs/assets/swagger-ui-bundle.js", "/openapi.json")
    with TestClient(app) as browser:
        described = {path: browser.get(path) for path in description}
        others = {path: browser.get(path).status_code for path in ("/", "/info", "/metrics")}
        call = browser.post("/predict", json={"x": 1})
        keyed = browser.post("/predict", json={"x": 1}, headers={"X-API-Key": "k-123"})
    assert others == {"/": 401, "/info": 401, "/metrics": 401}
    assert (call.status_code, keyed.json()) == (401, {"score": 2.0})
    statuses = {path: reply.status_code for path, reply in described.items()}
    if not public_docs:
        assert statuses == dict.fromkeys(description, 401)
        assert described["/docs"].json()["message"] == (
            "This service needs an API key: send 'X-API-Key: <key>' or 'Authorization: "
            "Bearer <key>'. Its docs (/docs, /openapi.json) need it too unless it is served "
            "with --public-docs."
        )
        return
    assert statuses == dict.fromkeys(description, 200)
    assert "SwaggerUIBundle" in described["/docs"].text
    document = described["/openapi.json"].json()
    assert sorted(document["components"]["securitySchemes"]) == ["apiKey", "bearer"]
    assert document["paths"]["/predict"]["post"]["security"] == [{"apiKey": []}, {"bearer": []}]
