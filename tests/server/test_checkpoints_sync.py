"""Versions as checkpoints with a synchronous contents manager."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from jupyter_nbtools.checkpoints import NbtoolsCheckpoints
from tests.server.test_checkpoints import checkpoints, save
from tests.unit.versioning.conftest import edit, rich_notebook


@pytest.fixture
def jp_server_config() -> dict[str, Any]:
    return {
        "ServerApp": {
            "jpserver_extensions": {"jupyter_nbtools": True},
            "contents_manager_class": "jupyter_server.services.contents.largefilemanager."
            "LargeFileManager",
        }
    }


async def test_a_synchronous_contents_manager_gets_synchronous_checkpoints(
    jp_fetch: Any, jp_serverapp: Any, jp_root_dir: Path
) -> None:
    assert isinstance(jp_serverapp.contents_manager.checkpoints, NbtoolsCheckpoints)
    nb = rich_notebook()
    await save(jp_fetch, "nb.ipynb", nb)
    assert [c["id"] for c in await checkpoints(jp_fetch, "nb.ipynb")] == ["1"]
    await save(jp_fetch, "nb.ipynb", edit(nb, 1, "x = 2"))
    await checkpoints(jp_fetch, "nb.ipynb", "POST", "1")  # the Authorizer asked, synchronously
    assert "".join(
        json.loads((jp_root_dir / "nb.ipynb").read_text())["cells"][1]["source"]
    ).startswith("x = 1")
