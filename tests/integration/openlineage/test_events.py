"""OpenLineage run events of real runs, received by a real HTTP server on 127.0.0.1 and by
the file transport; each event checked against the spec's rules for a RunEvent."""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from nbtools.jobs.executors.local import LocalExecutor
from nbtools.jobs.submit import queue_run
from nbtools.openlineage import emitter
from nbtools.openlineage.settings import current
from nbtools.project import Project
from tests.conftest import NotebookFactory, nbtools
from tests.integration.jobs.conftest import DoneLog, request

pytestmark = pytest.mark.slow

FACET = {
    "type": "object",
    "required": ["_producer", "_schemaURL"],
    "properties": {"_producer": {"type": "string", "minLength": 1}},
}
DATASET = {
    "type": "object",
    "required": ["namespace", "name"],
    "properties": {
        "namespace": {"type": "string", "minLength": 1},
        "name": {"type": "string", "minLength": 1},
        "facets": {"type": "object", "additionalProperties": FACET},
    },
}
#: The RunEvent rules of the OpenLineage spec (2-0-x) that these events must keep.
RUN_EVENT = {
    "type": "object",
    "required": ["eventTime", "producer", "schemaURL", "eventType", "run", "job"],
    "properties": {
        "eventType": {"enum": ["START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER"]},
        "producer": {"type": "string", "pattern": "^[a-z][a-z0-9+.-]*:"},
        "schemaURL": {"type": "string", "pattern": "^https://openlineage.io/spec/.*RunEvent$"},
        "run": {
            "type": "object",
            "required": ["runId"],
            "properties": {
                "runId": {"type": "string", "format": "uuid"},
                "facets": {"type": "object", "additionalProperties": FACET},
            },
        },
        "job": {
            "type": "object",
            "required": ["namespace", "name"],
            "properties": {
                "namespace": {"type": "string", "minLength": 1},
                "name": {"type": "string", "minLength": 1},
                "facets": {"type": "object", "additionalProperties": FACET},
            },
        },
        "inputs": {"type": "array", "items": DATASET},
        "outputs": {"type": "array", "items": DATASET},
    },
}


def check(event: dict[str, Any]) -> None:
    Draft202012Validator(RUN_EVENT, format_checker=Draft202012Validator.FORMAT_CHECKER).validate(
        event
    )
    datetime.fromisoformat(event["eventTime"])
    uuid.UUID(event["run"]["runId"])


class Receiver(BaseHTTPRequestHandler):
    received: list[tuple[str, dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.path, json.loads(body)))
        self.send_response(201)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return None


@pytest.fixture
def listening() -> Iterator[str]:
    """The URL of a receiver on 127.0.0.1 collecting into ``Receiver.received``."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    Receiver.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def receiver(
    listening: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[list[tuple[str, dict[str, Any]]]]:
    monkeypatch.setenv("NBTOOLS_OPENLINEAGE_TRANSPORT", "http")
    monkeypatch.setenv("NBTOOLS_OPENLINEAGE_URL", listening)
    monkeypatch.setenv("NBTOOLS_OPENLINEAGE_NAMESPACE", "analytics")
    current.cache_clear()
    yield Receiver.received
    emitter.shutdown()
    current.cache_clear()


READS = "import nbtools.data\nprint(open(nbtools.data.path('customers')).read())"
WRITES = "with nbtools.data.open('scores', 'w') as f:\n    f.write('id,score\\n1,0.5\\n')"


def test_runs_emit_start_and_complete_or_fail(
    tmp_path: Path, notebook_factory: NotebookFactory, receiver: list[tuple[str, dict[str, Any]]]
) -> None:
    (tmp_path / "c.csv").write_text("id,name\n1,a\n")
    assert nbtools(tmp_path, "data", "add", "customers", "c.csv").exit_code == 0
    assert nbtools(tmp_path, "data", "add", "scores", "scores.csv").exit_code == 0
    notebook_factory(
        "churn.ipynb",
        [("code", "days = 7", ["parameters"]), ("code", READS, []), ("code", "1 / 0", [])],
    )
    failed = nbtools(tmp_path, "run", "churn.ipynb", "-p", "days=3", "--json")
    assert failed.exit_code == 1, failed.output
    ok_cells = [("code", READS, []), ("code", WRITES, [])]
    notebook_factory("ok.ipynb", ok_cells)
    done = nbtools(tmp_path, "run", "ok.ipynb", "--json")
    assert done.exit_code == 0, done.output
    emitter.shutdown()

    events = [body for path, body in receiver]
    assert {path for path, _ in receiver} == {"/api/v1/lineage"}
    for event in events:
        check(event)
    by_job = {(e["job"]["name"], e["eventType"]): e for e in events}
    assert set(by_job) == {
        ("churn.ipynb", "START"),
        ("churn.ipynb", "FAIL"),
        ("ok.ipynb", "START"),
        ("ok.ipynb", "COMPLETE"),
    }
    start, fail = by_job["churn.ipynb", "START"], by_job["churn.ipynb", "FAIL"]
    assert start["run"]["runId"] == fail["run"]["runId"]
    assert fail["job"]["namespace"] == "analytics"
    nbtools_run = fail["run"]["facets"]["nbtools_run"]
    assert nbtools_run["runId"] == json.loads(failed.stdout)["id"]
    assert nbtools_run["parameters"] == {"days": "3"}
    assert "ZeroDivisionError" in fail["run"]["facets"]["errorMessage"]["message"]
    assert fail["job"]["facets"]["nbtools_notebook"]["path"] == "churn.ipynb"
    assert fail["job"]["facets"]["jobType"]["jobType"] == "NOTEBOOK"
    [read] = fail["inputs"]
    assert (read["namespace"], read["name"]) == ("file", str(tmp_path / "c.csv"))
    assert [f["name"] for f in read["facets"]["schema"]["fields"]] == ["id", "name"]
    complete = by_job["ok.ipynb", "COMPLETE"]
    assert complete["inputs"][0]["name"] == str(tmp_path / "c.csv")
    assert [(o["namespace"], o["name"]) for o in complete["outputs"]] == [
        ("file", str(tmp_path / "scores.csv"))
    ]


REPLACES = (
    "from nbtools.data import add_dataset, dataset_spec, remove_dataset\n"
    "from nbtools.project import project_from_environment\n"
    "project = project_from_environment()\n"
    "remove_dataset(project, 'customers')\n"
    "add_dataset(project, dataset_spec(project, 'customers', {'location': 'other.csv'}))"
)


def test_a_dataset_catalogued_again_under_its_name_mid_run_lends_the_run_no_schema(
    tmp_path: Path, notebook_factory: NotebookFactory, receiver: list[tuple[str, dict[str, Any]]]
) -> None:
    """The run read ``customers`` (id, name); while it ran, that dataset was removed and
    another catalogued under its name (other.csv: sku, price). The event names the data the
    run read, without a schema: the catalog no longer holds the dataset it used. Matched by
    name, it carried the other dataset's columns as the schema of c.csv."""
    (tmp_path / "c.csv").write_text("id,name\n1,a\n")
    (tmp_path / "other.csv").write_text("sku,price\nx,2\n")
    assert nbtools(tmp_path, "data", "add", "customers", "c.csv").exit_code == 0
    notebook_factory("swap.ipynb", [("code", READS, []), ("code", REPLACES, [])])
    done = nbtools(tmp_path, "run", "swap.ipynb", "--json")
    assert done.exit_code == 0, done.output
    emitter.shutdown()
    [complete] = [body for _, body in receiver if body["eventType"] == "COMPLETE"]
    [read] = complete["inputs"]
    assert read["name"] == str(tmp_path / "c.csv")
    assert "schema" not in read.get("facets", {}), read


def test_a_dead_receiver_never_fails_a_run_and_the_file_transport_writes_lines(
    tmp_path: Path, notebook_factory: NotebookFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    notebook_factory("nb.ipynb", [("code", "x = 1", [])])
    monkeypatch.setenv("NBTOOLS_OPENLINEAGE_TRANSPORT", "http")
    monkeypatch.setenv("NBTOOLS_OPENLINEAGE_URL", "http://127.0.0.1:9")  # nothing listens
    monkeypatch.setenv("NBTOOLS_OPENLINEAGE_TIMEOUT_SECONDS", "0.5")
    current.cache_clear()
    try:
        result = nbtools(tmp_path, "run", "nb.ipynb", "--json")
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["status"] == "succeeded"
    finally:
        emitter.shutdown()
    lines = tmp_path / "lineage.jsonl"
    monkeypatch.setenv("NBTOOLS_OPENLINEAGE_TRANSPORT", "file")
    monkeypatch.setenv("NBTOOLS_OPENLINEAGE_FILE", str(lines))
    current.cache_clear()
    try:
        assert nbtools(tmp_path, "run", "nb.ipynb").exit_code == 0
    finally:
        emitter.shutdown()
        current.cache_clear()
    events = [json.loads(line) for line in lines.read_text().splitlines()]
    assert [e["eventType"] for e in events] == ["START", "COMPLETE"]
    for event in events:
        check(event)


def test_a_worker_process_with_only_openlineage_url_emits(
    project: Project,
    notebook_factory: NotebookFactory,
    listening: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The client's standard variable alone, inherited by a scheduler's worker process."""
    for name in [v for v in os.environ if v.startswith(("NBTOOLS_OPENLINEAGE_", "OPENLINEAGE"))]:
        monkeypatch.delenv(name)
    monkeypatch.delenv("NBTOOLS_CONFIG", raising=False)
    monkeypatch.setenv("OPENLINEAGE_URL", listening)
    current.cache_clear()
    notebook_factory("nb.ipynb", [("code", "x = 1", [])])
    run = queue_run(project, "nb.ipynb", {})
    done = DoneLog()
    pool = LocalExecutor(1, done, cwd=project.root)
    try:
        pool.submit(request(project, run.id))
        assert done.wait(run.id) == "succeeded"
        deadline = time.monotonic() + 60
        while len(Receiver.received) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        pool.shutdown()
    assert [path for path, _ in Receiver.received] == ["/api/v1/lineage"] * 2
    events = [body for _, body in Receiver.received]
    for event in events:
        check(event)
    assert [e["eventType"] for e in events] == ["START", "COMPLETE"]
    assert {e["job"]["namespace"] for e in events} == {"nbtools"}
    assert events[0]["run"]["facets"]["nbtools_run"]["runId"] == run.id


def test_our_settings_win_over_the_clients_own_file(
    tmp_path: Path, notebook_factory: NotebookFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``openlineage.yml`` in the working directory is used when our transport is unset, and
    passed over when it is set."""
    for name in [v for v in os.environ if v.startswith(("NBTOOLS_OPENLINEAGE_", "OPENLINEAGE"))]:
        monkeypatch.delenv(name)
    monkeypatch.delenv("NBTOOLS_CONFIG", raising=False)
    notebook_factory("nb.ipynb", [("code", "x = 1", [])])
    theirs, ours = tmp_path / "theirs.jsonl", tmp_path / "ours.jsonl"
    work = tmp_path / "work"
    work.mkdir()
    (work / "openlineage.yml").write_text(
        f"transport:\n  type: file\n  log_file_path: {theirs}\n  append: true\n"
    )
    monkeypatch.chdir(work)
    try:
        current.cache_clear()  # in work/, inside the root: the notebook is ../nb.ipynb
        assert nbtools(tmp_path, "run", "../nb.ipynb").exit_code == 0
        emitter.shutdown()
        monkeypatch.setenv("NBTOOLS_OPENLINEAGE_TRANSPORT", "file")
        monkeypatch.setenv("NBTOOLS_OPENLINEAGE_FILE", str(ours))
        current.cache_clear()
        assert nbtools(tmp_path, "run", "../nb.ipynb").exit_code == 0
    finally:
        emitter.shutdown()
        current.cache_clear()
    for lines, run_id in ((theirs, 1), (ours, 2)):
        events = [json.loads(line) for line in lines.read_text().splitlines()]
        assert [e["eventType"] for e in events] == ["START", "COMPLETE"]
        assert {e["run"]["facets"]["nbtools_run"]["runId"] for e in events} == {run_id}
        for event in events:
            check(event)
