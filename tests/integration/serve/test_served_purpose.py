"""A served package using a dataset that needs a purpose: the extraction's ``--purpose`` is
checked, not kept in the package, so the service's uses warn (``DataUseWarning``) unless it
runs with ``$NBTOOLS_PURPOSE``. The warning asked to "give the run, job or package one",
which no option of ``nbtools serve`` can; it names the variable that can."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner

from nbtools.cli.app import cli
from tests.conftest import NotebookFactory
from tests.integration.serve.conftest import RunningService

CELLS = [
    ("code", "import nbtools.data", ["export"]),
    (
        "code",
        "def lookup(i: int) -> str:\n"
        "    with open(nbtools.data.path('pii')) as rows:\n"
        "        return rows.read().splitlines()[i]",
        ["export", "serve"],
    ),
]


def test_a_served_package_is_given_its_purpose_by_the_variable(
    tmp_path: Path, notebook_factory: NotebookFactory, serve: Callable[..., RunningService]
) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "pii.csv").write_text("id,email\n1,person@example.org\n")
    runner = CliRunner()
    added = runner.invoke(cli, ["--root", str(tmp_path), "data", "add", "pii", "data/pii.csv",
                                "--classification", "personal", "--purpose", "churn-model"])  # fmt: skip
    assert added.exit_code == 0, added.output
    notebook = notebook_factory("piisvc.ipynb", CELLS)
    extracted = runner.invoke(cli, ["--root", str(tmp_path), "extract", str(notebook), "-o",
                                    str(tmp_path / "ppkg"), "--purpose", "churn-model",
                                    "--lineage", "off"])  # fmt: skip
    assert extracted.exit_code == 0, extracted.output
    told = {}
    for purpose in ("", "churn-model"):
        env = {"NBTOOLS_ROOT": str(tmp_path), "NBTOOLS_PURPOSE": purpose}
        service = serve(tmp_path / "ppkg", env=env)
        with service.client() as client:
            assert client.post("/lookup", json={"i": 1}).json() == "1,person@example.org"
        told[purpose] = service.stop()
    assert "DataUseWarning" in told[""], told[""]
    assert "or set $NBTOOLS_PURPOSE where the code runs (a served package" in told[""]
    assert "DataUseWarning" not in told["churn-model"], told["churn-model"]
