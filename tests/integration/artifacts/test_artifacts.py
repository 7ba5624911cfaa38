"""Run artifacts in real kernels: kept by a job's runs, listed, loaded, pruned."""

from __future__ import annotations

import json
import os
import stat
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from nbtools.artifacts import load, save
from nbtools.artifacts.prune import delete_artifacts
from nbtools.artifacts.saving import NotInRunWarning
from nbtools.artifacts.stored import find_artifact, get_artifact, list_artifacts
from nbtools.artifacts.tables import ArtifactRecord
from nbtools.cli.app import cli
from nbtools.errors import InvalidInputError, NotFoundError
from nbtools.jobs.definitions import create_job
from nbtools.jobs.executors.base import RunRequest
from nbtools.jobs.runner import execute_run
from nbtools.jobs.runs import get_run
from nbtools.jobs.storage import Storage
from nbtools.jobs.submit import queue_run
from nbtools.jobs.tables import Job
from nbtools.kernels import KernelSource
from nbtools.project import Project
from tests.conftest import NotebookFactory

pytestmark = pytest.mark.slow

TRAIN = [
    ("code", "weight = 1\nfail = False", ["parameters"]),
    (
        "code",
        "import json, os, nbtools.artifacts\n"
        "kept = nbtools.artifacts.save('model.json', json.dumps({'weight': weight}).encode())\n"
        "directory = os.environ['NBTOOLS_ARTIFACTS_DIR']\n"
        "open(os.path.join(directory, 'notes.txt'), 'w').write('written directly')\n"
        "open(os.path.join(directory, 'bad name.txt'), 'w').write('not an artifact name')\n"
        "os.mkdir(os.path.join(directory, 'subdir'))\n"
        "os.symlink('/etc/passwd', os.path.join(directory, 'passwd'))",
        [],
    ),
    ("code", "if fail:\n    raise RuntimeError('training failed')", []),
]


@pytest.fixture
def kernels() -> Iterator[KernelSource]:
    source = KernelSource(prestart=False)
    yield source
    source.close()


@pytest.fixture
def job(project: Project, notebook_factory: NotebookFactory) -> Job:
    notebook_factory("train.ipynb", TRAIN)
    return create_job(project, {"name": "train-churn", "notebook_path": "train.ipynb"})


@pytest.fixture
def located(project: Project, monkeypatch: pytest.MonkeyPatch) -> Project:
    """``load`` finds the project as a notebook, package or service does: by environment."""
    monkeypatch.setenv("NBTOOLS_ROOT", str(project.root))
    return project


def train(
    project: Project, job: Job, kernels: KernelSource, storage: str = "", **values: object
) -> int:
    run = queue_run(project, job.notebook_path, dict(values), job=job)
    request = RunRequest.for_project(project, run.id, storage=storage)
    execute_run(project, request, kernels)
    return run.id


def model_of(path: Path) -> object:
    return json.loads(path.read_text())


def test_a_run_keeps_what_it_saved_and_load_finds_the_latest_succeeded_run(
    located: Project, job: Job, kernels: KernelSource
) -> None:
    first = train(located, job, kernels, weight=1)
    failed = train(located, job, kernels, weight=2, fail=True)
    with located.store.session() as session:
        assert get_run(session, failed).status == "failed"
    artifacts = list_artifacts(located, first)
    # the invalid name, the directory and the symbolic link are not recorded
    assert [artifact.name for artifact in artifacts] == ["model.json", "notes.txt"]
    model = get_artifact(located, first, "model.json")
    assert (
        Path(model.location) == located.store_dir / "runs" / str(first) / "artifacts" / "model.json"
    )
    assert model.size == len(b'{"weight": 1}')
    assert len(model.sha256) == 64
    assert not (located.store_dir / "runs" / str(first) / "artifacts" / "passwd").exists()
    # the failed run kept its files, but load never takes them
    assert [artifact.name for artifact in list_artifacts(located, failed)] == [
        "model.json",
        "notes.txt",
    ]
    assert model_of(load("model.json", job="train-churn")) == {"weight": 1}
    assert model_of(load("model.json", job=job.id)) == {"weight": 1}
    latest = train(located, job, kernels, weight=3)
    assert model_of(load("model.json", job="train-churn")) == {"weight": 3}
    assert model_of(load("model.json", run=first)) == {"weight": 1}
    assert model_of(load("model.json", job="train-churn", run=latest)) == {"weight": 3}
    assert load("notes.txt", run=latest).read_text() == "written directly"
    with pytest.raises(NotFoundError, match=r"has not succeeded \(failed\)"):
        load("model.json", run=failed)
    with pytest.raises(
        NotFoundError, match=r"no artifact 'weights'; it kept model.json, notes.txt"
    ):
        load("weights", job="train-churn")
    with pytest.raises(
        NotFoundError, match=r"No job is named 'train-chrun'\. Did you mean 'train-churn'"
    ):
        load("model.json", job="train-chrun")
    with pytest.raises(NotFoundError, match="Run 999 does not exist"):
        load("model.json", run=999)
    with pytest.raises(InvalidInputError, match="job='NAME'"):
        load("model.json")
    other = create_job(located, {"name": "other", "notebook_path": "train.ipynb"})
    with pytest.raises(InvalidInputError, match=f"Run {first} is not a run of job 'other'"):
        load("model.json", job="other", run=first)
    with pytest.raises(
        NotFoundError, match=f"Job 'other' \\(id {other.id}\\) has no succeeded run"
    ):
        load("model.json", job="other")

    shown = CliRunner().invoke(cli, ["--root", str(located.root), "runs", "show", str(latest)])
    assert shown.exit_code == 0, shown.output
    assert "model.json" in shown.output
    assert "notes.txt" in shown.output
    as_json = CliRunner().invoke(
        cli, ["--root", str(located.root), "runs", "show", str(latest), "--json"]
    )
    listed = json.loads(as_json.stdout)["artifacts"]
    assert [(a["name"], a["run_id"], a["size"]) for a in listed] == [
        ("model.json", latest, 13),
        ("notes.txt", latest, 16),
    ]


def test_a_run_loads_an_artifact_of_another_job(
    located: Project, job: Job, kernels: KernelSource, notebook_factory: NotebookFactory
) -> None:
    """Inside a kernel, ``load`` finds the project from its working directory."""
    trained = train(located, job, kernels, weight=5)
    notebook_factory(
        "sub/predict.ipynb",
        [
            (
                "code",
                "import json, nbtools\n"
                "path = nbtools.artifacts.load('model.json', job='train-churn')\n"
                "print(json.load(open(path))['weight'] * 2, path)",
                [],
            )
        ],
    )
    predict = create_job(located, {"name": "predict", "notebook_path": "sub/predict.ipynb"})
    run_id = train(located, predict, kernels)
    with located.store.session() as session:
        run = get_run(session, run_id)
        assert run.status == "succeeded", run.error_message
    executed = json.loads((Path(run.output_dir or "") / "predict.ipynb").read_text())
    printed = executed["cells"][0]["outputs"][0]["text"][0]
    assert printed.startswith("10 ")
    assert f"/runs/{trained}/artifacts/model.json" in printed


def test_save_checks_its_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for bad in ("", "../model", "a/b", ".hidden", "a..b", "x" * 129, "mödel", "a b", 7):
        with pytest.raises(InvalidInputError, match="Invalid artifact name") as info:
            save(bad, b"x")  # type: ignore[arg-type]
        assert info.value.details["field"] == "name"
    with pytest.raises(InvalidInputError, match="is a directory: archive it first"):
        save("model", tmp_path)
    with pytest.raises(NotFoundError, match="No file"):
        save("model", tmp_path / "missing")
    with pytest.raises(InvalidInputError, match="takes bytes or a file's path, not dict"):
        save("model", {"weight": 1})  # type: ignore[arg-type]
    monkeypatch.delenv("NBTOOLS_ARTIFACTS_DIR", raising=False)
    with pytest.warns(NotInRunWarning, match="Not in a job run: artifact 'model' was not kept"):
        assert save("model", b"x") is None
    with pytest.raises(InvalidInputError, match="Invalid artifact name"):
        find_artifact(Project(tmp_path), "../x", run=1)


def test_a_saved_artifact_gets_the_umask_s_mode_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Readable by whom the umask lets read it (a team's scheduler, its group), as any file
    the notebook writes itself; written under a hidden name, then renamed."""
    monkeypatch.setenv("NBTOOLS_ARTIFACTS_DIR", str(tmp_path))
    source = tmp_path.parent / f"{tmp_path.name}-weights.bin"
    source.write_bytes(b"w" * 100_000)
    old = os.umask(0o027)
    try:
        saved = [save("model", b"m" * 10), save("weights", source)]
    finally:
        os.umask(old)
    assert [(p.name, stat.S_IMODE(p.stat().st_mode)) for p in saved] == [
        ("model", 0o640),
        ("weights", 0o640),
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model", "weights"]
    assert saved[1].read_bytes() == source.read_bytes()


def test_pruning_deletes_files_copies_and_rows(
    located: Project, job: Job, kernels: KernelSource
) -> None:
    kept, other = train(located, job, kernels), train(located, job, kernels)
    stored = located.store_dir / "runs" / str(kept) / "artifacts"
    assert sorted(path.name for path in stored.iterdir()) == [
        "bad name.txt",
        "model.json",
        "notes.txt",
    ]
    deleted = delete_artifacts(located, [kept])
    assert sorted(Path(location).name for location in deleted) == [
        "bad name.txt",
        "model.json",
        "notes.txt",
    ]
    assert list(stored.iterdir()) == []
    assert list_artifacts(located, kept) == []
    assert [a.name for a in list_artifacts(located, other)] == ["model.json", "notes.txt"]
    assert model_of(load("model.json", job="train-churn")) == {"weight": 1}
    with pytest.raises(NotFoundError, match="it kept none"):
        load("model.json", run=kept)
    # rows go with their run (ON DELETE CASCADE)
    with located.store.session(write=True) as session:
        session.delete(get_run(session, other))
    with located.store.session() as session:
        assert session.scalars(select(ArtifactRecord)).all() == []


def test_artifacts_of_a_run_on_remote_storage(
    located: Project, job: Job, kernels: KernelSource
) -> None:
    remote = Storage.parse(f"memory://nbtools-{uuid.uuid4().hex[:8]}")
    run_id = train(located, job, kernels, storage=remote.location, weight=7)
    model = get_artifact(located, run_id, "model.json")
    assert model.location == f"{remote.run_dir(run_id)}/artifacts/model.json"
    path = load("model.json", job="train-churn")
    assert path == located.store_dir / "cache" / "artifacts" / str(run_id) / "model.json"
    assert model_of(path) == {"weight": 7}
    assert load("model.json", run=run_id) == path  # downloaded once
    deleted = delete_artifacts(located, [run_id])
    assert f"{remote.run_dir(run_id)}/artifacts/model.json" in deleted
    assert not path.exists()


EXAMPLE = Path(__file__).parents[3] / "examples" / "train_churn.ipynb"


def test_the_example_training_job_keeps_its_model_and_metrics(
    located: Project, kernels: KernelSource
) -> None:
    from nbtools.metrics.run_values import run_metric_values

    (located.root / "train_churn.ipynb").write_bytes(EXAMPLE.read_bytes())
    job = create_job(located, {"name": "train-churn", "notebook_path": "train_churn.ipynb"})
    run_id = train(located, job, kernels, n_customers=200)
    with located.store.session() as session:
        run = get_run(session, run_id)
        assert run.status == "succeeded", run.error_message
        metrics = run_metric_values(session.connection(), run_id)
    assert set(metrics) == {"rmse", "accuracy", "churn_rate"}
    assert 0.5 < float(metrics["accuracy"]) <= 1
    model = model_of(load("model.json", job="train-churn"))
    assert isinstance(model, dict)
    assert model["features"] == ["tenure_months", "monthly_charges", "support_calls"]
    assert len(model["coefficients"]) == 4
    assert model["trained_on"] == 160
    # the served function answers from the model the job kept
    namespace: dict[str, object] = {}
    cells = json.loads(EXAMPLE.read_text())["cells"]
    for cell in cells:
        if "export" in cell["metadata"].get("tags", []):
            exec("".join(cell["source"]), namespace)
    predict = namespace["predict"]
    assert callable(predict)
    risky, loyal = predict(2.0, 110.0, 7), predict(70.0, 25.0, 0)
    assert risky["churn_risk"] > loyal["churn_risk"]
