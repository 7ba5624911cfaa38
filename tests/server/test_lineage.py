"""Lineage over REST: run models, reproduce, the last good run's environment, pinned jobs
and extraction — on a real server with its scheduler and real kernels."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from nbtools.jobs.runs import new_run
from nbtools.jobs.tables import CANCELLED
from nbtools.project import Project
from tests.conftest import make_notebook
from tests.server.conftest import ONE_WORKER
from tests.server.test_jobs_api import call, finished, refused

pytestmark = pytest.mark.scheduler(ONE_WORKER)


def write(root: Path, body: str) -> None:
    cells = [("code", "n = 1", ["parameters"]), ("code", body, ["main"])]
    (root / "nb.ipynb").write_text(json.dumps(make_notebook(cells)))


def printed(root: Path, run: dict[str, Any]) -> str:
    """What the run printed, read from its executed notebook (relative to the root)."""
    executed = json.loads((root / run["output_notebook"]).read_text())
    return "".join("".join(o.get("text", "")) for c in executed["cells"] for o in c["outputs"])


async def test_run_lineage_last_good_environment_and_reproduce(
    jp_fetch: Any, jp_root_dir: Path
) -> None:
    write(jp_root_dir, "print('old', n)")
    # Not run yet: a normal, empty answer (no 404 in the browser's console).
    none_yet = await call(jp_fetch, "GET", "env", "last-run", path="nb.ipynb")
    assert none_yet == {"run": None, "snapshot": None}

    queued = await call(jp_fetch, "POST", "runs", body={"notebook_path": "nb.ipynb"})
    first = await finished(jp_fetch, queued["id"])
    assert first["status"] == "succeeded", first["error"]
    lineage = first["lineage"]
    assert lineage["summary"] == (
        f"notebook version 1 (id {first['notebook_version_id']}), "
        f"environment {first['env_snapshot_id'][:12]}"
    )
    assert lineage["environment"]["command"] == f"nbtools env show {first['env_snapshot_id'][:12]}"

    last = await call(jp_fetch, "GET", "env", "last-run", path="nb.ipynb")
    assert last["run"]["id"] == first["id"]
    assert last["run"]["output_notebook"] == f".nbtools/runs/{first['id']}/nb.ipynb"
    assert last["snapshot"]["id"] == first["env_snapshot_id"]

    write(jp_root_dir, "print('new', n)")
    started = await call(jp_fetch, "POST", "runs", str(first["id"]), "reproduce")
    assert started["reproduce_of"] == first["id"]
    assert started["reproduction"]["environment"]["diff"]["empty"] is True
    again = await finished(jp_fetch, started["id"])
    assert printed(jp_root_dir, again) == "old 1\n"
    assert again["lineage"]["notebook_version"]["id"] == first["notebook_version_id"]

    project = Project(jp_root_dir)
    try:  # a run cancelled before it was ever queued: it never started, so it has no lineage
        with project.store.session(write=True) as session:
            never = new_run(None, trigger="test", notebook_path="nb.ipynb")
            never.status = CANCELLED
            session.add(never)
    finally:
        project.close()
    no_lineage = await refused(jp_fetch, "POST", "runs", str(never.id), "reproduce")
    assert no_lineage["status"] == 409
    assert "has no recorded notebook version" in no_lineage["message"]
    assert (await refused(jp_fetch, "POST", "runs", "99", "reproduce"))["status"] == 404
    assert (await refused(jp_fetch, "POST", "runs", "x", "reproduce"))["status"] == 400


async def test_jobs_take_a_pinned_version(jp_fetch: Any, jp_root_dir: Path) -> None:
    write(jp_root_dir, "print(n)")
    version = await call(jp_fetch, "POST", "versions", body={"path": "nb.ipynb"})
    body = {"notebook_path": "nb.ipynb", "pinned_version_id": version["id"]}
    job = await call(jp_fetch, "POST", "jobs", body=body)
    assert job["pinned_version_id"] == version["id"]
    unknown = await refused(
        jp_fetch, "POST", "jobs", body={**body, "pinned_version_id": version["id"] + 1}
    )
    assert unknown["status"] == 400
    assert "There is no notebook version with id" in unknown["message"]
    unpinned = await call(
        jp_fetch, "PATCH", "jobs", str(job["id"]), body={"pinned_version_id": None}
    )
    assert unpinned["pinned_version_id"] is None


async def test_a_written_package_reports_its_lineage(jp_fetch: Any, jp_root_dir: Path) -> None:
    write(jp_root_dir, "print(n)")
    cells = [("code", "def f():\n    return 1", ["export"])]
    (jp_root_dir / "pkg.ipynb").write_text(json.dumps(make_notebook(cells)))
    preview = await call(jp_fetch, "POST", "extract", body={"path": "pkg.ipynb"})
    assert preview["lineage"] is None
    written = await call(jp_fetch, "POST", "extract", body={"path": "pkg.ipynb", "dry_run": False})
    assert written["lineage"]["notebook_version"]["path"] == "pkg.ipynb"
    assert written["lineage"]["environment"]["kernel"] == "python3"
