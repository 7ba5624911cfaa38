"""Every route the extension registers refuses unauthenticated calls."""

from __future__ import annotations

import re
from typing import Any

import pytest
from jupyter_server.utils import url_path_join
from tornado.httpclient import HTTPClientError

from jupyter_nbtools.routes import all_routes

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def sample_url(pattern: str) -> str:
    """A concrete URL for a route pattern: every regex group becomes ``1`` (fits ids too),
    escaped characters (``openapi\\.yaml``) themselves."""
    url = re.sub(r"\(\?P<\w+>[^)]*\)|\([^)]*\)", "1", pattern).rstrip("$")
    return re.sub(r"\\(.)", r"\1", url)


def implemented_methods(handler: type) -> list[str]:
    return [m for m in METHODS if m.lower() in handler.__dict__]


ROUTES = [
    (sample_url(pattern), method)
    for pattern, handler in all_routes()
    for method in implemented_methods(handler)
]


def test_routes_are_enumerated() -> None:
    assert ("/nbtools/api/status", "GET") in ROUTES


@pytest.mark.parametrize(("url", "method"), ROUTES)
async def test_unauthenticated_calls_get_403(
    http_server_client: Any, jp_serverapp: Any, jp_base_url: str, url: str, method: str
) -> None:
    body = b"{}" if method in {"POST", "PUT", "PATCH"} else None
    with pytest.raises(HTTPClientError) as info:
        await http_server_client.fetch(url_path_join(jp_base_url, url), method=method, body=body)
    assert info.value.code == 403
