"""``nbtools data check`` on notebooks that slipped past the usage rule: each uses a dataset
the purpose may not use, which the check must find and refuse (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from nbtools.cli.app import cli
from tests.conftest import NotebookFactory


def nbtools(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--root", str(root), *args])


def check(root: Path, notebook: str, *purpose: str) -> tuple[int, dict[str, Any]]:
    """The exit code of ``data check --json`` and the report it printed."""
    result = nbtools(root, "data", "check", notebook, *purpose, "--json")
    assert result.exit_code in (0, 2), result.output
    return result.exit_code, json.loads(result.stdout)


def add(root: Path, name: str, location: str, *options: str) -> None:
    added = nbtools(root, "data", "add", name, location, *options, "--json")
    assert added.exit_code == 0, added.output


def test_a_dataset_listing_purposes_needs_one_of_them(
    tmp_path: Path, notebook_factory: NotebookFactory
) -> None:
    """Before, an internal dataset listing ``pricing`` was refused for ``marketing`` but
    allowed to a run giving no purpose at all."""
    add(tmp_path, "prices", "data/p.csv", "--classification", "internal", "--purpose", "pricing")
    add(tmp_path, "free", "data/free.csv", "--classification", "public")
    notebook_factory("p.ipynb", [("code", "import nbtools\nnbtools.data.path('prices')", [])])
    notebook_factory("f.ipynb", [("code", "import nbtools\nnbtools.data.path('free')", [])])

    refused = nbtools(tmp_path, "data", "check", "p.ipynb")
    assert refused.exit_code == 2, refused.output
    assert "'prices' (internal) may be used only for the purposes it lists" in refused.stderr
    assert "allowed purposes: pricing" in refused.stderr
    assert "See --purpose." in refused.stderr  # the field named as the CLI's flag
    code, report = check(tmp_path, "p.ipynb")
    assert (code, report["purpose_required"]) == (2, True)
    for purpose, expected in (("marketing", 2), ("pricing", 0)):
        assert check(tmp_path, "p.ipynb", "--purpose", purpose)[0] == expected

    code, report = check(tmp_path, "f.ipynb")
    assert (code, report["purpose_required"]) == (0, False)
    assert [use["refused"] for use in report["uses"]] == [None]


def test_a_second_dataset_at_a_catalogued_location_is_refused(tmp_path: Path) -> None:
    """Before, ``zz_copy`` was stored at ``data/customers.csv`` as public, and a notebook
    opening that file was checked against it: allowed for any purpose."""
    (tmp_path / "data").mkdir()
    (tmp_path / "linkdir").symlink_to(tmp_path / "data")
    add(tmp_path, "customers", "data/customers.csv", "--classification", "personal")
    added = nbtools(
        tmp_path, "data", "add", "zz_copy", "linkdir/customers.csv",
        "--classification", "public", "--json",
    )  # fmt: skip
    assert added.exit_code == 2, added.output
    error = json.loads(added.stdout)
    assert (error["error"], error["details"]["field"]) == ("ConflictError", "location")
    assert error["details"]["dataset"] == "customers"
    listed = nbtools(tmp_path, "data", "list", "--json")
    assert [dataset["name"] for dataset in json.loads(listed.stdout)] == ["customers"]
