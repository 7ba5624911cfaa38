"""The emitting thread: each :func:`~nbtools.openlineage.emitter.shutdown` sends what was
queued and ends the thread, which the next event starts again."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from nbtools.openlineage import emitter
from nbtools.openlineage.settings import current

FACTS = emitter.RunFacts(
    run_id=1,
    job_name="nb.ipynb",
    notebook_path="nb.ipynb",
    trigger="manual",
    attempt=1,
    purpose=None,
    parameters={},
    notebook_version_id=None,
    env_snapshot_id=None,
    pinned_version_id=None,
)
RUN_UUID = emitter.new_run_uuid()


@pytest.fixture
def lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The file the file transport writes events to, one a line."""
    for name in [v for v in os.environ if v.startswith(("NBTOOLS_OPENLINEAGE_", "OPENLINEAGE"))]:
        monkeypatch.delenv(name)
    monkeypatch.delenv("NBTOOLS_CONFIG", raising=False)
    monkeypatch.setenv("NBTOOLS_OPENLINEAGE_TRANSPORT", "file")
    monkeypatch.setenv("NBTOOLS_OPENLINEAGE_FILE", str(tmp_path / "lineage.jsonl"))
    current.cache_clear()
    yield tmp_path / "lineage.jsonl"
    emitter.shutdown()
    current.cache_clear()


def emitting() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "nbtools-openlineage" and t.is_alive()]


def test_each_shutdown_sends_what_is_queued_and_ends_its_thread(lines: Path) -> None:
    """Before, each shutdown left its thread waiting for events for ever: one more thread
    per shutdown (a server reloading its settings, a test per case)."""
    for state in ("START", "COMPLETE", "START"):
        emitter.emit(
            emitter.run_event(state, FACTS, [], "2026-01-01T00:00:00+00:00", "n", RUN_UUID)
        )
        assert len(emitting()) == 1
        emitter.shutdown()
        assert emitting() == []
    events = [json.loads(line) for line in lines.read_text().splitlines()]
    assert [event["eventType"] for event in events] == ["START", "COMPLETE", "START"]


def test_custom_facets_point_to_their_schema(lines: Path) -> None:
    """Each custom facet's ``_schemaURL`` is the identity of the schema nbtools ships
    (``facets.json``'s ``$id``) and a JSON Pointer to the facet's definition, which the facet
    keeps. It was a URN that named no schema."""
    from jsonschema import Draft202012Validator

    schema = json.loads((Path(emitter.__file__).parent / "facets.json").read_text())
    Draft202012Validator.check_schema(schema)
    emitter.emit(emitter.run_event("START", FACTS, [], "2026-01-01T00:00:00+00:00", "n", RUN_UUID))
    emitter.shutdown()
    [event] = [json.loads(line) for line in lines.read_text().splitlines()]
    facets = {**event["run"]["facets"], **event["job"]["facets"]}
    for name in ("nbtools_run", "nbtools_notebook"):
        document, pointer = facets[name]["_schemaURL"].split("#")
        assert document == schema["$id"]
        assert document.startswith("urn:jupyter-nbtools:")
        definition = schema["$defs"][pointer.removeprefix("/$defs/")]
        Draft202012Validator({**definition, "$defs": schema["$defs"]}).validate(facets[name])
