"""A run's datasets: ``nbtools.data.path``/``open`` in a real kernel, recorded in its lineage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from nbtools.cli.app import cli
from tests.conftest import NotebookFactory

pytestmark = pytest.mark.slow


def nbtools(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--root", str(root), *args])


def test_a_run_records_what_it_read_and_wrote(
    tmp_path: Path, notebook_factory: NotebookFactory
) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "customers.csv").write_text("id,email\n1,a@b.c\n2,d@e.f\n")
    for args in (
        ("customers", "data/customers.csv", "--classification", "personal", "--purpose", "churn"),
        ("scores", "data/scores.csv"),
        ("unused", "data/unused.csv"),
    ):
        assert nbtools(tmp_path, "data", "add", *args).exit_code == 0
    notebook_factory(
        "nb.ipynb",
        [
            (
                "code",
                "import csv, nbtools.data\n"
                "rows = list(csv.reader(open(nbtools.data.path('customers'))))\n"
                "again = nbtools.data.path('customers')",
                [],
            ),
            (
                "code",
                "with nbtools.data.open('scores', 'wb') as f:\n    f.write(b'id,score\\n1,0.5\\n')",
                [],
            ),
        ],
    )
    result = nbtools(tmp_path, "run", "nb.ipynb", "--json")
    assert result.exit_code == 0, result.output
    model = json.loads(result.stdout)
    assert model["datasets"] == [
        {
            "dataset": "customers",
            "mode": "read",
            "classification": "personal",
            "location": "data/customers.csv",
        },
        {"dataset": "scores", "mode": "write", "classification": "internal",
         "location": "data/scores.csv"},
    ]  # fmt: skip
    assert (tmp_path / "data" / "scores.csv").read_text().startswith("id,score")
    shown = nbtools(tmp_path, "runs", "show", str(model["id"]))
    assert "customers (read, personal)" in shown.output
    assert "scores (write, internal)" in shown.output
    # removing a dataset from the catalog keeps it in the run's history
    assert nbtools(tmp_path, "data", "remove", "customers").exit_code == 0
    listed = json.loads(nbtools(tmp_path, "runs", "list", "--json").stdout)
    assert [use["dataset"] for use in listed[0]["datasets"]] == ["customers", "scores"]


def test_an_unknown_dataset_fails_the_run_with_a_hint(
    tmp_path: Path, notebook_factory: NotebookFactory
) -> None:
    notebook_factory("nb.ipynb", [("code", "import nbtools\nnbtools.data.path('nope')", [])])
    result = nbtools(tmp_path, "run", "nb.ipynb", "--json")
    assert result.exit_code == 1
    model = json.loads(result.stdout)
    assert "No dataset named 'nope'" in model["error"]["message"]
    assert model["datasets"] == []
