"""The app in this process (FastAPI's test client runs its lifespan): what start-up leaves
behind for the requests that follow, and the docs page served without internet access."""

from __future__ import annotations

import gc
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from nbtools import versioning
from nbtools.export.model import MANIFEST
from nbtools.jobs.tables import Run
from nbtools.project import Project
from nbtools.serve import create_app
from nbtools.serve.config import ServeSettings


@pytest.fixture
def scorer_app(scorer_package: Path, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    monkeypatch.syspath_prepend(str(scorer_package / "src"))
    monkeypatch.delitem(sys.modules, "scorer", raising=False)
    app = create_app("scorer", {"predict": "scorer.core:predict"}, ServeSettings())
    return TestClient(app)


def test_an_app_mounted_in_another_process_leaves_its_collector_alone(
    scorer_app: TestClient,
) -> None:
    frozen = gc.get_freeze_count()
    with scorer_app as client:
        assert client.post("/predict", json={"x": 1}).json() == {"score": 2.0}
        assert gc.get_freeze_count() == frozen


def test_a_service_alone_in_its_process_keeps_start_up_objects_out_of_full_collections(
    scorer_package: Path,
) -> None:
    script = (
        "import gc\n"
        "from fastapi.testclient import TestClient\n"
        "from nbtools.serve import create_app\n"
        "from nbtools.serve.config import ServeSettings\n"
        "app = create_app('scorer', {'predict': 'scorer.core:predict'}, "
        "ServeSettings(freeze_gc=True))\n"
        "with TestClient(app) as client:\n"
        "    assert client.post('/predict', json={'x': 1}).json() == {'score': 2.0}\n"
        "    print(gc.get_freeze_count() > 0)\n"
        "print(gc.get_freeze_count())\n"
    )
    path = os.pathsep.join([str(scorer_package / "src"), *sys.path])
    done = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, "PYTHONPATH": path},
        capture_output=True,
        text=True,
        check=True,
    )
    # the app, its libraries and the package's objects frozen once loaded; shutdown hands
    # them back to the collector
    assert done.stdout.split()[-2:] == ["True", "0"]


def test_without_record_to_no_minute_aggregates_pile_up(scorer_app: TestClient) -> None:
    with scorer_app as client:
        for x in range(5):
            assert client.post("/predict", json={"x": x}).status_code == 200
        service = client.app.state.service  # type: ignore[attr-defined]
        assert service.aggregates.take() == {}
        assert 'nbtools_serve_requests_total{endpoint="/predict",status="200"} 5.0' in (
            client.get("/metrics").text
        )


def test_the_docs_page_loads_nothing_from_outside(scorer_app: TestClient) -> None:
    with scorer_app as client:
        page = client.get("/docs")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert "http://" not in page.text
        assert "https://" not in page.text
        linked = re.findall(r'(?:src|href)="([^"]*)"', page.text)
        assert sorted(linked) == [
            "/docs/assets/favicon-32x32.png",
            "/docs/assets/swagger-ui-bundle.js",
            "/docs/assets/swagger-ui.css",
        ]
        types = {url: client.get(url).headers["content-type"] for url in linked}
        assert types["/docs/assets/swagger-ui-bundle.js"].startswith("text/javascript")
        assert types["/docs/assets/swagger-ui.css"].startswith("text/css")
        assert "SwaggerUIBundle" in client.get("/docs/assets/swagger-ui-bundle.js").text
        assert "url: '/openapi.json'" in page.text
        # only the listed files: nothing else of the installed package, nothing outside it
        assert client.get("/docs/assets/index.html").status_code == 404
        assert client.get("/docs/assets/..%2F..%2F__init__.py").status_code == 404
        assert client.get("/docs/assets/swagger-ui.js.map").json()["error"] == "not-found"


def test_a_lineage_still_pending_at_start_up_is_shown_and_recorded_once_filled_in(
    scorer_package: Path, monkeypatch: pytest.MonkeyPatch, project: Project
) -> None:
    """``nbtools extract`` records the lineage in the background: a service started at once
    sees it pending, and names the version in /info and in its traffic once it is there."""
    manifest_path = scorer_package / MANIFEST
    manifest = json.loads(manifest_path.read_text())
    manifest["lineage"] = {"pending": "token", "notebook": "scorer.ipynb"}
    manifest_path.write_text(json.dumps(manifest))
    version = versioning.commit(
        project, "scorer.ipynb", (project.root / "scorer.ipynb").read_bytes()
    )
    monkeypatch.syspath_prepend(str(scorer_package / "src"))
    monkeypatch.delitem(sys.modules, "scorer", raising=False)
    settings = ServeSettings(record_to=project.db_url)
    with TestClient(create_app("scorer", {"predict": "scorer.core:predict"}, settings)) as client:
        pending = client.get("/info").json()
        assert (pending["lineage_pending"], pending["notebook_version_id"]) == (True, None)
        manifest["lineage"] = {
            "notebook_version": {"id": version.id, "number": 1},
            "environment": None,
        }
        manifest_path.write_text(json.dumps(manifest))  # as the background process fills it
        assert client.post("/predict", json={"x": 1}).status_code == 200
        filled = client.get("/info").json()
        assert (filled["lineage_pending"], filled["notebook_version_id"]) == (False, version.id)
    # the minute in progress is written at shutdown, naming the version
    with project.store.session() as session:
        runs = list(session.scalars(select(Run).where(Run.trigger == "service")))
    assert [run.notebook_version_id for run in runs] == [version.id]
