"""A run's artifacts over REST: listed, downloaded as an attachment, authorized (``read``),
same-site only for cookie downloads, 404 naming what exists, 400 for a bad name."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

import pytest
from jupyter_server.auth.authorizer import Authorizer
from jupyter_server.utils import url_path_join
from tornado.httpclient import HTTPClientError

from tests.conftest import make_notebook, nbtools
from tests.server.conftest import ONE_WORKER, server_config
from tests.server.openapi_spec import reply_validator
from tests.server.test_jobs_api import call, finished, refused
from tests.server.test_request_safety import cookie_login

pytestmark = pytest.mark.slow

NOTEBOOK = make_notebook(
    [("code", "import nbtools\nnbtools.artifacts.save('model.json', b'{\"weight\": 2}')", [])]
)


class Switchable(Authorizer):
    """Refuses the nbtools actions a test names in :attr:`denied`."""

    denied: ClassVar[set[str]] = set()

    def is_authorized(self, handler: Any, user: Any, action: str, resource: str) -> bool:
        return resource != "nbtools" or action not in self.denied


@pytest.fixture
def jp_server_config() -> dict[str, Any]:
    return server_config(ONE_WORKER, authorizer=Switchable)


async def trained(jp_fetch: Any, root: Path) -> int:
    """A succeeded run that kept ``model.json``."""
    (root / "train.ipynb").write_text(json.dumps(NOTEBOOK))
    run = await call(jp_fetch, "POST", "runs", body={"notebook_path": "train.ipynb"})
    assert (await finished(jp_fetch, run["id"]))["status"] == "succeeded"
    return int(run["id"])


async def test_artifacts_are_listed_and_downloaded(jp_fetch: Any, jp_root_dir: Path) -> None:
    run_id = await trained(jp_fetch, jp_root_dir)
    listed = await call(jp_fetch, "GET", "runs", str(run_id), "artifacts")
    assert [(a["name"], a["size"], a["run_id"]) for a in listed] == [("model.json", 13, run_id)]
    reply_validator("/runs/{run_id}/artifacts", "GET", 200).validate(listed)
    shown = await call(jp_fetch, "GET", "runs", str(run_id))
    reply_validator("/runs/{run_id}", "GET", 200).validate(shown)
    assert [a["name"] for a in shown["artifacts"]] == ["model.json"]
    # where it is stored, relative to the root as the file browser shows paths (the server's
    # layout is no client's business); the CLI's --json, for scripts on the server, in full
    stored = f".nbtools/runs/{run_id}/artifacts/model.json"
    (page,) = await call(jp_fetch, "GET", "runs")
    assert listed[0]["location"] == shown["artifacts"][0]["location"] == stored
    assert page["artifacts"][0]["location"] == stored
    on_server = json.loads(nbtools(jp_root_dir, "runs", "show", str(run_id), "--json").stdout)
    assert on_server["artifacts"][0]["location"] == str(jp_root_dir.resolve() / stored)
    response = await jp_fetch("nbtools", "api", "runs", str(run_id), "artifacts", "model.json")
    assert response.body == b'{"weight": 2}'
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="model.json"')
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]


async def test_unknown_runs_and_artifacts_are_404_and_bad_names_400(
    jp_fetch: Any, jp_root_dir: Path
) -> None:
    run_id = await trained(jp_fetch, jp_root_dir)
    missing = await refused(jp_fetch, "GET", "runs", str(run_id), "artifacts", "weights")
    assert missing["error"] == "NotFoundError"
    assert missing["details"]["available"] == ["model.json"]
    assert "it kept model.json" in missing["message"]
    for path in (("runs", "999", "artifacts"), ("runs", "999", "artifacts", "model.json")):
        assert (await refused(jp_fetch, "GET", *path))["error"] == "NotFoundError"
    for bad in ("..", ".model", "a b", "x" * 129):
        payload = await refused(jp_fetch, "GET", "runs", str(run_id), "artifacts", bad)
        assert payload["details"]["field"] == "name", bad


async def test_reading_artifacts_needs_the_read_permission(
    jp_fetch: Any, jp_root_dir: Path
) -> None:
    run_id = await trained(jp_fetch, jp_root_dir)
    Switchable.denied = {"read"}
    try:
        for path in (("artifacts",), ("artifacts", "model.json")):
            with pytest.raises(HTTPClientError) as info:
                await jp_fetch("nbtools", "api", "runs", str(run_id), *path)
            assert info.value.code == 403, path
    finally:
        Switchable.denied = set()


async def test_a_cookie_download_from_another_site_is_refused(
    jp_fetch: Any,
    jp_root_dir: Path,
    jp_serverapp: Any,
    http_server_client: Any,
    jp_base_url: str,
    jp_http_port: int,
) -> None:
    run_id = await trained(jp_fetch, jp_root_dir)
    cookie = await cookie_login(
        http_server_client, jp_base_url, jp_serverapp.identity_provider.token
    )
    download = url_path_join(jp_base_url, "nbtools/api/runs", str(run_id), "artifacts/model.json")
    for referer in (None, "http://evil.example/page"):
        headers = {"Cookie": cookie, **({"Referer": referer} if referer else {})}
        with pytest.raises(HTTPClientError) as info:
            await http_server_client.fetch(download, headers=headers)
        assert info.value.code == 403, referer
    own = f"http://127.0.0.1:{jp_http_port}{jp_base_url}lab"
    response = await http_server_client.fetch(download, headers={"Cookie": cookie, "Referer": own})
    assert response.body == b'{"weight": 2}'
