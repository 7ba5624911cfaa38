"""A custom Authorizer (as JupyterHub installs) can deny the nbtools resource, also to a
version restored through Jupyter's checkpoints, and is asked about every request before
anything of it is read: a denied request is a 403 whatever its body holds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

import pytest
from jupyter_server.auth.authorizer import Authorizer
from tornado.httpclient import HTTPClientError

from tests.conftest import make_notebook
from tests.server.conftest import server_config
from tests.server.test_security import ROUTES

#: The body limit of this server (``NbtoolsApp.max_body_bytes``), so that a body over it is
#: small.
LIMIT = 1024

#: Bodies each refused with 400 or 413 when allowed: not JSON, not an object, a field no
#: route takes, over the limit.
BAD_BODIES = [b"{bad", b"[1", b'{"bogus_field": 1}', b'{"x": "' + b"y" * LIMIT + b'"}']


class DenyNbtools(Authorizer):
    """Denies every action on the nbtools resource, allows the rest; notes what it is asked."""

    asked: ClassVar[list[tuple[str, str]]] = []

    def is_authorized(self, handler: Any, user: Any, action: str, resource: str) -> bool:
        self.asked.append((action, resource))
        return resource != "nbtools"


@pytest.fixture
def jp_server_config() -> dict[str, Any]:
    return server_config({}, authorizer=DenyNbtools, NbtoolsApp={"max_body_bytes": LIMIT})


async def test_authorizer_can_deny_nbtools(jp_fetch: Any) -> None:
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("nbtools", "api", "status")
    assert info.value.code == 403
    assert json.loads(info.value.response.body) == {
        "error": "NotAuthorizedError",
        "message": "You are not allowed to read on nbtools, which GET /nbtools/api/status needs.",
        "details": {"action": "read"},
    }  # the permission to ask for, for a client to show
    with pytest.raises(HTTPClientError) as dashboard:
        await jp_fetch("nbtools", "api", "jobs", "overview")
    assert dashboard.value.code == 403
    contents = await jp_fetch("api", "contents")
    assert contents.code == 200


async def test_restoring_a_version_through_jupyters_checkpoints_needs_nbtools_too(
    jp_fetch: Any, jp_root_dir: Path
) -> None:
    """A checkpoint of a notebook is one of its versions: restoring it asks what nbtools' own
    restore asks (``write`` on nbtools, beside Jupyter's ``write`` on contents), so denying
    nbtools denies both; saving still records versions."""
    for days in (1, 2):
        content = make_notebook([("code", f"days = {days}", [])])
        model = {"type": "notebook", "format": "json", "content": content}
        await jp_fetch("api", "contents", "nb.ipynb", method="PUT", body=json.dumps(model))
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch(
            "api", "contents", "nb.ipynb", "checkpoints", "1",
            method="POST", body=b"", allow_nonstandard_methods=True,
        )  # fmt: skip
    assert info.value.code == 403
    assert "restoring a version" in json.loads(info.value.response.body)["message"]
    assert "days = 2" in (jp_root_dir / "nb.ipynb").read_text()
    assert ("write", "nbtools") in DenyNbtools.asked


@pytest.mark.parametrize(
    ("url", "method"), [(url, method) for url, method in ROUTES if method != "GET"]
)
async def test_a_denied_change_is_403_whatever_its_body(
    jp_fetch: Any, url: str, method: str
) -> None:
    """Every route that changes something asks the Authorizer first: a bad body sent by a
    user who may not make the request is never read (400, 413), the Authorizer never
    skipped."""
    for body in BAD_BODIES if method != "DELETE" else [None]:
        DenyNbtools.asked.clear()
        with pytest.raises(HTTPClientError) as info:
            await jp_fetch(*url.strip("/").split("/"), method=method, body=body)
        assert info.value.code == 403, (body, info.value.response.body)
        assert [resource for _, resource in DenyNbtools.asked] == ["nbtools"]
