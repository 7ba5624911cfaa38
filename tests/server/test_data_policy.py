"""The usage rule over REST: a job or run refused with 403 and a JSON body naming the dataset,
its classification, the job's purpose and the allowed purposes; nothing stored."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

from nbtools.data.catalog import add_dataset, dataset_spec
from nbtools.project import Project
from tests.conftest import make_notebook
from tests.server.conftest import ONE_WORKER

pytestmark = pytest.mark.scheduler(ONE_WORKER)


@pytest.fixture
def catalogued(jp_root_dir: Path) -> Path:
    code = "import nbtools\nnbtools.data.path('customers')"
    (jp_root_dir / "nb.ipynb").write_text(json.dumps(make_notebook([("code", code, [])])))
    project = Project(jp_root_dir)
    try:
        spec = {"location": "customers.csv", "classification": "sensitive", "purposes": ["care"]}
        add_dataset(project, dataset_spec(project, "customers", spec))
    finally:
        project.close()
    return jp_root_dir


async def _fetch(jp_fetch: Any, method: str, *path: str, body: Any = None) -> Any:
    encoded = json.dumps(body) if body is not None else None
    response = await jp_fetch("nbtools", "api", *path, method=method, body=encoded)
    return json.loads(response.body)


async def test_a_job_for_another_purpose_is_403_and_stores_nothing(
    jp_fetch: Any, catalogued: Path
) -> None:
    for body in (
        {"notebook_path": "nb.ipynb", "purpose": "ads"},
        {"notebook_path": "nb.ipynb"},
    ):
        with pytest.raises(HTTPClientError) as info:
            await _fetch(jp_fetch, "POST", "jobs", body=body)
        assert info.value.code == 403
        error = json.loads(info.value.response.body)
        assert error["error"] == "PolicyRefusedError"
        refused = error["details"]["refused"][0]
        assert (refused["dataset"], refused["classification"]) == ("customers", "sensitive")
        assert refused["purposes"] == ["care"]
        assert error["details"]["purpose"] == body.get("purpose")
    assert await _fetch(jp_fetch, "GET", "jobs") == []

    job = await _fetch(
        jp_fetch, "POST", "jobs", body={"notebook_path": "nb.ipynb", "purpose": "care"}
    )
    assert job["purpose"] == "care"
    with pytest.raises(HTTPClientError) as info:
        await _fetch(jp_fetch, "PATCH", "jobs", str(job["id"]), body={"purpose": "ads"})
    assert info.value.code == 403
    with pytest.raises(HTTPClientError) as info:
        await _fetch(jp_fetch, "POST", "jobs", body={"notebook_path": "nb.ipynb", "purpose": 7})
    assert info.value.code == 400


async def test_an_extraction_for_another_purpose_is_403_and_writes_nothing(
    jp_fetch: Any, catalogued: Path
) -> None:
    cells = [("code", "import nbtools\nnbtools.data.path('customers')", []),
             ("code", "def f():\n    return 1", ["export"])]  # fmt: skip
    (catalogued / "nb.ipynb").write_text(json.dumps(make_notebook(cells)))
    body = {"path": "nb.ipynb", "dry_run": False, "output": "pkg", "purpose": "ads"}
    with pytest.raises(HTTPClientError) as info:
        await _fetch(jp_fetch, "POST", "extract", body=body)
    assert info.value.code == 403
    error = json.loads(info.value.response.body)
    assert error["error"] == "PolicyRefusedError"
    assert error["details"]["refused"][0]["dataset"] == "customers"
    assert not (catalogued / "pkg").exists()

    report = await _fetch(jp_fetch, "POST", "extract", body={"path": "nb.ipynb", "purpose": "care"})
    assert [use["dataset"] for use in report["data"]["uses"]] == ["customers"]
    assert report["data"]["purpose"] == "care"
    body = {"path": "nb.ipynb", "dry_run": False, "output": "pkg", "purpose": "care"}
    assert (await _fetch(jp_fetch, "POST", "extract", body=body))["written"] is True
    manifest = json.loads((catalogued / "pkg" / ".nbtools-extract.json").read_text())
    assert manifest["purpose"] == "care"  # what `nbtools serve` serves the package for


async def test_the_job_form_reads_the_notebooks_data_and_the_refusal_names_purpose(
    jp_fetch: Any, catalogued: Path
) -> None:
    check = await _fetch_query(jp_fetch, path="nb.ipynb")
    assert check["purpose_required"] is True
    assert [(u["dataset"], u["classification"], u["purposes"]) for u in check["uses"]] == [
        ("customers", "sensitive", ["care"])
    ]
    assert "needs a purpose" in check["uses"][0]["refused"]
    ads = await _fetch_query(jp_fetch, path="nb.ipynb", purpose="ads")
    assert "may not be used for the purpose 'ads'" in ads["uses"][0]["refused"]
    care = await _fetch_query(jp_fetch, path="nb.ipynb", purpose="care")
    assert (care["purpose"], care["uses"][0]["refused"]) == ("care", None)

    # Checking is a read: nothing is refused, so nothing is audited.
    audited = await _fetch(jp_fetch, "GET", "audit")
    assert [entry["action"] for entry in audited] == ["dataset.add"]
    with pytest.raises(HTTPClientError) as info:
        await _fetch(jp_fetch, "POST", "jobs", body={"notebook_path": "nb.ipynb", "purpose": "ads"})
    assert json.loads(info.value.response.body)["details"]["field"] == "purpose"


async def test_a_notebook_without_protected_data_needs_no_purpose(
    jp_fetch: Any, jp_root_dir: Path
) -> None:
    (jp_root_dir / "plain.ipynb").write_text(json.dumps(make_notebook([("code", "1", [])])))
    check = await _fetch_query(jp_fetch, path="plain.ipynb")
    assert (check["purpose_required"], check["uses"]) == (False, [])


async def test_internal_data_listing_purposes_requires_one_in_the_form_and_the_job(
    jp_fetch: Any, jp_root_dir: Path
) -> None:
    """Before, ``purpose_required`` was false for it and a job without a purpose was saved."""
    project = Project(jp_root_dir)
    try:
        for name, declared in (
            ("prices", {"location": "p.csv", "purposes": ["pricing"]}),
            ("free", {"location": "f.csv", "classification": "public"}),
        ):
            add_dataset(project, dataset_spec(project, name, declared))
    finally:
        project.close()
    for name in ("prices", "free"):
        code = f"import nbtools\nnbtools.data.path('{name}')"
        (jp_root_dir / f"{name}.ipynb").write_text(json.dumps(make_notebook([("code", code, [])])))
    check = await _fetch_query(jp_fetch, path="prices.ipynb")
    assert check["purpose_required"] is True
    assert "allowed purposes: pricing" in check["uses"][0]["refused"]
    with pytest.raises(HTTPClientError) as info:
        await _fetch(jp_fetch, "POST", "jobs", body={"notebook_path": "prices.ipynb"})
    assert info.value.code == 403
    assert json.loads(info.value.response.body)["details"]["field"] == "purpose"
    free = await _fetch_query(jp_fetch, path="free.ipynb")
    assert (free["purpose_required"], free["uses"][0]["refused"]) == (False, None)
    job = await _fetch(jp_fetch, "POST", "jobs", body={"notebook_path": "free.ipynb"})
    assert job["purpose"] is None


@pytest.mark.parametrize(
    ("query", "status", "field"),
    [
        ({}, 400, "path"),
        ({"path": "../outside.ipynb"}, 400, "path"),
        ({"path": "missing.ipynb"}, 404, "path"),
        ({"path": "nb.ipynb", "purpose": "not a purpose!"}, 400, "purpose"),
    ],
)
async def test_bad_data_check_queries_name_the_field(
    jp_fetch: Any, catalogued: Path, query: dict[str, str], status: int, field: str
) -> None:
    with pytest.raises(HTTPClientError) as info:
        await _fetch_query(jp_fetch, **query)
    assert info.value.code == status
    assert json.loads(info.value.response.body)["details"].get("field") == field


async def _fetch_query(jp_fetch: Any, **query: str) -> Any:
    response = await jp_fetch("nbtools", "api", "data", "check", params=query)
    return json.loads(response.body)


async def test_a_one_off_run_takes_a_purpose(jp_fetch: Any, catalogued: Path) -> None:
    with pytest.raises(HTTPClientError) as info:
        await _fetch(jp_fetch, "POST", "runs", body={"notebook_path": "nb.ipynb", "purpose": "ads"})
    assert info.value.code == 403
    assert json.loads(info.value.response.body)["details"]["field"] == "purpose"
    assert await _fetch(jp_fetch, "GET", "runs") == []
    run = await _fetch(
        jp_fetch, "POST", "runs", body={"notebook_path": "nb.ipynb", "purpose": "care"}
    )
    assert (run["job_id"], run["notebook_path"]) == (None, "nb.ipynb")
    assert await _fetch(jp_fetch, "GET", "jobs") == []


def _r_notebook(source: str) -> dict[str, Any]:
    nb = make_notebook([("code", source, [])])
    nb["metadata"] = {"kernelspec": {"name": "ir", "display_name": "R", "language": "R"}}
    return nb


async def test_an_r_notebook_is_refused_naming_its_language(
    jp_fetch: Any, catalogued: Path
) -> None:
    """Before, the R cell named no Python reader: the form needed no purpose, and a job for
    ``ads`` was saved."""
    source = 'people <- read.csv("customers.csv")'
    (catalogued / "churn.ipynb").write_text(json.dumps(_r_notebook(source)))
    check = await _fetch_query(jp_fetch, path="churn.ipynb")
    assert (check["language"], check["purpose_required"], check["unreadable"]) == ("R", True, [])
    for route, body in (
        ("jobs", {"notebook_path": "churn.ipynb", "purpose": "ads"}),
        ("runs", {"notebook_path": "churn.ipynb"}),
        ("extract", {"path": "churn.ipynb", "purpose": "ads"}),
    ):
        with pytest.raises(HTTPClientError) as info:
            await _fetch(jp_fetch, "POST", route, body=body)
        assert info.value.code == 403
        error = json.loads(info.value.response.body)
        assert (error["error"], error["details"]["language"]) == ("PolicyRefusedError", "R")
        assert error["details"]["field"] == "purpose"
        assert error["message"].count("kernel language is R") == 1
    assert await _fetch(jp_fetch, "GET", "jobs") == []
    assert await _fetch(jp_fetch, "GET", "runs") == []


async def test_a_dataset_behind_a_name_is_refused_over_rest(
    jp_fetch: Any, catalogued: Path
) -> None:
    """Before, ``reader(where)`` was "no data": the job for ``ads`` was saved."""
    cells = [
        ("code", "import pandas as pd\nreader = pd.read_csv", []),
        ("code", "where = 'customers' + '.csv'", []),
        ("code", "df = reader(where)\nother = pd.read_csv(pick())", []),
    ]
    (catalogued / "hidden.ipynb").write_text(json.dumps(make_notebook(cells)))
    check = await _fetch_query(jp_fetch, path="hidden.ipynb", purpose="ads")
    assert [(use["dataset"], use["cell"], use["line"]) for use in check["uses"]] == [
        ("customers", 2, 1)
    ]
    assert check["unresolved"] == [{"cell": 2, "line": 2, "call": "pd.read_csv(pick())"}]
    for route, body in (
        ("jobs", {"notebook_path": "hidden.ipynb", "purpose": "ads"}),
        ("extract", {"path": "hidden.ipynb", "purpose": "ads"}),
    ):
        with pytest.raises(HTTPClientError) as info:
            await _fetch(jp_fetch, "POST", route, body=body)
        assert info.value.code == 403
        details = json.loads(info.value.response.body)["details"]
        assert [use["dataset"] for use in details["refused"]] == ["customers"]
        assert details["unresolved"] == check["unresolved"]
    assert await _fetch(jp_fetch, "GET", "jobs") == []
