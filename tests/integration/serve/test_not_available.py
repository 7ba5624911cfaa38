"""A served function loading what is not there yet (the model of a training job that has not
run, examples/README.md): a 503 naming what is missing, not an opaque 500."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from nbtools.serve import create_app
from nbtools.serve.config import ServeSettings
from tests.conftest import NotebookFactory
from tests.integration.serve.conftest import extract
from tests.integration.serve.test_app_in_process import documented_reply

#: A notebook serving a model that the job ``train-churn`` keeps, as examples/churn does.
CHURN = [
    ("markdown", "# Churn\n> Predicts churn.", []),
    (
        "code",
        "#| serve\n"
        "def predict(tenure: float) -> float:\n"
        '    """The churn probability."""\n'
        "    import json\n"
        "    from nbtools import artifacts\n"
        "    model = json.loads(artifacts.load('model.json', job='train-churn').read_text())\n"
        "    return model['w'] * tenure",
        [],
    ),
]


def test_a_model_not_trained_yet_is_a_503_naming_the_job(
    notebook_factory: NotebookFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``POST /predict`` before the first ``train-churn`` run answered 500 ``internal-error``
    (``NotFoundError: No job is named 'train-churn'`` only in the log)."""
    (tmp_path / ".nbtools").mkdir()
    package = extract(notebook_factory("churn.ipynb", CHURN), tmp_path / "churn-pkg")
    monkeypatch.syspath_prepend(str(package / "src"))
    monkeypatch.delitem(sys.modules, "churn", raising=False)
    monkeypatch.setenv("NBTOOLS_ROOT", str(tmp_path))
    app = create_app("churn", {"predict": "churn.core:predict"}, ServeSettings())
    with TestClient(app) as client:
        reply = client.post("/predict", json={"tenure": 3})
        assert reply.status_code == 503, reply.text
        body = reply.json()
        assert body["error"] == "not-available"
        assert body["message"].startswith(
            "The function needs what is not there yet: No job is named 'train-churn'."
        )
        assert body["details"]["name"] == "train-churn"
        document = client.get("/openapi.json").json()
        assert list(documented_reply(document, "/predict", 503).iter_errors(body)) == []
