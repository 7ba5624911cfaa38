"""``nbtools data export`` and ``data sync`` as a user runs them: what export refuses to write
over, and what sync says of a file declaring nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import make_notebook, nbtools

NOTEBOOK = json.dumps(make_notebook([("code", "x = 1", [])]))


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A project whose catalog holds one dataset, its store made by that first command."""
    assert nbtools(tmp_path, "data", "add", "customers", "data/c.csv").exit_code == 0
    (tmp_path / "analysis.ipynb").write_text(NOTEBOOK)
    (tmp_path / "notes.yaml").write_text("owner: data-team\n")
    return tmp_path


def files_of(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (
            ".nbtools/nbtools.db",
            ".nbtools/nbtools.db is in the nbtools store directory {store}, which nbtools "
            "manages: choose another place. See --file.",
        ),
        (
            "analysis.ipynb",
            "analysis.ipynb exists and was not written by nbtools: choose another file, or "
            "force replacing it. See --file or --force.",
        ),
        (
            "notes.yaml",
            "notes.yaml exists and was not written by nbtools: choose another file, or force "
            "replacing it. See --file or --force.",
        ),
    ],
)
def test_export_refuses_the_store_and_a_file_that_is_no_catalog(
    root: Path, target: str, message: str
) -> None:
    """The store (every later command: "file is not a database") and a notebook (its cells
    replaced by ``datasets: {}``) were overwritten, exit 0."""
    before = files_of(root)
    refused = nbtools(root, "data", "export", "--file", target)
    assert refused.exit_code == 2, refused.output
    said = " ".join(refused.stderr.split())
    assert message.format(store=root / ".nbtools") in said
    assert files_of(root) == before
    listed = nbtools(root, "data", "list", "--json")
    assert [dataset["name"] for dataset in json.loads(listed.stdout)] == ["customers"]
    as_json = json.loads(nbtools(root, "data", "export", "--file", target, "--json").stdout)
    assert as_json["details"]["field"] == "path"


def test_export_replaces_a_catalog_file_and_with_force_any_file(root: Path) -> None:
    (root / "datasets.yaml").write_text("datasets:\n  old:\n    location: data/old.csv\n")
    assert nbtools(root, "data", "export").exit_code == 0  # a catalog file: replaced
    assert "customers:" in (root / "datasets.yaml").read_text()
    assert "old:" not in (root / "datasets.yaml").read_text()
    (root / "empty.yaml").write_text("")  # a catalog file declaring nothing
    assert nbtools(root, "data", "export", "--file", "empty.yaml").exit_code == 0
    forced = nbtools(root, "data", "export", "--file", "notes.yaml", "--force")
    assert (forced.exit_code, forced.stdout) == (0, "Wrote notes.yaml.\n")
    assert "customers:" in (root / "notes.yaml").read_text()
    in_store = nbtools(root, "data", "export", "--file", ".nbtools/catalog.yaml", "--force")
    assert in_store.exit_code == 2  # nbtools' own folder: never, forced or not
    made = nbtools(root, "data", "export", "--file", "new/folder/datasets.yaml")
    assert made.exit_code == 0, made.output
    assert sorted(p.name for p in (root / "new/folder").iterdir()) == ["datasets.yaml"]


@pytest.mark.parametrize(
    ("content", "prune", "said"),
    [
        ("", False, "empty.yaml declares no datasets; nothing changed.\n"),
        ("datasets:\n", False, "empty.yaml declares no datasets; nothing changed.\n"),
        ("datasets: {}\n", True, "empty.yaml declares no datasets.\nremoved: customers\n"),
    ],
)
def test_sync_of_a_file_declaring_no_datasets_says_so(
    root: Path, content: str, prune: bool, said: str
) -> None:
    """It printed nothing at all (exit 0), where every other sync says what it did."""
    (root / "empty.yaml").write_text(content)
    args = ["data", "sync", "--file", "empty.yaml", *(["--prune"] if prune else [])]
    synced = nbtools(root, *args)
    assert synced.exit_code == 0, synced.output
    assert synced.stdout.startswith(said)
    if not prune:
        assert "not in file: customers" in synced.stdout
