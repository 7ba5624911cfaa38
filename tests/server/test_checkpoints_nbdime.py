"""nbdime's "diff against checkpoint" (its real server extension) on nbtools checkpoints."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

from tests.server.test_checkpoints import save
from tests.unit.versioning.conftest import edit, rich_notebook


@pytest.fixture
def jp_server_config() -> dict[str, Any]:
    return {"ServerApp": {"jpserver_extensions": {"jupyter_nbtools": True, "nbdime": True}}}


async def checkpoint_diff(jp_fetch: Any, path: str) -> dict[str, Any]:
    body = json.dumps({"base": f"checkpoint:{path}"})
    response = await jp_fetch("nbdime", "api", "diff", method="POST", body=body)
    assert response.code == 200
    return json.loads(response.body)  # type: ignore[no-any-return]


async def test_nbdime_diffs_the_file_against_the_newest_version(
    jp_fetch: Any, jp_root_dir: Any
) -> None:
    nb = rich_notebook()
    await save(jp_fetch, "nb.ipynb", nb)
    await save(jp_fetch, "nb.ipynb", edit(nb, 1, "x = 2"))
    unchanged = await checkpoint_diff(jp_fetch, "nb.ipynb")
    assert unchanged["diff"] == []  # the last save is the newest version
    assert unchanged["base"]["cells"][1]["source"] == "x = 2"

    # Written behind the contents manager's back (no save hook): nbdime shows the change.
    changed = json.loads((jp_root_dir / "nb.ipynb").read_text())
    changed["cells"][1]["source"] = "x = 3"
    (jp_root_dir / "nb.ipynb").write_text(json.dumps(changed))
    diff = (await checkpoint_diff(jp_fetch, "nb.ipynb"))["diff"]
    assert [entry["key"] for entry in diff] == ["cells"]


async def test_a_notebook_never_saved_has_no_checkpoint_and_no_changes(
    jp_fetch: Any, jp_root_dir: Any
) -> None:
    (jp_root_dir / "fresh.ipynb").write_text(json.dumps(rich_notebook()))
    assert (await checkpoint_diff(jp_fetch, "fresh.ipynb"))["diff"] == []
    with pytest.raises(HTTPClientError) as info:
        await checkpoint_diff(jp_fetch, "missing.ipynb")
    assert info.value.code == 404
