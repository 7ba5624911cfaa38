"""Versions as checkpoints with a synchronous contents manager."""

from __future__ import annotations

from typing import Any

import pytest

from jupyter_nbtools.checkpoints import NbtoolsCheckpoints
from tests.server.test_checkpoints import checkpoints, save
from tests.unit.versioning.conftest import rich_notebook


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
    jp_fetch: Any, jp_serverapp: Any
) -> None:
    assert isinstance(jp_serverapp.contents_manager.checkpoints, NbtoolsCheckpoints)
    await save(jp_fetch, "nb.ipynb", rich_notebook())
    assert [c["id"] for c in await checkpoints(jp_fetch, "nb.ipynb")] == ["1"]
