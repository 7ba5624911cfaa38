"""``MetricsSettings.max_value_bytes`` holds for ``nbtools run`` as for a scheduler's runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from nbtools.cli.app import cli
from nbtools.metrics.series import run_metrics
from nbtools.project import Project
from tests.conftest import NotebookFactory

pytestmark = pytest.mark.slow

RECORDING = """
import os
from nbtools import record
print("limit", os.environ.get("NBTOOLS_METRIC_MAX_BYTES"))
record("small", "a" * 100)
record("large", "b" * 20000)
"""


@pytest.mark.parametrize(
    ("limit", "stored"), [(50, []), (30000, ["large", "small"])], ids=["lowered", "raised"]
)
def test_nbtools_run_records_and_harvests_up_to_the_configured_limit(
    project: Project,
    notebook_factory: NotebookFactory,
    tmp_path: Path,
    limit: int,
    stored: list[str],
) -> None:
    """Only the scheduler exported the limit: `nbtools run` kept the default 16 KiB, storing
    values over a lowered limit and refusing (losing) those under a raised one."""
    notebook_factory("s.ipynb", [("code", RECORDING, [])])
    config = tmp_path / "cfg.py"
    config.write_text(f"c.MetricsSettings.max_value_bytes = {limit}\n")
    args = ["--root", str(tmp_path), "--config", str(config), "run", "s.ipynb", "--json"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    run = json.loads(result.stdout)
    with project.store.session() as session:
        metrics = run_metrics(session, run["id"])["metrics"]
    assert sorted(m["name"] for m in metrics) == stored
    executed = json.loads(Path(run["output_notebook"]).read_text())
    printed = "".join("".join(o.get("text", "")) for o in executed["cells"][0]["outputs"])
    assert f"limit {limit}" in printed
