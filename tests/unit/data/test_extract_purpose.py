"""``nbtools extract`` checks the notebook's data like a job's: a dataset used outside its
allowed purposes refuses the extraction (exit 2, nothing written, audited); undeclared data is
reported."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from nbtools import audit
from nbtools.cli.app import cli
from nbtools.project import Project
from tests.conftest import NotebookFactory

CELLS = [
    ("code", "import nbtools.data\nimport pandas as pd", []),
    ("code", "people = pd.read_csv(nbtools.data.path('customers'))", []),
    ("code", "other = pd.read_csv('data/other.csv')", []),
    ("code", "def double(x):\n    return 2 * x", ["export"]),
]


def nbtools(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--root", str(root), *args])


def test_extract_checks_the_purpose(tmp_path: Path, notebook_factory: NotebookFactory) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "customers.csv").write_text("id\n1\n")
    added = nbtools(
        tmp_path, "data", "add", "customers", "data/customers.csv",
        "--classification", "personal", "--purpose", "churn-model",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    nb = notebook_factory("churn.ipynb", CELLS)

    for purpose in (("--purpose", "ads"), ()):
        refused = nbtools(tmp_path, "--actor", "eve", "extract", str(nb), "-o", "pkg", *purpose)
        assert refused.exit_code == 2, refused.output
        assert "'customers'" in refused.output
        assert "churn-model" in refused.output
    assert not (tmp_path / "pkg").exists()
    project = Project(tmp_path)
    try:
        entries = audit.list_entries(project, action="policy.refuse")
    finally:
        project.close()
    assert [(e.actor, e.summary["purpose"], e.summary["during"]) for e in entries] == [
        ("eve", None, "extract"),
        ("eve", "ads", "extract"),
    ]

    out = tmp_path / "pkg"
    done = nbtools(
        tmp_path, "extract", str(nb), "-o", str(out), "--purpose", "churn-model",
        "--lineage", "off", "--json",
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    data = json.loads(done.stdout)["data"]
    assert [(u["dataset"], u["how"]) for u in data["uses"]] == [("customers", "declared")]
    assert data["warnings"] == ["undeclared data: 'data/other.csv' at cell 3, line 1"]
    plain = nbtools(
        tmp_path, "extract", str(nb), "-o", str(out), "--purpose", "churn-model",
        "--lineage", "off", "--check",
    )  # fmt: skip
    assert plain.exit_code == 0, plain.output
    assert "undeclared data: 'data/other.csv'" in plain.stderr


def test_a_notebook_outside_the_project_is_not_checked(
    tmp_path: Path, notebook_factory: NotebookFactory
) -> None:
    nb = notebook_factory("churn.ipynb", CELLS)
    elsewhere = tmp_path / "project"
    elsewhere.mkdir()
    done = nbtools(elsewhere, "extract", str(nb), "-o", str(tmp_path / "pkg"), "--json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["data"] is None


def test_the_manifest_keeps_the_purpose_and_a_check_sees_another_as_stale(
    tmp_path: Path, notebook_factory: NotebookFactory
) -> None:
    """The purpose was checked, then forgotten: the package could not say what it was
    extracted for, and a check for another purpose found it up to date."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "scores.csv").write_text("id\n1\n")
    added = nbtools(tmp_path, "data", "add", "scores", "data/scores.csv",
                    "--purpose", "churn-model", "--purpose", "billing")  # fmt: skip
    assert added.exit_code == 0, added.output
    cells = [("code", "import nbtools.data\nscores = nbtools.data.path('scores')", []),
             ("code", "def double(x):\n    return 2 * x", ["export"])]  # fmt: skip
    nb = notebook_factory("churn.ipynb", cells)
    out = tmp_path / "pkg"

    def extract(*args: str) -> Result:
        return nbtools(tmp_path, "extract", str(nb), "-o", str(out), "--lineage", "off", *args)

    assert extract("--purpose", "churn-model").exit_code == 0
    manifest = out / ".nbtools-extract.json"
    assert json.loads(manifest.read_text())["purpose"] == "churn-model"
    assert extract("--purpose", "churn-model", "--check").exit_code == 0
    other = extract("--purpose", "billing", "--check")
    assert other.exit_code == 1, other.output
    lines = other.stdout.splitlines()
    assert '-  "purpose": "churn-model"' in lines
    assert '+  "purpose": "billing"' in lines
    assert "  changed   .nbtools-extract.json" in lines
    assert "1 file(s) out of date with the notebook" in other.stderr
    as_json = json.loads(extract("--purpose", "billing", "--check", "--json").stdout)
    assert {"path": ".nbtools-extract.json", "status": "changed"} in as_json["files"]
    assert json.loads(manifest.read_text())["purpose"] == "churn-model"  # a check writes nothing

    written = extract("--purpose", "billing")
    assert written.exit_code == 0, written.output
    assert "  changed   .nbtools-extract.json" in written.stdout.splitlines()
    assert json.loads(manifest.read_text())["purpose"] == "billing"
    assert extract("--purpose", "billing", "--check").exit_code == 0
