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
import os
import sys
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
        "        return 'nothing'\n\n\n"
        "def in_thread(i: int) -> str:\n"
        "    import threading\n\n"
        "    found = {}\n\n"
        "    def read() -> None:\n"
        "        try:\n"
        "            found['row'] = lookup(i)\n"
        "        except Exception as error:\n"
        "            found['row'] = type(error).__name__\n\n"
        "    reader = threading.Thread(target=read, name='reader')\n"
        "    reader.start()\n"
        "    reader.join()\n"
        "    return found['row']",
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


def test_data_used_in_a_thread_a_served_function_starts_is_held_to_the_purpose(
    tmp_path: Path, pii_package: Path, serve: Callable[..., RunningService]
) -> None:
    """A thread does not inherit the call's context: its uses go to the process's sink, held
    to the same purpose. Refused, the thread gets the error (the call, which caught it here,
    is not failed: it may have been answered already), logged and audited. Before, the
    thread read the data whatever the purpose."""
    told = {}
    for purpose in ("ads", "churn-model"):
        service = serve(
            pii_package, env={"NBTOOLS_ROOT": str(tmp_path), "NBTOOLS_PURPOSE": purpose}
        )
        with service.client() as client:
            told[purpose] = client.post("/in_thread", json={"i": 1}).json()
        told[purpose + " log"] = service.stop()
    assert told["ads"] == "PolicyRefusedError"
    assert (
        "ERROR: nbtools.serve: data use refused in thread reader, outside a call: Dataset 'pii' "
        "(personal) may not be used for the purpose 'ads'" in told["ads log"]
    ), told["ads log"]
    assert told["churn-model"] == "1,person@example.org"
    assert (
        "INFO: nbtools.serve: thread reader read dataset pii (personal) for the purpose "
        "'churn-model'" in told["churn-model log"]
    ), told["churn-model log"]
    [refusal] = json.loads(
        nbtools(tmp_path, "audit", "list", "--action", "policy.refuse", "--json").stdout
    )
    assert (refusal["target"], refusal["summary"]) == (
        "service piisvc",
        {
            "purpose": "ads",
            "refused": ["pii"],
            "during": "thread",
            "thread": "reader",
            "mode": "read",
            "outcome": "PolicyRefusedError raised in the thread",
        },
    )


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


#: Module-level code reading the personal dataset as the package is imported: as it is, and
#: catching the refusal (the start is refused all the same).
AT_IMPORT = "import nbtools.data\n\nROWS = open(nbtools.data.path('pii')).read().splitlines()"
CAUGHT = (
    "import nbtools.data\n\ntry:\n    ROWS = open(nbtools.data.path('pii')).read().splitlines()\n"
    "except Exception:\n    ROWS = []"
)


@pytest.mark.parametrize("module_code", [AT_IMPORT, CAUGHT], ids=["raises", "caught"])
def test_data_the_purpose_does_not_allow_used_at_start_up_refuses_the_start(
    tmp_path: Path,
    notebook_factory: NotebookFactory,
    serve: Callable[..., RunningService],
    module_code: str,
) -> None:
    """Uses by the package's module-level code (a model or lookup table loaded at import)
    are held to the service's purpose too: one it does not allow stops the start with exit
    code 2, one log entry naming the dataset and the purpose, and an audit entry; with two
    workers no worker is started again. Before, they were not seen (a warning at most), and
    the service served the data read for a purpose it was never allowed for."""
    _rows_package(tmp_path, notebook_factory, module_code)
    for workers in ("1", "2"):
        env = {"NBTOOLS_ROOT": str(tmp_path), "NBTOOLS_PURPOSE": "ads"}
        service = serve(tmp_path / "rpkg", "--workers", workers, env=env)
        told = service.stop()
        assert service.process.returncode == 2, told
        # each worker that got that far tells it (the supervisor stops the others)
        assert 1 <= told.count("start-up of rowsvc failed: data use refused:") <= int(workers)
        assert (
            "ERROR: nbtools.serve: start-up of rowsvc failed: data use refused: Dataset 'pii' "
            "(personal) may not be used for the purpose 'ads'" in told
        ), told
        assert "Child process died" not in told, told  # no worker started again
    refusals = json.loads(
        nbtools(tmp_path, "audit", "list", "--action", "policy.refuse", "--json").stdout
    )
    assert 2 <= len(refusals) <= 3  # one per worker refused
    assert refusals[0]["target"] == "service rowsvc"
    assert refusals[0]["summary"] == {
        "purpose": "ads",
        "refused": ["pii"],
        "during": "start-up",
        "mode": "read",
        "outcome": "start-up refused: exit code 2",
    }

    service = serve(tmp_path / "rpkg", env={"NBTOOLS_ROOT": str(tmp_path)})  # churn-model
    with service.client() as client:
        assert client.post("/lookup", json={"i": 1}).json() == "1,person@example.org"
    told = service.stop()
    assert (
        "INFO: nbtools.serve: start-up read dataset pii (personal) for the purpose "
        "'churn-model' (logged once per dataset and worker)" in told
    ), told


def _rows_package(tmp_path: Path, notebook_factory: NotebookFactory, module_code: str) -> Path:
    """The package of a notebook whose module-level code reads personal data, extracted for
    churn-model (``tmp_path / "rpkg"``)."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "pii.csv").write_text("id,email\n1,person@example.org\n")
    added = nbtools(tmp_path, "data", "add", "pii", "data/pii.csv",
                    "--classification", "personal", "--purpose", "churn-model")  # fmt: skip
    assert added.exit_code == 0, added.output
    cells = [
        ("code", module_code, ["export"]),
        ("code", "def lookup(i: int) -> str:\n    return ROWS[i]", ["export", "serve"]),
    ]
    notebook = notebook_factory("rowsvc.ipynb", cells)
    extracted = CliRunner().invoke(cli, ["--root", str(tmp_path), "extract", str(notebook), "-o",
                                         str(tmp_path / "rpkg"), "--purpose", "churn-model",
                                         "--lineage", "off"])  # fmt: skip
    assert extracted.exit_code == 0, extracted.output
    return tmp_path / "rpkg"


@pytest.mark.parametrize("module_code", [AT_IMPORT, CAUGHT], ids=["raises", "caught"])
def test_python_m_package_serve_holds_its_first_import_to_the_purpose(
    tmp_path: Path,
    notebook_factory: NotebookFactory,
    serve: Callable[..., RunningService],
    module_code: str,
) -> None:
    """``python -m PACKAGE serve`` imports the package before nbtools runs: its module-level
    code's uses there only warned, and the data read for a purpose it does not allow was
    served. They are held to the service's purpose, the extraction's unless
    ``$NBTOOLS_PURPOSE`` says otherwise, as ``nbtools serve`` holds them."""
    package = _rows_package(tmp_path, notebook_factory, module_code)
    pythonpath = os.pathsep.join([str(package / "src"), os.environ.get("PYTHONPATH", "")])
    command = [sys.executable, "-m", "rowsvc", "serve"]
    env = {"NBTOOLS_ROOT": str(tmp_path), "PYTHONPATH": pythonpath, "NBTOOLS_PURPOSE": "ads"}
    service = serve(package, env=env, command=command)
    told = service.stop()
    assert service.process.returncode == 2, told
    assert told.count("start-up of rowsvc failed: data use refused:") == 1, told
    assert (
        "ERROR: nbtools.serve: start-up of rowsvc failed: data use refused: Dataset 'pii' "
        "(personal) may not be used for the purpose 'ads'" in told
    ), told
    refusals = json.loads(
        nbtools(tmp_path, "audit", "list", "--action", "policy.refuse", "--json").stdout
    )
    assert [r["summary"]["during"] for r in refusals] == ["start-up"]
    env["NBTOOLS_PURPOSE"] = ""  # the extraction's purpose, churn-model, allows it
    service = serve(package, env=env, command=command)
    with service.client() as client:
        assert client.post("/lookup", json={"i": 1}).json() == "1,person@example.org"
    assert service.stop().count("DataUseWarning") == 0
