"""A run's datasets: ``nbtools.data.path``/``open`` in a real kernel, recorded in its lineage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import NotebookFactory, nbtools
from tests.terminal import answer_at_a_terminal

pytestmark = pytest.mark.slow


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
    result = nbtools(tmp_path, "run", "nb.ipynb", "--purpose", "churn", "--json")
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


def test_uses_whose_output_the_notebook_hides_are_recorded(
    tmp_path: Path, notebook_factory: NotebookFactory
) -> None:
    """Before, a ``%%capture`` cell or ``clear_output()`` left the run with ``datasets: []``
    though its notebook held the data: erasure and retention never found it."""
    (tmp_path / "c.csv").write_text("id,email\n1,a@b.c\n")
    for name in ("customers", "scores", "events"):
        assert nbtools(tmp_path, "data", "add", name, f"{name[0]}.csv").exit_code == 0
    captured = "%%capture\nimport nbtools.data\nrows = open(nbtools.data.path('customers')).read()"
    cleared = (
        "from IPython.display import clear_output\n"
        "target = nbtools.data.path('scores', mode='w')\n"
        "clear_output()"
    )
    script = "import nbtools.data; nbtools.data.path('events')"  # in a process the kernel starts
    started = (
        f"import subprocess, sys\nsubprocess.run([sys.executable, '-c', {script!r}], check=True)"
    )
    cells = [captured, cleared, started, "rows"]
    notebook_factory("nb.ipynb", [("code", source, []) for source in cells])
    result = nbtools(tmp_path, "run", "nb.ipynb", "--json")
    assert result.exit_code == 0, result.output
    model = json.loads(result.stdout)
    assert [(use["dataset"], use["mode"]) for use in model["datasets"]] == [
        ("customers", "read"),
        ("events", "read"),
        ("scores", "write"),
    ]
    executed = json.loads(Path(model["output_notebook"]).read_text())
    assert "a@b.c" in json.dumps(executed["cells"][3]["outputs"])  # the data, in the output
    assert "nbtools.data-use" not in json.dumps([c["outputs"] for c in executed["cells"][:2]])
    usage = json.loads(nbtools(tmp_path, "data", "usage", "customers", "--json").stdout)
    assert [run["run_id"] for run in usage["runs"]] == [model["id"]]
    purged = nbtools(tmp_path, "data", "usage", "customers", "--purge", "--yes", "--json")
    assert json.loads(purged.stdout)["files"] == [model["output_notebook"]]


def test_an_unknown_dataset_fails_the_run_with_a_hint(
    tmp_path: Path, notebook_factory: NotebookFactory
) -> None:
    notebook_factory("nb.ipynb", [("code", "import nbtools\nnbtools.data.path('nope')", [])])
    result = nbtools(tmp_path, "run", "nb.ipynb", "--json")
    assert result.exit_code == 1
    model = json.loads(result.stdout)
    assert "No dataset named 'nope'" in model["error"]["message"]
    assert model["datasets"] == []


def test_usage_lists_derived_runs_and_purge_deletes_their_outputs(
    tmp_path: Path, notebook_factory: NotebookFactory
) -> None:
    assert nbtools(tmp_path, "data", "add", "customers", "c.csv").exit_code == 0
    (tmp_path / "c.csv").write_text("id\n1\n")
    keep = "nbtools.artifacts.save('model', b'derived')"
    notebook_factory(
        "nb.ipynb",
        [
            (
                "code",
                f"import nbtools\nprint(open(nbtools.data.path('customers')).read())\n{keep}",
                [],
            )
        ],
    )
    notebook_factory("other.ipynb", [("code", f"import nbtools\n{keep}", [])])
    ran = json.loads(nbtools(tmp_path, "run", "nb.ipynb", "--json").stdout)
    other = json.loads(nbtools(tmp_path, "run", "other.ipynb", "--json").stdout)
    report = json.loads(nbtools(tmp_path, "data", "usage", "customers", "--json").stdout)
    listed = report["runs"]
    assert [(u["run_id"], u["mode"]) for u in listed] == [(ran["id"], "read")]
    version = ran["lineage"]["notebook_version"]["id"]
    assert [v["version_id"] for v in report["versions"]] == [version]
    output = Path(listed[0]["files"]["notebook"])
    assert output.is_file()
    assert listed[0]["notebook_version_id"] == ran["lineage"]["notebook_version"]["id"]

    declined = answer_at_a_terminal("n\n", "--root", str(tmp_path), "data", "usage", "customers",
                                    "--purge")  # fmt: skip
    assert declined.returncode == 1, declined.stderr
    assert output.is_file()
    model = Path(ran["artifacts"][0]["location"])
    assert model.read_bytes() == b"derived"
    purged = nbtools(tmp_path, "data", "usage", "customers", "--purge", "--yes", "--json")
    assert json.loads(purged.stdout)["deleted"] == [str(model), str(output)]
    assert not output.exists()
    assert not model.exists()
    assert Path(other["output_notebook"]).is_file()
    assert Path(other["artifacts"][0]["location"]).is_file()
    again = nbtools(tmp_path, "data", "usage", "customers", "--purge", "--yes", "--json")
    assert json.loads(again.stdout)["deleted"] == []
    shown = json.loads(nbtools(tmp_path, "runs", "show", str(ran["id"]), "--json").stdout)
    assert (shown["id"], shown["artifacts"]) == (ran["id"], [])
    entries = json.loads(
        nbtools(tmp_path, "audit", "list", "--action", "dataset.purge", "--json").stdout
    )
    assert [e["summary"] for e in entries] == [
        {"files_deleted": 0, "runs": []},
        {"files_deleted": 2, "runs": [ran["id"]]},
    ]
