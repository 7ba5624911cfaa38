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


M1 = 'import nbtools.data\nt = %time 1+1\ndf = open(nbtools.data.path("customers")).read()\n'


def test_an_ipython_line_hides_no_cell_from_the_check_or_the_run(
    tmp_path: Path, notebook_factory: NotebookFactory
) -> None:
    """Before, the ``%time`` line made the whole cell unparsed: "uses no catalogued dataset",
    and ``nbtools run --purpose marketing`` ran it (and recorded reading customers)."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "customers.csv").write_text("id\n1\n")
    personal = ("--classification", "personal", "--purpose", "billing")
    add(tmp_path, "customers", "data/customers.csv", *personal)
    notebook_factory("m1.ipynb", [("code", M1, [])])
    notebook_factory("m2.ipynb", [("code", "n = len(files) ; %who\nopen('data/x.csv')", [])])

    code, report = check(tmp_path, "m1.ipynb", "--purpose", "marketing")
    assert code == 2
    assert [(use["dataset"], use["cell"], use["line"]) for use in report["uses"]] == [
        ("customers", 0, 3)
    ]
    run = nbtools(tmp_path, "run", "m1.ipynb", "--purpose", "marketing")
    assert run.exit_code == 2, run.output
    assert "'customers' (personal) may not be used for the purpose 'marketing'" in run.stderr
    runs = nbtools(tmp_path, "runs", "list", "--json")
    assert json.loads(runs.stdout) == []  # refused before any run row or kernel

    code, report = check(tmp_path, "m2.ipynb", "--purpose", "marketing")
    assert (code, report["unreadable"]) == (2, [{"cell": 0, "line": 1, "error": "invalid syntax"}])
    assert report["warnings"] == [
        "undeclared data: 'data/x.csv' at cell 1, line 2",  # its other line is still read
        "unreadable cell 1, line 1: invalid syntax (the data it uses cannot be checked)",
    ]
    refused = nbtools(tmp_path, "data", "check", "m2.ipynb", "--purpose", "billing")
    assert refused.exit_code == 0, refused.output  # every dataset allows billing


def test_a_literal_path_through_a_symlink_is_the_dataset(
    tmp_path: Path, notebook_factory: NotebookFactory
) -> None:
    """Before, ``open("linkdir/customers.csv")`` matched no dataset: the run went unchecked."""
    (tmp_path / "data").mkdir()
    (tmp_path / "linkdir").symlink_to(tmp_path / "data")
    add(tmp_path, "customers", "data/customers.csv", "--classification", "personal")
    read = f"open('linkdir/customers.csv')\nopen('{tmp_path}/data/customers.csv')"
    notebook_factory("nb.ipynb", [("code", read, [])])
    code, report = check(tmp_path, "nb.ipynb", "--purpose", "marketing")
    assert code == 2
    assert [found["dataset"] for found in report["undeclared"]] == ["customers", "customers"]


HIDDEN = [
    ("code", "import pandas as pd\nreader = pd.read_csv", []),
    ("code", "loc = 'data/' + 'customers.csv'", []),
    ("code", "people = reader(loc)", []),
    ("code", "other = pd.read_csv(choose_file())", []),
    ("code", "def double(x):\n    return 2 * x", ["export"]),
]


def test_a_dataset_behind_a_name_refuses_check_run_and_extract(
    tmp_path: Path, notebook_factory: NotebookFactory
) -> None:
    """Before, the notebook used "no catalogued dataset": checked, run and extracted for any
    purpose, although it reads customers and a file chosen at run time."""
    add(tmp_path, "customers", "data/customers.csv", "--classification", "personal",
        "--purpose", "billing")  # fmt: skip
    notebook_factory("hidden.ipynb", HIDDEN)

    code, report = check(tmp_path, "hidden.ipynb", "--purpose", "marketing")
    assert code == 2
    assert [(use["dataset"], use["cell"], use["how"]) for use in report["uses"]] == [
        ("customers", 2, "detected")
    ]
    assert report["unresolved"] == [{"cell": 3, "line": 1, "call": "pd.read_csv(choose_file())"}]
    for command in (
        ("run", "hidden.ipynb", "--purpose", "marketing"),
        (
            "extract",
            str(tmp_path / "hidden.ipynb"),
            "-o",
            str(tmp_path / "pkg"),
            "--purpose",
            "marketing",
        ),
    ):
        refused = nbtools(tmp_path, *command)
        assert refused.exit_code == 2, refused.output
        assert "'customers' (personal) may not be used for the purpose 'marketing'" in (
            refused.stderr
        )
        assert "pd.read_csv(choose_file()) (cell 4, line 1)" in refused.stderr
        assert "Traceback" not in refused.output
    assert json.loads(nbtools(tmp_path, "runs", "list", "--json").stdout) == []
    assert not (tmp_path / "pkg").exists()
    assert check(tmp_path, "hidden.ipynb", "--purpose", "billing")[0] == 0


R_NOTEBOOK = {
    "nbformat": 4,
    "nbformat_minor": 5,
    "metadata": {
        "kernelspec": {"name": "ir", "display_name": "R", "language": "R"},
        "language_info": {"name": "R"},
    },
    "cells": [
        {"id": f"c{index}", "cell_type": "code", "source": source, "metadata": {},
         "outputs": [], "execution_count": None}
        for index, source in enumerate([
            "library(readr)",
            'customers <- read.csv("data/customers.csv")',
            "model <- glm(churn ~ ., data = customers)",
            "open_file(path) %>% summary()",
        ])
    ],
}  # fmt: skip


def test_an_r_notebook_is_refused_once_naming_its_language(tmp_path: Path) -> None:
    """Before, ``data check`` listed no dataset and no unreadable cell (no R cell names a
    Python reader), and ``nbtools run`` queued the R notebook for marketing."""
    add(tmp_path, "customers", "data/customers.csv", "--classification", "personal",
        "--purpose", "billing")  # fmt: skip
    (tmp_path / "churn.ipynb").write_text(json.dumps(R_NOTEBOOK))

    code, report = check(tmp_path, "churn.ipynb", "--purpose", "marketing")
    assert (code, report["language"], report["unreadable"], report["uses"]) == (2, "R", [], [])
    shown = nbtools(tmp_path, "data", "check", "churn.ipynb", "--purpose", "marketing").stdout
    assert "uses no catalogued dataset" not in shown  # before: said so, for an R notebook
    assert "but the check could not read all of it" in shown
    assert report["warnings"] == [
        "not read: the notebook's kernel language is R, and the check reads Python only (the "
        "data it uses cannot be checked)"
    ]
    for command in (
        ("data", "check", "churn.ipynb", "--purpose", "marketing"),
        ("run", "churn.ipynb", "--purpose", "marketing"),
        (
            "extract",
            str(tmp_path / "churn.ipynb"),
            "-o",
            str(tmp_path / "pkg"),
            "--purpose",
            "marketing",
        ),
        ("schedule", "add", "churn.ipynb", "--cron", "0 6 * * *"),  # no purpose at all
    ):
        refused = nbtools(tmp_path, *command)
        assert refused.exit_code == 2, refused.output
        assert refused.stderr.count("kernel language is R") == 1
        assert "'customers' (personal)" in refused.stderr
        assert "unreadable" not in refused.stderr
        assert "Traceback" not in refused.output
    assert json.loads(nbtools(tmp_path, "runs", "list", "--json").stdout) == []
    assert json.loads(nbtools(tmp_path, "schedule", "list", "--json").stdout) == []
    assert not (tmp_path / "pkg").exists()
    assert check(tmp_path, "churn.ipynb", "--purpose", "billing")[0] == 0
