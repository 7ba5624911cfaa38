"""``record()`` and scrapbook's ``glue`` in a real kernel run by papermill, then harvested."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from nbtools.metrics.harvest import harvest_notebook
from nbtools.metrics.values import METRIC_MIME
from tests.conftest import make_notebook

pytestmark = pytest.mark.slow

RECORDING = """
from nbtools import record
import scrapbook as sb
record("accuracy", 0.5)
record("accuracy", accuracy, unit="ratio")
record("model", "gbm")
record("converged", True)
record("confusion", {"tp": 5, "fp": 1})
record("too_big", "x" * 200)
sb.glue("rows", 1200)
sb.glue("note", "hello", encoder="text")
"""


def execute(path: Path, tmp_path: Path, **parameters: Any) -> dict[str, Any]:
    import papermill

    out = tmp_path / f"out-{path.name}"
    papermill.execute_notebook(
        str(path), str(out), parameters=parameters, kernel_name="python3", progress_bar=False,
        cwd=str(tmp_path),
    )  # fmt: skip
    return json.loads(out.read_text())


def text(multiline: str | list[str]) -> str:
    """Notebook text fields may be stored as a list of lines."""
    return "".join(multiline) if isinstance(multiline, list) else multiline


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp_path = tmp_path_factory.mktemp("harvest")
    nb = make_notebook(
        [
            ("code", "accuracy = 0.0", ["parameters"]),
            ("code", "import os\nos.environ['NBTOOLS_METRIC_MAX_BYTES'] = '100'", []),
            ("code", RECORDING, []),
        ]
    )
    path = tmp_path / "train.ipynb"
    path.write_text(json.dumps(nb))
    return execute(path, tmp_path, accuracy=0.93)


def test_record_displays_our_mime_type_with_a_text_fallback(executed: dict[str, Any]) -> None:
    outputs = executed["cells"][-1]["outputs"]
    ours = [o for o in outputs if METRIC_MIME in o.get("data", {})]
    assert ours[1]["data"][METRIC_MIME] == {
        "name": "accuracy", "value": 0.93, "unit": "ratio", "version": 1
    }  # fmt: skip
    assert text(ours[1]["data"]["text/plain"]) == "accuracy = 0.93 ratio"


def test_harvest_reads_record_and_glue_with_the_last_value_winning(
    executed: dict[str, Any],
) -> None:
    harvest = harvest_notebook(executed)
    values = {name: (m.value, m.unit, m.source) for name, m in harvest.metrics.items()}
    assert values == {
        "accuracy": (0.93, "ratio", "nbtools"),
        "model": ("gbm", None, "nbtools"),
        "converged": (True, None, "nbtools"),
        "confusion": ({"tp": 5, "fp": 1}, None, "nbtools"),
        "rows": (1200, None, "scrapbook"),
        "note": ("hello", None, "scrapbook"),
    }
    assert harvest.problems == []


def test_a_huge_value_is_refused_but_the_run_goes_on(executed: dict[str, Any]) -> None:
    outputs = executed["cells"][-1]["outputs"]
    stderr = "".join(text(o["text"]) for o in outputs if o.get("name") == "stderr")
    assert "'too_big' was not recorded" in stderr
    assert not executed["metadata"]["papermill"]["exception"]
    assert "rows" in harvest_notebook(executed).metrics  # cells after it ran


def test_a_bad_name_fails_the_cell_with_a_clear_error(tmp_path: Path) -> None:
    from papermill.exceptions import PapermillExecutionError

    nb = make_notebook([("code", "from nbtools import record\nrecord('my metric', 1)", [])])
    path = tmp_path / "bad.ipynb"
    path.write_text(json.dumps(nb))
    with pytest.raises(PapermillExecutionError) as info:
        execute(path, tmp_path)
    assert info.value.ename == "InvalidMetricError"
    assert "Invalid metric name 'my metric'" in info.value.evalue
