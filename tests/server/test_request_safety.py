"""Hidden files and the store are never served, file names are data, tokens stay out of logs."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jupyter_server.utils import url_path_join
from tornado import web
from tornado.httpclient import HTTPClientError

from jupyter_nbtools.handlers.base import NbtoolsHandler
from tests.conftest import LogLines, logged, make_notebook
from tests.server.conftest import ONE_WORKER, PATH_ROUTES
from tests.server.test_jobs_api import call, finished

NOTEBOOK = make_notebook([("code", "days = 7", ["parameters"]), ("code", "print(days)", [])])
HIDDEN = (".ssh/keys.ipynb", ".~x.ipynb", ".local/share/nb.ipynb")


pytestmark = pytest.mark.scheduler(ONE_WORKER)


@pytest.fixture
def hidden_notebooks(jp_root_dir: Path) -> Path:
    for name in (*HIDDEN, "visible.ipynb"):
        (jp_root_dir / name).parent.mkdir(parents=True, exist_ok=True)
        (jp_root_dir / name).write_text(json.dumps(NOTEBOOK))
    return jp_root_dir


async def status_of(jp_fetch: Any, method: str, route: str, field: str, path: str) -> int:
    body = {field: path, "snapshot": "x"} if method == "POST" else None
    params = {field: path} if method == "GET" else {}
    try:
        await call(jp_fetch, method, *route.split("/"), body=body, **params)
    except HTTPClientError as error:
        failed = error
    else:
        return 200
    assert failed.response is not None
    reply = json.loads(failed.response.body)
    if reply["error"] != "HiddenPathError":
        return -failed.code
    assert reply["details"]["field"] == field
    return failed.code


async def test_hidden_paths_and_the_store_are_refused_by_every_route(
    jp_fetch: Any, hidden_notebooks: Path
) -> None:
    for method, route, field in PATH_ROUTES:
        for path in (*HIDDEN, ".nbtools/nbtools.db", "sub/../.ssh/keys.ipynb"):
            status = await status_of(jp_fetch, method, route, field, path)
            assert status in (404, -400), (method, route, path, status)
    runs = await call(jp_fetch, "GET", "runs")
    assert runs == []


@pytest.mark.parametrize(
    "jp_server_config",
    [
        {
            "ServerApp": {"jpserver_extensions": {"jupyter_nbtools": True}},
            "ContentsManager": {"allow_hidden": True},
            "JobsSettings": {"run_scheduler": False},
        }
    ],
)
async def test_allow_hidden_serves_hidden_files_but_never_the_store(
    jp_fetch: Any, hidden_notebooks: Path
) -> None:
    model = await call(jp_fetch, "GET", "notebook", path=".ssh/keys.ipynb")
    assert model["path"] == ".ssh/keys.ipynb"
    await call(jp_fetch, "GET", "status")  # creates the store
    status = await status_of(jp_fetch, "GET", "notebook", "path", ".nbtools/nbtools.db")
    assert status == 404


NASTY = 'a "quoted"\\back\nline\rcr é.ipynb'


async def test_a_name_with_quotes_backslash_and_newlines_is_versioned_run_and_downloaded(
    jp_fetch: Any, jp_root_dir: Path
) -> None:
    (jp_root_dir / NASTY).write_text(json.dumps(NOTEBOOK))
    version = await call(jp_fetch, "POST", "versions", body={"path": NASTY})
    assert version["path"] == NASTY
    run = await call(jp_fetch, "POST", "runs", body={"notebook_path": NASTY})
    assert (await finished(jp_fetch, run["id"]))["status"] == "succeeded"
    response = await jp_fetch(
        "nbtools", "api", "runs", str(run["id"]), "download", "notebook", method="GET"
    )
    disposition = response.headers["Content-Disposition"]
    stem = "a _quoted__back_line_cr _"
    assert disposition == (
        f'attachment; filename="{stem}-run-{run["id"]}.ipynb"; filename*=UTF-8'
        "''a%20%22quoted%22%5Cback%0Aline%0Dcr%20%C3%A9" + f"-run-{run['id']}.ipynb"
    )
    assert "".join(json.loads(response.body)["cells"][1]["outputs"][0]["text"]) == "7\n"


class Boom(NbtoolsHandler):
    """A handler with a bug, to see what the base handler logs for a 500."""

    @web.authenticated
    def get(self) -> None:
        raise RuntimeError("a bug")


@pytest.fixture
def server_log(jp_serverapp: Any) -> Iterator[LogLines]:
    loggers = [logging.getLogger(), jp_serverapp.log, logging.getLogger("tornado")]
    with logged(*loggers, form="%(message)s %(exc_info)s") as lines:
        yield lines


async def test_no_token_in_the_log_on_4xx_or_5xx(
    jp_fetch: Any, jp_serverapp: Any, jp_root_dir: Path, jp_base_url: str, server_log: LogLines
) -> None:
    token = jp_serverapp.identity_provider.token
    assert token
    # A broken store too: whatever the server logs for it (4xx or 5xx) has no token.
    store = jp_root_dir / ".nbtools"
    store.mkdir(exist_ok=True)
    (store / "nbtools.db").write_bytes(b"this is not a database" * 100)
    attempts: list[tuple[str, ...]] = [("runs", "²"), ("jobs", "99"), ("versions", "x"), ("runs",)]
    codes = []
    for parts in attempts:
        with pytest.raises(HTTPClientError) as info:
            await jp_fetch("nbtools", "api", *parts, params={"token": token})
        codes.append(info.value.code)
    # A bug in a handler on our base class: a 500, logged with its traceback.
    boom = url_path_join(jp_base_url, "nbtools-test", "boom")
    jp_serverapp.web_app.add_handlers(".*$", [(boom, Boom)])
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("nbtools-test", "boom", params={"token": token, "x": "1"})
    assert info.value.code == 500
    assert json.loads(info.value.response.body)["error"] == "InternalError"
    text = "\n".join(server_log.lines)
    assert "/nbtools/api/runs" in text  # the requests were logged ...
    assert f"GET {boom}?token=[secret]&x=1" in text
    assert "a bug" in text
    assert token not in text  # ... without the token (query or Authorization header)


async def cookie_login(client: Any, base_url: str, token: str) -> str:
    """Log in as a browser does (the login form, with the token as password): the cookies."""
    form = await client.fetch(url_path_join(base_url, "login"))
    xsrf = form.headers.get_list("Set-Cookie")[0].split(";")[0]
    body = f"_xsrf={xsrf.split('=', 1)[1]}&password={token}"
    with pytest.raises(HTTPClientError) as redirect:
        await client.fetch(
            url_path_join(base_url, "login"),
            method="POST",
            body=body,
            headers={"Cookie": xsrf},
            follow_redirects=False,
        )
    assert redirect.value.code == 302
    assert redirect.value.response is not None
    cookies = [c.split(";")[0] for c in redirect.value.response.headers.get_list("Set-Cookie")]
    return "; ".join([xsrf, *cookies])


async def test_downloads_refuse_a_cookie_request_from_another_site(
    jp_fetch: Any,
    jp_root_dir: Path,
    jp_serverapp: Any,
    http_server_client: Any,
    jp_base_url: str,
    jp_http_port: int,
) -> None:
    (jp_root_dir / "nb.ipynb").write_text(json.dumps(NOTEBOOK))
    run = await call(jp_fetch, "POST", "runs", body={"notebook_path": "nb.ipynb"})
    assert (await finished(jp_fetch, run["id"]))["status"] == "succeeded"
    cookie = await cookie_login(
        http_server_client, jp_base_url, jp_serverapp.identity_provider.token
    )
    download = url_path_join(jp_base_url, "nbtools/api/runs", str(run["id"]), "download/notebook")
    own = f"http://127.0.0.1:{jp_http_port}{jp_base_url}lab"
    for referer in (
        None,
        "http://evil.example/page",
        f"https://127.0.0.1.evil.example{jp_base_url}",
    ):
        headers = {"Cookie": cookie, **({"Referer": referer} if referer else {})}
        with pytest.raises(HTTPClientError) as info:
            await http_server_client.fetch(download, headers=headers)
        assert info.value.code == 403, referer
    response = await http_server_client.fetch(download, headers={"Cookie": cookie, "Referer": own})
    assert response.code == 200
    assert "".join(json.loads(response.body)["cells"][0]["source"]) == "days = 7"
    # Cookie login is real: the same cookie reads the API (no cross-site check on JSON reads).
    listed = await http_server_client.fetch(
        url_path_join(jp_base_url, "nbtools/api/runs"), headers={"Cookie": cookie}
    )
    assert [r["id"] for r in json.loads(listed.body)] == [run["id"]]
