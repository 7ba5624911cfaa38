"""Lock-file exports over REST: the index is the server's setting (``c.EnvSettings.index_url``),
never a request's, since the server is the one fetching from it."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

from tests.index_mirror import Mirror, serving_mirror, with_login
from tests.server.conftest import server_config

try:
    import tomllib
except ImportError:  # Python < 3.11
    import tomli as tomllib


@pytest.fixture
def mirror() -> Iterator[Mirror]:
    with serving_mirror() as server:
        yield server


@pytest.fixture
def jp_server_config(mirror: Mirror) -> dict[str, Any]:
    return {
        "ServerApp": {"jpserver_extensions": {"jupyter_nbtools": True}},
        "EnvSettings": {"index_url": with_login(mirror, "/simple")},
    }


async def imported(jp_fetch: Any) -> str:
    body = json.dumps({"name": "requirements.txt", "content": "six==1.17.0\n"})
    reply = await jp_fetch("nbtools", "api", "env", "import", method="POST", body=body)
    return str(json.loads(reply.body)["id"])


async def test_a_pylock_export_pins_the_files_of_the_server_s_index(
    jp_fetch: Any, mirror: Mirror
) -> None:
    snapshot = await imported(jp_fetch)
    reply = await jp_fetch(
        "nbtools", "api", "env", "snapshots", snapshot, "export", params={"format": "pylock"}
    )
    exported = json.loads(reply.body)
    (six,) = tomllib.loads(exported["content"])["packages"]
    assert six["index"] == exported["index"] == f"{mirror.base}/simple"
    assert "t0k" not in reply.body.decode()  # the login is sent, never answered


async def test_a_request_cannot_choose_the_index(jp_fetch: Any, mirror: Mirror) -> None:
    snapshot = await imported(jp_fetch)
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch(
            "nbtools",
            "api",
            "env",
            "snapshots",
            snapshot,
            "export",
            params={"format": "pylock", "index_url": "http://169.254.169.254/latest"},
        )
    assert info.value.code == 400
    error = json.loads(info.value.response.body)
    assert error["details"]["field"] == "index_url"
    assert "c.EnvSettings.index_url" in error["message"]
    assert mirror.authorizations == []  # nothing was fetched, from anywhere


class TestPipFileIndex:
    """The server's pip installs from a folder (``PIP_INDEX_URL=file://…``), which no lock
    file can ask: the extension starts all the same, and only a pylock.toml is refused."""

    @pytest.fixture
    def jp_server_config(self, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
        monkeypatch.setenv("PIP_INDEX_URL", "file:///srv/wheels")
        monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
        return server_config({})

    async def test_requirements_are_exported_and_a_lock_file_is_refused(
        self, jp_fetch: Any
    ) -> None:
        snapshot = await imported(jp_fetch)
        export = ("nbtools", "api", "env", "snapshots", snapshot, "export")
        plain = json.loads((await jp_fetch(*export, params={"format": "requirements"})).body)
        assert "six==1.17.0" in plain["content"]
        assert plain["index"] is None
        with pytest.raises(HTTPClientError) as info:
            await jp_fetch(*export, params={"format": "pylock"})
        assert info.value.code == 400
        error = json.loads(info.value.response.body)
        assert error["details"]["field"] == "index_url"
        assert (
            "needs an http:// or https:// URL with a host, got 'file:///srv/wheels'"
            in error["message"]
        )
