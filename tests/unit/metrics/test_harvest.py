"""Harvesting from hand-written outputs: the forms a real kernel run does not produce here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from nbtools.jobs.storage import StoredFile
from nbtools.metrics.harvest import harvest_notebook
from nbtools.metrics.pipeline import harvest_file
from nbtools.metrics.values import METRIC_MIME
from tests.conftest import make_notebook


def notebook_with_outputs(*outputs: dict[str, Any]) -> dict[str, Any]:
    nb = make_notebook([("markdown", "# title", []), ("code", "...", [])])
    nb["cells"][1]["outputs"] = [
        {"output_type": "display_data", "data": data, "metadata": {}} for data in outputs
    ]
    return nb


def ours(name: object, value: object) -> dict[str, Any]:
    return {METRIC_MIME: {"name": name, "value": value, "unit": None, "version": 1}}


def test_papermill_record_outputs_are_read() -> None:
    nb = notebook_with_outputs({"application/papermill.record+json": {"loss": 0.2, "n": 3}})
    metrics = harvest_notebook(nb).metrics
    assert {name: (m.value, m.source, m.cell_index) for name, m in metrics.items()} == {
        "loss": (0.2, "papermill", 1),
        "n": (3, "papermill", 1),
    }


def test_scraps_stored_outside_the_notebook_are_reported_as_skipped() -> None:
    scrap = {"name": "frame", "encoder": "pandas", "version": 2, "store": "ext"}
    harvest = harvest_notebook(
        notebook_with_outputs({"application/scrapbook.scrap.pandas+json": scrap})
    )
    assert harvest.metrics == {}
    assert harvest.problems == [
        "Cell 1: scrap 'frame' uses scrapbook's 'pandas' encoder (data kept outside the "
        "notebook); it was skipped."
    ]


def test_bad_outputs_become_problems_and_do_not_stop_the_harvest() -> None:
    nb = notebook_with_outputs(
        ours("bad name", 1), ours("big", "x" * 500), ours("good", 1), {"text/plain": "x"}
    )
    harvest = harvest_notebook(nb, max_value_bytes=100)
    assert list(harvest.metrics) == ["good"]
    assert harvest.problems[0].startswith("Cell 1: Invalid metric name 'bad name'")
    assert (
        "'big' was not recorded: its value is 502 bytes, over the limit of 100"
        in (harvest.problems[1])
    )


def test_values_record_refuses_are_problems_of_the_harvest_not_its_failure() -> None:
    """A lone surrogate (a notebook's JSON may hold "\\ud800") raised UnicodeEncodeError and
    lost the whole harvest; an integer beyond a float's range was kept and failed where its
    number is stored."""
    nb = notebook_with_outputs(
        ours("text", "\ud800"),
        {"application/papermill.record+json": {"big": 10**400, "n": 3}},
        ours("good", 1.5),
    )
    harvest = harvest_notebook(nb)
    assert {name: m.value for name, m in harvest.metrics.items()} == {"n": 3, "good": 1.5}
    assert len(harvest.problems) == 2
    assert "'text' holds the lone surrogate '\\ud800'" in harvest.problems[0]
    assert "'big' is an integer beyond a float's range" in harvest.problems[1]


def test_an_output_notebook_holding_a_lone_surrogate_loses_only_that_value(
    tmp_path: Path,
) -> None:
    """Notebooks holding one are refused where they would be run or extracted; the harvest
    reads its executed notebook keeping the values that hold none."""
    path = tmp_path / "out.ipynb"
    path.write_text(json.dumps(notebook_with_outputs(ours("text", "\ud800"), ours("good", 1.5))))
    harvest = harvest_file(StoredFile(str(path)), max_value_bytes=1000)
    assert {name: m.value for name, m in harvest.metrics.items()} == {"good": 1.5}
    assert "'text' holds the lone surrogate '\\ud800'" in harvest.problems[0]
