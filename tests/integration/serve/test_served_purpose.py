"""A served package using a dataset that needs a purpose is served for the purpose it was
extracted for (its manifest keeps it) unless ``$NBTOOLS_PURPOSE`` says otherwise, and the log
says which at start-up; a call using data that purpose does not allow fails (403, the reason
logged, the refusal in the audit trail), and the uses of the others are logged and recorded
with the service's minutes, as a run's are. The extraction's ``--purpose`` was checked, then
forgotten: the service warned (``DataUseWarning``) on each use unless it ran with the
variable, went on serving the data whatever purpose it named, and its uses were recorded
nowhere; later a refused call was logged but not in the audit trail."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from nbtools.cli.app import cli
from tests.conftest import NotebookFactory, nbtools
from tests.integration.serve.conftest import RunningService

CELLS = [
    ("code", "import nbtools.data", ["export"]),
    (
        "code",
        "def lookup(i: int) -> str:\n"
        "    with open(nbtools.data.path('pii')) as rows:\n"
        "        return rows.read().splitlines()[i]\n\n\n"
        "def quietly(i: int) -> str:\n"
        "    try:\n"
        "        return lookup(i)\n"
        "    except Exception:  # the refusal too: the call fails all the same\n"
        "        return 'nothing'",
        ["export", "serve"],
    ),
]


@pytest.fixture
def pii_package(tmp_path: Path, notebook_factory: NotebookFactory) -> Path:
    """The package of a notebook reading personal data, extracted for churn-model."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "pii.csv").write_text("id,email\n1,person@example.org\n")
    added = nbtools(tmp_path, "data", "add", "pii", "data/pii.csv",
                    "--classification", "personal", "--purpose", "churn-model")  # fmt: skip
    assert added.exit_code == 0, added.output
    notebook = notebook_factory("piisvc.ipynb", CELLS)
    extracted = CliRunner().invoke(cli, ["--root", str(tmp_path), "extract", str(notebook), "-o",
                                         str(tmp_path / "ppkg"), "--purpose", "churn-model",
                                         "--lineage", "off"])  # fmt: skip
    assert extracted.exit_code == 0, extracted.output
    return tmp_path / "ppkg"


def test_a_served_package_serves_for_the_purpose_it_was_extracted_for(
    tmp_path: Path, pii_package: Path, serve: Callable[..., RunningService]
) -> None:
    told = {}
    for purpose in ("", "churn-model"):
        env = {"NBTOOLS_ROOT": str(tmp_path), "NBTOOLS_PURPOSE": purpose}
        service = serve(pii_package, env=env)
        with service.client() as client:
            assert client.post("/lookup", json={"i": 1}).json() == "1,person@example.org"
            assert client.get("/info").json()["purpose"] == "churn-model"
        told[purpose] = service.stop()
    assert (
        "INFO: nbtools.serve: serving for the purpose 'churn-model', the one the package was "
        "extracted for ($NBTOOLS_PURPOSE is not set)" in told[""]
    ), told[""]
    assert "serving for the purpose 'churn-model' ($NBTOOLS_PURPOSE)" in told["churn-model"]
    for output in told.values():
        assert "DataUseWarning" not in output, output
        assert (
            "INFO: nbtools.serve: /lookup read dataset pii (personal) for the purpose "
            "'churn-model' (logged once per dataset and worker)" in output
        ), output


def test_a_call_using_data_the_services_purpose_does_not_allow_fails(
    tmp_path: Path, pii_package: Path, serve: Callable[..., RunningService]
) -> None:
    env = {"NBTOOLS_ROOT": str(tmp_path), "NBTOOLS_PURPOSE": "ads"}
    service = serve(pii_package, env=env)
    with service.client() as client:
        for endpoint in ("/lookup", "/quietly"):  # quietly catches the refusal: no matter
            refused = client.post(endpoint, json={"i": 1})
            assert refused.status_code == 403, refused.text
            body = refused.json()
            assert (body["error"], body["details"]["purpose"]) == ("data-use-refused", "ads")
            assert "person@example.org" not in refused.text
            assert "The service log has the reason under this error id" in body["message"]
    told = service.stop()
    assert (
        "WARNING: nbtools.serve: serving for the purpose 'ads' of $NBTOOLS_PURPOSE, not "
        "'churn-model', the one the package was extracted for" in told
    ), told
    assert (
        f"ERROR: nbtools.serve: error {body['details']['error_id']} in /quietly: data use "
        "refused: Dataset 'pii' (personal) may not be used for the purpose 'ads'" in told
    ), told
    assert "DataUseWarning" not in told
    refusals = json.loads(
        nbtools(tmp_path, "audit", "list", "--action", "policy.refuse", "--json").stdout
    )
    assert [(entry["target"], entry["summary"]["function"]) for entry in refusals] == [
        ("service piisvc", "quietly"),  # newest first
        ("service piisvc", "lookup"),
    ]
    assert refusals[0]["summary"] == {
        "purpose": "ads",
        "refused": ["pii"],
        "during": "serve",
        "function": "quietly",
        "path": "/quietly",
        "mode": "read",
        "outcome": "403 data-use-refused",
        "error_id": body["details"]["error_id"],
    }


def test_the_services_uses_are_recorded_with_its_minutes(
    tmp_path: Path, pii_package: Path, serve: Callable[..., RunningService]
) -> None:
    """``data usage`` lists the service's minutes that read the dataset, and ``runs show``
    their datasets, as for a run."""
    store = f"sqlite:///{tmp_path / '.nbtools' / 'nbtools.db'}"
    service = serve(pii_package, "--record-to", store, env={"NBTOOLS_ROOT": str(tmp_path)})
    with service.client() as client:
        for _ in range(2):
            assert client.post("/lookup", json={"i": 1}).status_code == 200
    told = service.stop()  # the minute in progress is written at shutdown
    assert told.count("/lookup read dataset pii") == 1, told  # logged once
    usage = json.loads(nbtools(tmp_path, "data", "usage", "pii", "--json").stdout)
    [job] = usage["jobs"]
    assert job["name"] == "service:piisvc"
    assert "runs" in job["evidence"]
    minutes = [run["run_id"] for run in usage["runs"]]
    assert 1 <= len(minutes) <= 2  # the calls may straddle a minute
    shown = json.loads(nbtools(tmp_path, "runs", "show", str(minutes[0]), "--json").stdout)
    assert [(use["dataset"], use["mode"]) for use in shown["datasets"]] == [("pii", "read")]
