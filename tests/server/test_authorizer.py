"""A custom Authorizer (as JupyterHub installs) can deny the nbtools resource."""

from __future__ import annotations

import json
from typing import Any

import pytest
from jupyter_server.auth.authorizer import Authorizer
from tornado.httpclient import HTTPClientError

from tests.server.conftest import server_config


class DenyNbtools(Authorizer):
    """Denies every action on the nbtools resource, allows the rest."""

    def is_authorized(self, handler: Any, user: Any, action: str, resource: str) -> bool:
        return resource != "nbtools"


@pytest.fixture
def jp_server_config() -> dict[str, Any]:
    return server_config({}, authorizer=DenyNbtools)


async def test_authorizer_can_deny_nbtools(jp_fetch: Any) -> None:
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("nbtools", "api", "status")
    assert info.value.code == 403
    assert json.loads(info.value.response.body)["error"] == "HTTPError"
    with pytest.raises(HTTPClientError) as dashboard:
        await jp_fetch("nbtools", "api", "jobs", "overview")
    assert dashboard.value.code == 403
    contents = await jp_fetch("api", "contents")
    assert contents.code == 200
