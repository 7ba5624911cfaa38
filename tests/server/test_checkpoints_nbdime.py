"""nbdime's "diff against checkpoint" (its real server extension) on nbtools checkpoints, with
an asynchronous (Jupyter's default) and a synchronous contents manager."""

from __future__ import annotations

import json
from typing import Any, ClassVar

import pytest
from jupyter_server.auth.authorizer import Authorizer
from tornado.httpclient import HTTPClientError

from tests.server.test_checkpoints import save
from tests.unit.versioning.conftest import edit, rich_notebook

MANAGERS = {
    "async": "jupyter_server.services.contents.largefilemanager.AsyncLargeFileManager",
    "sync": "jupyter_server.services.contents.largefilemanager.LargeFileManager",
}


class Switchable(Authorizer):
    """Refuses the nbtools actions a test names in :attr:`denied`."""

    denied: ClassVar[set[str]] = set()

    def is_authorized(self, handler: Any, user: Any, action: str, resource: str) -> bool:
        return resource != "nbtools" or action not in self.denied


@pytest.fixture(params=sorted(MANAGERS))
def jp_server_config(request: pytest.FixtureRequest) -> dict[str, Any]:
    return {
        "ServerApp": {
            "jpserver_extensions": {"jupyter_nbtools": True, "nbdime": True},
            "contents_manager_class": MANAGERS[request.param],
            "authorizer_class": Switchable,
        }
    }


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


async def test_the_version_nbdime_reads_needs_read_on_nbtools(
    jp_fetch: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """nbdime's route asks nothing but a login: the version it reads (the newest) is read
    only by a user the Authorizer allows to read nbtools, as GET /versions/{id} is."""
    nb = rich_notebook()
    await save(jp_fetch, "nb.ipynb", nb)
    monkeypatch.setattr(Switchable, "denied", {"read"})
    with pytest.raises(HTTPClientError) as info:
        await checkpoint_diff(jp_fetch, "nb.ipynb")
    assert info.value.code == 403
    assert info.value.response is not None
    assert b"not allowed to read on nbtools, which reading a version needs" in (
        info.value.response.body
    )
    monkeypatch.setattr(Switchable, "denied", {"write", "execute"})
    assert (await checkpoint_diff(jp_fetch, "nb.ipynb"))["diff"] == []
