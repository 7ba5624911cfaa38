"""The usage rule on real jobs and runs: refused before anything is written or any kernel
starts (exit 2 in the CLI, 403 over REST), and again when a queued run starts."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import psutil
import pytest

from nbtools.config import DATA_USES_FILE
from nbtools.data.catalog import edit_dataset
from nbtools.jobs.definitions import create_job
from nbtools.jobs.executors.base import RunRequest
from nbtools.jobs.runner import execute_run
from nbtools.jobs.runs import get_run, list_runs
from nbtools.jobs.submit import queue_run
from nbtools.kernels import KernelSource
from nbtools.project import Project
from tests.conftest import NotebookFactory, nbtools

pytestmark = pytest.mark.slow

USES_CUSTOMERS = [("code", "import nbtools\np = nbtools.data.path('customers')", [])]


def kernels_of_this_process() -> list[psutil.Process]:
    """Live kernels this process started (exited children not yet reaped do not count)."""
    found = []
    for child in psutil.Process().children(recursive=True):
        try:
            if "ipykernel" in " ".join(child.cmdline()):
                found.append(child)
        except psutil.NoSuchProcess:  # includes zombies
            continue
    return found


@pytest.fixture
def root(tmp_path: Path, notebook_factory: NotebookFactory) -> Path:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "customers.csv").write_text("id\n1\n")
    added = nbtools(
        tmp_path, "data", "add", "customers", "data/customers.csv",
        "--classification", "personal", "--purpose", "churn-model",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    notebook_factory("nb.ipynb", USES_CUSTOMERS)
    return tmp_path


def test_a_run_for_another_purpose_is_refused_before_anything(root: Path) -> None:
    for purpose_args in (("--purpose", "marketing"), ()):
        result = nbtools(root, "run", "nb.ipynb", *purpose_args)
        assert result.exit_code == 2, result.output
        assert "'customers'" in result.output
        assert "personal" in result.output
        assert "churn-model" in result.output
        # the library's words name no flag (JupyterLab shows them at its Purpose field); the
        # command points at its own
        assert result.stderr.rstrip().endswith("a script). See --purpose.") == (not purpose_args)
        assert result.stderr.rstrip().endswith("this purpose. See --purpose.") == bool(purpose_args)
        assert kernels_of_this_process() == []
    assert json.loads(nbtools(root, "runs", "list", "--json").stdout) == []
    refusals = json.loads(
        nbtools(root, "audit", "list", "--action", "policy.refuse", "--json").stdout
    )
    assert [(e["target"], e["summary"]) for e in refusals] == [
        ("notebook nb.ipynb", {"purpose": None, "refused": ["customers"], "during": "run.submit"}),
        (
            "notebook nb.ipynb",
            {"purpose": "marketing", "refused": ["customers"], "during": "run.submit"},
        ),
    ]
    assert "marketing" in nbtools(root, "run", "nb.ipynb", "--purpose", "marketing").output

    ok = nbtools(root, "run", "nb.ipynb", "--purpose", "churn-model", "--json")
    assert ok.exit_code == 0, ok.output
    model = json.loads(ok.stdout)
    assert model["purpose"] == "churn-model"
    assert [use["dataset"] for use in model["datasets"]] == ["customers"]


def test_jobs_are_checked_when_created_and_edited(root: Path) -> None:
    refused = nbtools(root, "schedule", "add", "nb.ipynb", "--purpose", "marketing")
    assert refused.exit_code == 2, refused.output
    assert "'marketing'" in refused.output
    assert refused.stderr.rstrip().endswith("See --purpose.")
    assert json.loads(nbtools(root, "schedule", "list", "--json").stdout) == []
    added = nbtools(root, "schedule", "add", "nb.ipynb", "--purpose", "churn-model", "--json")
    assert added.exit_code == 0, added.output
    job = json.loads(added.stdout)
    assert job["purpose"] == "churn-model"
    edited = nbtools(root, "schedule", "edit", str(job["id"]), "--purpose", "marketing")
    assert edited.exit_code == 2, edited.output
    shown = json.loads(nbtools(root, "schedule", "list", "--json").stdout)
    assert shown[0]["purpose"] == "churn-model"


def test_a_queued_run_is_refused_when_it_starts_after_the_rules_changed(root: Path) -> None:
    project = Project(root)
    try:
        job = create_job(project, {"notebook_path": "nb.ipynb", "purpose": "churn-model"})
        run = queue_run(project, "nb.ipynb", {}, job=job, claim="test-claim")
        edit_dataset(project, "customers", {"purposes": ["billing"]})
        kernels = KernelSource(prestart=False)
        try:
            status = execute_run(
                project, RunRequest.for_project(project, run.id, token="test-claim"), kernels
            )
        finally:
            kernels.close()
        assert status == "failed"
        with project.store.session() as session:
            ended = get_run(session, run.id)
            assert ended.error_name == "PolicyRefusedError"
            assert "'churn-model'" in (ended.error_message or "")
            assert "billing" in (ended.error_message or "")
            assert len(list_runs(session.connection())) == 1
        assert kernels_of_this_process() == []
    finally:
        project.close()


def test_the_kernel_knows_the_runs_purpose(
    tmp_path: Path, notebook_factory: NotebookFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``$NBTOOLS_PURPOSE`` in the kernel is the run's purpose (a pre-started kernel too), and
    never one inherited from the process that started it."""
    code = "import os\nprint(os.environ.get('NBTOOLS_PURPOSE'))"
    notebook_factory("show.ipynb", [("code", code, [])])
    monkeypatch.setenv("NBTOOLS_PURPOSE", "inherited")
    seen = []
    for purpose in (("--purpose", "churn-model"), ()):
        result = nbtools(tmp_path, "run", "show.ipynb", *purpose, "--json")
        assert result.exit_code == 0, result.output
        executed = json.loads(Path(json.loads(result.stdout)["output_notebook"]).read_text())
        seen.append("".join(executed["cells"][0]["outputs"][0]["text"]).strip())
    assert seen == ["churn-model", "None"]


def test_a_rerun_is_checked_as_a_new_run(root: Path) -> None:
    """A rerun was queued without the check (its run refused only once it started)."""
    project = Project(root)
    try:
        run_id = queue_run(project, "nb.ipynb", {}, purpose="churn-model").id
        edit_dataset(project, "customers", {"purposes": ["billing"]})
    finally:
        project.close()
    refused = nbtools(root, "runs", "rerun", str(run_id))
    assert refused.exit_code == 2, refused.output
    assert "'churn-model'" in refused.output
    assert "billing" in refused.output
    assert [run["id"] for run in json.loads(nbtools(root, "runs", "list", "--json").stdout)] == [
        run_id
    ]
    audited = json.loads(
        nbtools(root, "audit", "list", "--action", "policy.refuse", "--json").stdout
    )
    assert len(audited) == 1


def test_each_refusal_in_the_trail_names_what_was_refused(root: Path) -> None:
    """A refused job, edit, run, rerun and run start were each entered as ``{"purpose",
    "refused"}`` alone on ``notebook nb.ipynb``: the trail could not tell a job being
    scheduled from a run being started."""
    project = Project(root)
    try:
        job = create_job(project, {"notebook_path": "nb.ipynb", "purpose": "churn-model"})
        earlier = queue_run(project, "nb.ipynb", {}, purpose="churn-model")
        queued = queue_run(project, "nb.ipynb", {}, job=job, claim="test-claim")
        edit_dataset(project, "customers", {"purposes": ["billing"]})
        kernels = KernelSource(prestart=False)
        try:
            request = RunRequest.for_project(project, queued.id, token="test-claim")
            assert execute_run(project, request, kernels) == "failed"
        finally:
            kernels.close()
    finally:
        project.close()
    for args in (
        ("schedule", "add", "nb.ipynb", "--purpose", "churn-model"),
        ("schedule", "edit", str(job.id), "--retries", "1"),
        ("run", "nb.ipynb", "--purpose", "churn-model"),
        ("runs", "rerun", str(earlier.id)),
        ("extract", str(root / "nb.ipynb"), "-o", str(root / "pkg"), "--purpose", "churn-model"),
    ):
        refused = nbtools(root, *args)
        assert refused.exit_code == 2, (args, refused.output)
        assert "billing" in refused.output, (args, refused.output)
    refusals = json.loads(
        nbtools(root, "audit", "list", "--action", "policy.refuse", "--json").stdout
    )
    assert [e["summary"].get("during") for e in reversed(refusals)] == [
        "run.start", "job.create", "job.edit", "run.submit", "run.rerun", "extract",
    ]  # fmt: skip


WITHDRAWS_THEN_USES = [
    (
        "code",
        "from nbtools.data.catalog import edit_dataset\n"
        "from nbtools.project import project_from_environment\n"
        "edit_dataset(project_from_environment(), 'customers', {'purposes': ['billing']})",
        [],
    ),
    *USES_CUSTOMERS,
    ("code", "print('read on')", []),
]


def test_a_purpose_withdrawn_while_a_run_runs_refuses_its_next_use(
    root: Path, notebook_factory: NotebookFactory
) -> None:
    """The rule holds from the moment the catalog changes: in a job run's kernel the use
    raised ``PolicyRefusedError`` (it only warned), the run ended failed with the refusal,
    and the trail has the refusal on the run, by whom the run acts for."""
    notebook_factory("withdraw.ipynb", WITHDRAWS_THEN_USES)
    ran = nbtools(
        root, "--actor", "dpo-test", "run", "withdraw.ipynb", "--purpose", "churn-model", "--json"
    )
    assert ran.exit_code != 0, ran.output
    run = json.loads(nbtools(root, "runs", "list", "--json").stdout)[0]
    assert run["status"] == "failed"
    shown = json.loads(nbtools(root, "runs", "show", str(run["id"]), "--json").stdout)
    assert shown["error"]["name"] == "PolicyRefusedError"
    assert "'churn-model'" in shown["error"]["message"]
    assert "billing" in shown["error"]["message"]
    assert shown["datasets"] == []  # refused: not a use the run made
    executed = json.loads(Path(shown["output_notebook"]).read_text())
    assert executed["cells"][-1]["outputs"] == []  # the cell failed: the next did not run
    assert refusals_of(root) == [refused_during(run["id"])]


#: Cells that withdraw the purpose, then leave the run's record of uses unwritable (for root,
#: whom permissions do not stop, immutable), then use the dataset.
WITHDRAWS_THEN_CANNOT_RECORD = [
    WITHDRAWS_THEN_USES[0],
    (
        "code",
        "import os, subprocess\n"
        "record = os.environ['NBTOOLS_DATA_USES']\n"
        "open(record, 'a').close()\n"
        "os.chmod(record, 0o444)\n"
        "if os.geteuid() == 0:\n"
        "    subprocess.run(['chattr', '+i', record], check=True)",
        [],
    ),
    *USES_CUSTOMERS,
]


def can_make_immutable(folder: Path) -> bool:
    """Whether this process can make a file unwritable to itself (any user but root; root
    where ``chattr +i`` can be set)."""
    if os.geteuid() != 0:
        return True
    probe = folder / "probe"
    probe.touch()
    made = subprocess.run(["chattr", "+i", str(probe)], capture_output=True).returncode == 0
    if made:
        subprocess.run(["chattr", "-i", str(probe)], check=True)
    return made


def test_a_refused_use_the_record_cannot_hold_is_audited_all_the_same(
    root: Path, notebook_factory: NotebookFactory
) -> None:
    """Before, the use failed on the record ("Cannot record the use …") and the run's end,
    reading a record without the refusal, entered none: the kernel now enters it itself,
    in the store, and the run fails with the refusal."""
    if not can_make_immutable(root):
        pytest.skip("root writes anywhere, and chattr +i cannot stop it here")
    notebook_factory("unrecorded.ipynb", WITHDRAWS_THEN_CANNOT_RECORD)
    try:
        ran = nbtools(root, "--actor", "dpo-test", "run", "unrecorded.ipynb",
                      "--purpose", "churn-model", "--json")  # fmt: skip
    finally:
        for record in root.rglob(DATA_USES_FILE):
            if os.geteuid() == 0:
                subprocess.run(["chattr", "-i", str(record)], check=False)
    assert ran.exit_code != 0, ran.output
    run = json.loads(nbtools(root, "runs", "list", "--json").stdout)[0]
    assert run["status"] == "failed"
    shown = json.loads(nbtools(root, "runs", "show", str(run["id"]), "--json").stdout)
    assert shown["error"]["name"] == "PolicyRefusedError", shown["error"]
    assert refusals_of(root) == [refused_during(run["id"])]


def refusals_of(root: Path) -> list[tuple[str, str, dict[str, object]]]:
    """The ``policy.refuse`` entries of ``root``'s audit trail: actor, target, summary."""
    entries = json.loads(
        nbtools(root, "audit", "list", "--action", "policy.refuse", "--json").stdout
    )
    return [(e["actor"], e["target"], e["summary"]) for e in entries]


def refused_during(run_id: int) -> tuple[str, str, dict[str, object]]:
    """The entry of the use of ``customers`` for ``churn-model`` refused during run ``run_id``."""
    summary = {"purpose": "churn-model", "refused": ["customers"], "during": "run"}
    return ("dpo-test", f"run {run_id}", summary)
