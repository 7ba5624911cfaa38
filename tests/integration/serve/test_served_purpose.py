"""A served package using a dataset that needs a purpose is served for the purpose it was
extracted for (its manifest keeps it) unless ``$NBTOOLS_PURPOSE`` says otherwise, and the log
says which at start-up. The extraction's ``--purpose`` was checked, then forgotten: the service
warned (``DataUseWarning``) on each use unless it ran with the variable."""

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


def test_a_served_package_serves_for_the_purpose_it_was_extracted_for(
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
    for purpose in ("", "churn-model", "ads"):
        env = {"NBTOOLS_ROOT": str(tmp_path), "NBTOOLS_PURPOSE": purpose}
        service = serve(tmp_path / "ppkg", env=env)
        with service.client() as client:
            assert client.post("/lookup", json={"i": 1}).json() == "1,person@example.org"
        told[purpose] = service.stop()
    assert (
        "INFO: nbtools.serve: serving for the purpose 'churn-model', the one the package was "
        "extracted for ($NBTOOLS_PURPOSE is not set)" in told[""]
    ), told[""]
    assert "DataUseWarning" not in told[""], told[""]
    assert "serving for the purpose 'churn-model' ($NBTOOLS_PURPOSE)" in told["churn-model"]
    assert "DataUseWarning" not in told["churn-model"], told["churn-model"]
    assert (
        "WARNING: nbtools.serve: serving for the purpose 'ads' of $NBTOOLS_PURPOSE, not "
        "'churn-model', the one the package was extracted for" in told["ads"]
    ), told["ads"]
    assert "DataUseWarning" in told["ads"]
