"""The store directory through Jupyter's contents API with ``allow_hidden``: listed and read as
Jupyter decides, never written, renamed, deleted, checkpointed or restored (403, nothing
changed), whether the contents manager is asynchronous (Jupyter's default) or not."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.server.conftest import server_config

MANAGERS = {
    "async": "jupyter_server.services.contents.largefilemanager.AsyncLargeFileManager",
    "sync": "jupyter_server.services.contents.largefilemanager.LargeFileManager",
}


@pytest.fixture(params=sorted(MANAGERS))
def jp_server_config(request: pytest.FixtureRequest) -> dict[str, Any]:
    config = server_config(ContentsManager={"allow_hidden": True})
    config["ServerApp"]["contents_manager_class"] = MANAGERS[request.param]
    return config


async def contents(jp_fetch: Any, method: str, path: str, body: Any = None) -> Any:
    return await jp_fetch(
        "api", "contents", *path.split("/"), method=method, raise_error=False,
        body=json.dumps(body) if body is not None else "" if method == "POST" else None,
    )  # fmt: skip


def files_under(directory: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(directory)): path.read_bytes()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


async def test_the_store_is_read_but_never_changed_through_the_contents_api(
    jp_fetch: Any, jp_root_dir: Path
) -> None:
    (jp_root_dir / "nb.ipynb").write_text(json.dumps({"cells": [], "metadata": {},
                                                     "nbformat": 4, "nbformat_minor": 5}))  # fmt: skip
    (jp_root_dir / "link").symlink_to(".nbtools")
    (jp_root_dir / ".config").mkdir()
    await contents(jp_fetch, "GET", "nb.ipynb")  # the server's first request makes its store
    store = jp_root_dir / ".nbtools"
    (store / "envcache").mkdir(exist_ok=True)
    (store / "envcache" / "capture.code").write_bytes(b"code nbtools wrote")
    before = files_under(store)
    text = {"type": "file", "format": "text", "content": "import os"}
    refused = [
        ("PUT", ".nbtools/envcache/capture.code", text),  # replaced
        ("PUT", ".nbtools/envcache/new.py", text),  # added
        ("PUT", "link/envcache/new.py", text),  # through a link
        ("PUT", ".nbtools/sub", {"type": "directory"}),
        ("POST", ".nbtools", {"type": "file"}),  # a new untitled file
        ("POST", ".nbtools/envcache", {"copy_from": "nb.ipynb"}),
        ("PATCH", ".nbtools/nbtools.db", {"path": "old.db"}),  # renamed away
        ("PATCH", "nb.ipynb", {"path": ".nbtools/nb.ipynb"}),  # renamed into it
        ("DELETE", ".nbtools/nbtools.db", None),
        ("DELETE", ".nbtools/envcache", None),
        ("POST", ".nbtools/nbtools.db/checkpoints", None),  # a copy to put back later
        ("POST", ".nbtools/nbtools.db/checkpoints/checkpoint", None),
    ]
    for method, path, body in refused:
        response = await contents(jp_fetch, method, path, body)
        assert response.code == 403, (method, path, response.code, response.body)
        assert "nbtools store directory" in json.loads(response.body)["message"]
    assert files_under(store) == before
    assert (jp_root_dir / "nb.ipynb").is_file()
    assert not (jp_root_dir / "old.db").exists()

    listed = await contents(jp_fetch, "GET", ".nbtools")
    assert listed.code == 200
    assert "nbtools.db" in [entry["name"] for entry in json.loads(listed.body)["content"]]
    read = await contents(jp_fetch, "GET", ".nbtools/envcache/capture.code")
    assert (read.code, json.loads(read.body)["content"]) == (200, "code nbtools wrote")
    # other hidden files are the user's, as allow_hidden says
    assert (await contents(jp_fetch, "PUT", ".config/x.txt", text)).code == 201
    assert (await contents(jp_fetch, "DELETE", ".config/x.txt")).code == 204
