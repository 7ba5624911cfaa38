"""The record of a run's data uses: ``nbtools.data.path`` appends each use to the file
``$NBTOOLS_DATA_USES`` names, and the run's end stores what it holds with what the executed
notebook shows, so a use whose output a cell hid is still the run's (no kernel here: the
worker's steps are the store calls a worker makes)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from nbtools import jobs
from nbtools.config import DATA_USES_FILE, DATA_USES_VARIABLE
from nbtools.data.catalog import add_dataset, dataset_spec, edit_dataset, get_dataset
from nbtools.data.notebook import USE_MIME, path
from nbtools.data.notebook import open as open_dataset
from nbtools.data.policy import refusal
from nbtools.data.tables import RunDatasetRecord
from nbtools.data.usage import dataset_usage
from nbtools.data.uses import DataUse, refusals_in_record, uses_in_record
from nbtools.errors import NbtoolsError, PolicyRefusedError
from nbtools.jobs import run_files, runs
from nbtools.jobs.submit import queue_run
from nbtools.project import Project
from tests.conftest import NotebookFactory, make_notebook


@pytest.fixture
def catalogued(project: Project) -> Project:
    for name, location in (("customers", "c.csv"), ("scores", "s.csv")):
        (project.root / location).write_text("id\n1\n")
        add_dataset(project, dataset_spec(project, name, {"location": location}))
    return project


CUSTOMERS = {
    "dataset": "customers",
    "mode": "read",
    "classification": "internal",
    "location": "c.csv",
}


def test_path_appends_each_use_to_the_runs_record(
    catalogued: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = tmp_path / "out" / DATA_USES_FILE
    record.parent.mkdir()
    monkeypatch.setenv("NBTOOLS_ROOT", str(catalogued.root))
    path("customers")  # outside a run: no record
    assert not record.exists()

    monkeypatch.setenv(DATA_USES_VARIABLE, str(record))
    path("customers")
    path("customers")
    with open_dataset("scores", "w") as file:
        file.write("id\n2\n")
    lines = [json.loads(line) for line in record.read_text().splitlines()]
    uids = {name: get_dataset(catalogued, name).uid for name in ("customers", "scores")}
    customers = {**CUSTOMERS, "dataset_uid": uids["customers"]}  # the dataset's identity too
    scores = {**customers, "dataset": "scores", "mode": "write", "location": "s.csv"}
    scores["dataset_uid"] = uids["scores"]
    assert lines == [customers, scores]  # a use once, however often it is made
    assert [use.dataset for use in uses_in_record(record.read_bytes())] == ["customers", "scores"]
    following = tmp_path / "next" / DATA_USES_FILE  # a kernel runs one notebook; still
    following.parent.mkdir()
    monkeypatch.setenv(DATA_USES_VARIABLE, str(following))
    path("customers")
    assert [json.loads(line) for line in following.read_text().splitlines()] == [customers]


def test_a_use_that_cannot_be_recorded_stops_the_notebook(
    catalogued: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NBTOOLS_ROOT", str(catalogued.root))
    monkeypatch.setenv(DATA_USES_VARIABLE, str(tmp_path / "gone" / DATA_USES_FILE))
    with pytest.raises(NbtoolsError, match=r"Cannot record the use of dataset 'customers'"):
        path("customers")


def test_in_a_run_a_use_its_purpose_does_not_allow_is_refused_and_recorded_as_refused(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a job run's kernel (``$NBTOOLS_DATA_USES`` set) a use that only warned raises the
    refusal, and the record keeps it apart from the uses the run made, also after the same
    use was allowed (the catalog changed in between)."""
    (project.root / "c.csv").write_text("id\n1\n")
    spec = {"location": "c.csv", "classification": "personal", "purposes": ["churn"]}
    add_dataset(project, dataset_spec(project, "customers", spec))
    record = tmp_path / DATA_USES_FILE
    monkeypatch.setenv("NBTOOLS_ROOT", str(project.root))
    monkeypatch.setenv("NBTOOLS_PURPOSE", "churn")
    monkeypatch.setenv(DATA_USES_VARIABLE, str(record))
    path("customers")
    edit_dataset(project, "customers", {"purposes": ["billing"]})
    for _ in range(2):
        with pytest.raises(PolicyRefusedError, match=r"'churn': its allowed purposes are billing"):
            path("customers")
    lines = [json.loads(line) for line in record.read_text().splitlines()]
    assert [line.get("refused", "") for line in lines] == [
        "",
        refusal("customers", "personal", ["billing"], "churn"),
    ]
    raw = record.read_bytes()
    assert [(use.dataset, use.mode) for use in uses_in_record(raw)] == [("customers", "read")]
    assert [(use.dataset, use.mode) for use in refusals_in_record(raw)] == [("customers", "read")]
    assert refusals_in_record(raw[: raw.index(b"\n") + 1]) == []


def test_a_record_is_read_line_by_line() -> None:
    scores = {**CUSTOMERS, "dataset": "scores", "mode": "write"}
    raw = "\n".join(
        [
            json.dumps(CUSTOMERS),
            json.dumps({**CUSTOMERS, "mode": "delete"}),  # no such mode
            json.dumps(["customers"]),
            json.dumps({"dataset": "x"}),
            "",
            json.dumps(CUSTOMERS),
            json.dumps(scores),
            '{"dataset": "cut',  # a write stopped half-way
        ]
    ).encode()
    assert uses_in_record(raw) == [DataUse(**CUSTOMERS), DataUse(**scores)]
    assert uses_in_record(b"\xff\xfe") == []
    assert uses_in_record(b"") == []


def end_run(project: Project, out: Path, notebook: dict[str, object] | None) -> int:
    """A run of ``nb.ipynb`` that ends having written ``notebook`` (if any) into ``out``."""
    run_id = queue_run(project, "nb.ipynb", {}).id
    assert runs.claim(project.store, run_id, "worker-1", lease_seconds=30) is not None
    if notebook is not None:
        (out / "nb.ipynb").write_text(json.dumps(notebook))
    outputs = run_files.written_outputs(out, "nb.ipynb")
    assert runs.finish(project.store, run_id, "worker-1", "succeeded", output_dir=str(out),
                       outputs=outputs)  # fmt: skip
    return run_id


def test_a_runs_end_stores_the_uses_it_recorded_and_showed(
    catalogued: Project, notebook_factory: NotebookFactory, tmp_path: Path
) -> None:
    """Before, only the uses shown in the executed notebook counted: a ``%%capture`` cell or
    ``clear_output()`` hid personal data from erasure and retention."""
    notebook_factory("nb.ipynb", [("code", "1", [])])
    out = tmp_path / "out"
    out.mkdir()
    (out / DATA_USES_FILE).write_text(json.dumps(CUSTOMERS) + "\n" + json.dumps(CUSTOMERS))
    shown = make_notebook([("code", "x", [])])
    scores = {**CUSTOMERS, "dataset": "scores", "mode": "write", "location": "s.csv"}
    shown["cells"][0]["outputs"] = [  # type: ignore[index]
        {"output_type": "display_data", "metadata": {}, "data": {USE_MIME: scores}},
        {"output_type": "display_data", "metadata": {}, "data": {USE_MIME: CUSTOMERS}},
    ]
    run_id = end_run(catalogued, out, shown)
    assert jobs.show_run(catalogued, run_id).extra["datasets"] == [CUSTOMERS, scores]
    assert [usage.run_id for usage in dataset_usage(catalogued, "customers")] == [run_id]
    # a use recorded without its dataset's identity (an older nbtools in the kernel) is
    # given that of the dataset catalogued under its name as the run ends
    with catalogued.store.session() as session:
        stored = session.execute(
            select(RunDatasetRecord.dataset, RunDatasetRecord.dataset_uid).where(
                RunDatasetRecord.run_id == run_id
            )
        ).all()
        assert dict(stored) == {
            name: get_dataset(catalogued, name).uid for name in ("customers", "scores")
        }

    # a run that failed before writing its notebook still has what it recorded
    early = tmp_path / "early"
    early.mkdir()
    (early / DATA_USES_FILE).write_text(json.dumps(CUSTOMERS) + "\n")
    failed = end_run(catalogued, early, None)
    assert jobs.show_run(catalogued, failed).extra["datasets"] == [CUSTOMERS]
    # and a run that used no dataset, none
    nothing = tmp_path / "nothing"
    nothing.mkdir()
    assert (
        jobs.show_run(catalogued, end_run(catalogued, nothing, shown | {"cells": []})).extra[
            "datasets"
        ]
        == []
    )
