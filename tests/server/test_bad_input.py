"""Bad input never answers 500: every registered route, sent hostile ids, numbers, bodies and
query arguments, answers 4xx with a JSON error, and names the field it refused (the server
tests' ``jp_fetch`` checks every 400 names one)."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError, HTTPResponse

from jupyter_nbtools.handlers.bodies import fields_taken
from jupyter_nbtools.routes import all_routes
from nbtools import envsnap
from nbtools.jobs.definitions import create_job
from nbtools.project import Project
from tests.conftest import make_notebook
from tests.server.conftest import check_error_reply, server_config

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
LIMIT = 4096
GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")
#: Ids that are not ids: a Unicode digit, negative, zero, beyond an id column's 2^31 - 1
#: (PostgreSQL refuses the query) or 2^63 - 1, not a number.
BAD_IDS = ("²", "-1", "0", str(2**31), str(2**63), str(2**64 + 5), "1e3", "٣", "9" * 5000)
#: Values of a wrong JSON type or out of any database's range, for every body field.
BAD_VALUES: tuple[Any, ...] = (2**64, [1], {"a": 1}, "²", -1, 2**63, True, 1.5, "")
#: Query arguments some route reads, each sent malformed.
QUERY_ARGUMENTS = ("limit", "before", "job_id", "job", "run", "count")
BAD_NUMBERS = ("²", "-1", str(2**64), "", "9" * 5000)


@pytest.fixture
def jp_server_config() -> dict[str, Any]:
    return server_config(NbtoolsApp={"max_body_bytes": LIMIT})


@pytest.fixture
def job(jp_root_dir: Path, jp_serverapp: Any) -> int:
    """A notebook with a parameter and a job of it, so bodies reach their fields' checks."""
    notebook = make_notebook([("code", "days = 7", ["parameters"]), ("code", "days", [])])
    (jp_root_dir / "nb.ipynb").write_text(json.dumps(notebook))
    project: Project = jp_serverapp.web_app.settings["nbtools_project"]
    return create_job(project, {"notebook_path": "nb.ipynb"}).id


def routes() -> list[tuple[str, str, list[str]]]:
    """(pattern, method, names of its URL groups) of every registered route."""
    found = []
    for pattern, handler in all_routes():
        for method in METHODS:
            if method.lower() in handler.__dict__:
                found.append((pattern, method, GROUP.findall(pattern)))
                TAKEN[pattern, method] = fields_taken(getattr(handler, method.lower()))
    return found


def url(pattern: str, values: dict[str, str]) -> str:
    """A concrete URL: each named group takes ``values[name]`` (default ``1``)."""
    filled = GROUP.sub(lambda m: values.get(m.group(1), "1"), pattern)
    return re.sub(r"\\(.)", r"\1", filled.rstrip("$"))


async def send(
    jp_fetch: Any, method: str, target: str, body: bytes | None = None, **params: str
) -> tuple[int, dict[str, Any]]:
    if body is None and method in ("POST", "PUT", "PATCH"):
        body = b"{}"
    request = jp_fetch(*target.strip("/").split("/"), method=method, body=body, params=params)
    response = await answered(request, f"{method} {target} {params}")
    return response.code, reply_json(response)


async def answered(request: Awaitable[HTTPResponse], what: str) -> HTTPResponse:
    """The reply to ``request``, an error's too, which must not be a server error (500 or
    more): ``what`` names the request if it is."""
    try:
        return await request
    except HTTPClientError as error:
        failed = error
    assert failed.response is not None
    assert failed.code < 500, f"{what} answered {failed.code}"
    return failed.response


def reply_json(response: HTTPResponse) -> Any:
    """The JSON of a reply: an error's, always (every refusal is JSON); another's, if any."""
    if response.code >= 400:
        return json.loads(response.body)
    json_reply = response.headers.get("Content-Type", "").startswith("application/json")
    return json.loads(response.body) if json_reply and response.body else {}


def names(payload: dict[str, Any], field: str) -> bool:
    return payload.get("details", {}).get("field") == field or field in payload["message"]


#: (pattern, method) → the fields its body takes (``@body_fields``); None: any.
TAKEN: dict[tuple[str, str], frozenset[str] | None] = {}
ROUTES = routes()
ID_ROUTES = [
    (pattern, method, group)
    for pattern, method, groups in ROUTES
    for group in groups
    if group.endswith("_id") and group != "snapshot_id"
]
BODY_ROUTES = [(p, m) for p, m, _ in ROUTES if m in ("POST", "PUT", "PATCH")]
QUERY_ROUTES = [(p, m) for p, m, _ in ROUTES if m in ("GET", "DELETE")]


def test_routes_are_enumerated() -> None:
    assert {group for _, _, group in ID_ROUTES} >= {"run_id", "job_id", "version_id"}
    assert ("/nbtools/api/runs", "POST") in BODY_ROUTES
    assert ("/nbtools/api/runs", "GET") in QUERY_ROUTES


async def test_a_bad_id_is_400_naming_it(jp_fetch: Any, job: int) -> None:
    for pattern, method, group in ID_ROUTES:
        for bad in BAD_IDS:
            status, payload = await send(jp_fetch, method, url(pattern, {group: bad}))
            assert status == 400, (pattern, method, bad, payload)
            assert payload["error"] == "InvalidInputError"
            assert payload["details"]["field"] == group


async def test_malformed_bodies_are_refused_naming_the_body(jp_fetch: Any, job: int) -> None:
    for pattern, method in BODY_ROUTES:
        path = url(pattern, {})
        deep = b'{"x": ' + b"[" * 1500 + b"]" * 1500 + b"}"  # valid JSON, too deep to read
        for body in (b"[1, 2]", b'"text"', b"{not json", b"\xff\xfe", b"null", deep):
            status, payload = await send(jp_fetch, method, path, body)
            refused = (status, payload.get("details", {}).get("field"))
            assert refused == (400, "body"), (pattern, method, body, payload)
        status, payload = await send(jp_fetch, method, path, b'{"x": "' + b"a" * LIMIT + b'"}')
        assert status == 413, (pattern, method, payload)
        assert payload["details"] == {"field": "body", "limit": LIMIT}
        assert "max_body_bytes" in payload["message"]
        for body in (b"", b"{}", b"   "):  # empty: every field absent
            await send(jp_fetch, method, path, body)


async def test_wrong_field_types_and_huge_numbers_are_4xx(jp_fetch: Any, job: int) -> None:
    """Each field a route takes, sent values of every wrong kind (with the route's paths
    valid, so that the field's own check is reached)."""
    for pattern, method in BODY_ROUTES:
        if pattern.endswith(("/extract", "/env/snapshots", "/env/check", "/env/recreate")):
            continue  # their valid bodies start kernels or installs: covered by their tests
        taken = TAKEN[pattern, method]
        if taken is None:
            continue  # a body passed on to a service preview: test_services_api
        path = url(pattern, {})
        paths = {name: "nb.ipynb" for name in ("notebook_path", "path") if name in taken}
        for index, field in enumerate(sorted(taken)):
            for value in (BAD_VALUES[index % len(BAD_VALUES)], BAD_VALUES[-index % 3]):
                await send(jp_fetch, method, path, json.dumps({**paths, field: value}).encode())


async def test_an_unknown_body_field_is_refused_naming_it(jp_fetch: Any, job: int) -> None:
    """Every route refuses a field it does not take, before it acts: a misspelt
    ``timeout_second`` never queues a run without its timeout."""
    runs_before = await send(jp_fetch, "GET", "nbtools/api/runs")
    for pattern, method in BODY_ROUTES:
        taken = TAKEN[pattern, method]
        if taken is None:
            continue
        known = {name: "nb.ipynb" for name in ("notebook_path", "path") if name in taken}
        for typo in ("timeout_second", "bogus"):
            body = json.dumps({**known, typo: 5, "zzz": 1}).encode()
            status, payload = await send(jp_fetch, method, url(pattern, {"job_id": str(job)}), body)
            assert (status, payload["details"]) == (400, {"field": typo, "fields": [typo, "zzz"]})
            assert (f"only {', '.join(sorted(taken))}." if taken else "no fields.") in payload[
                "message"
            ]
    assert await send(jp_fetch, "GET", "nbtools/api/runs") == runs_before


def test_each_route_that_reads_a_body_says_which_fields() -> None:
    assert TAKEN["/nbtools/api/runs", "POST"] >= {"notebook_path", "timeout_seconds"}
    assert TAKEN["/nbtools/api/runs/(?P<run_id>[^/]+)/cancel", "POST"] == frozenset()
    passed_on = [route for route, taken in TAKEN.items() if taken is None]
    assert passed_on == [
        ("/nbtools/api/services/(?P<preview_id>[^/]+)/call/(?P<endpoint>[^/]+)", "POST")
    ]


async def test_bad_query_numbers_are_4xx_naming_the_argument(jp_fetch: Any, job: int) -> None:
    for pattern, method in QUERY_ROUTES:
        path = url(pattern, {})
        for argument in QUERY_ARGUMENTS:
            for bad in BAD_NUMBERS:
                status, payload = await send(
                    jp_fetch, method, path, path="nb.ipynb", **{argument: bad}
                )
                field = payload.get("details", {}).get("field") if status == 400 else None
                if field in QUERY_ARGUMENTS:
                    assert (status, payload["details"]["field"]) == (400, argument)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("runs", {"notebook_path": "nb.ipynb", "parameters": [1]}),
        ("runs", {"notebook_path": "nb.ipynb", "parameters": "days=3"}),
        ("jobs", {"notebook_path": "nb.ipynb", "parameters": 5}),
        ("jobs/{job}/run", {"parameters": ["days"]}),
        ("jobs/{job}", {"parameters": "x"}),
    ],
)
async def test_parameters_that_are_not_an_object_are_400(
    jp_fetch: Any, job: int, path: str, body: dict[str, Any]
) -> None:
    method = "PATCH" if path == "jobs/{job}" else "POST"
    target = "nbtools/api/" + path.format(job=job)
    status, payload = await send(jp_fetch, method, target, json.dumps(body).encode())
    assert status == 400
    assert payload["details"]["field"] == "parameters"


@pytest.mark.parametrize(
    ("field", "value"),
    [("retries", 2**31), ("max_concurrent", 2**64), ("timeout_seconds", 2**63), ("retries", -1)],
)
async def test_numbers_beyond_the_database_are_400(
    jp_fetch: Any, job: int, field: str, value: int
) -> None:
    body = json.dumps({"notebook_path": "nb.ipynb", field: value}).encode()
    status, payload = await send(jp_fetch, "POST", "nbtools/api/jobs", body)
    assert (status, payload["details"]["field"]) == (400, field)


async def test_a_refused_request_changes_nothing(jp_fetch: Any, job: int) -> None:
    before = await send(jp_fetch, "GET", f"nbtools/api/jobs/{job}")
    await send(jp_fetch, "PATCH", f"nbtools/api/jobs/{job}", b'{"retries": 99999999999}')
    after = await send(jp_fetch, "GET", f"nbtools/api/jobs/{job}")
    assert before == after


#: Numbers written out beyond a float's range, which Python's json reads as infinities.
BEYOND_FLOAT = (b"1e999", b"-1E+400", b"1" * 400 + b".5", b"2" * 250 + b"e99")


async def test_a_number_beyond_a_float_is_400_naming_where_it_is(jp_fetch: Any, job: int) -> None:
    """``1e999`` was taken as an infinity (a job's float parameter stored "inf"): it is
    refused on every route that reads a body, as a whole number that long is, naming its field
    and, in ``parameters``, the parameter. The tokens ``Infinity`` and ``NaN`` and the string
    ``"inf"`` are what they say (test_jobs_api)."""
    listed = [await send(jp_fetch, "GET", f"nbtools/api/{what}") for what in ("jobs", "runs")]
    for pattern, method in BODY_ROUTES:
        taken = TAKEN[pattern, method]
        for field in sorted(taken) if taken is not None else ["rows"]:
            for number in BEYOND_FLOAT:
                body = b'{"%s": [0.5, %s]}' % (field.encode(), number)
                status, payload = await send(jp_fetch, method, url(pattern, {}), body)
                assert (status, payload["details"]) == (400, {"field": field}), (pattern, body)
                assert "beyond a float's range" in payload["message"]
    path = b'"notebook_path": "nb.ipynb", '
    for method, target, given in (
        ("POST", "runs", path),
        ("POST", "jobs", path),
        ("PATCH", f"jobs/{job}", b""),
        ("POST", f"jobs/{job}/run", b""),
    ):
        for value, said in (
            (b"-1e999", 'written "inf" or "-inf".'),
            (b'{"a": [1e400]}', "(±1.8e+308)."),
        ):
            body = b'{%s"parameters": {"days": %s}}' % (given, value)
            status, payload = await send(jp_fetch, method, f"nbtools/api/{target}", body)
            assert (status, payload["details"]) == (
                400,
                {"field": "parameters", "parameter": "days"},
            )
            assert said in payload["message"]
    bare = await send(jp_fetch, "POST", "nbtools/api/runs", b"1e999")
    assert (bare[0], bare[1]["details"]) == (400, {"field": "body"})
    assert [await send(jp_fetch, "GET", f"nbtools/api/{what}") for what in ("jobs", "runs")] == (
        listed
    )


LONG_NAME = "a" * 300  # longer than a file name may be (255 bytes)
LONG_ID = "f" * 60_000  # LIKE 'fff…%' this long made SQLite refuse the pattern: a 500


@pytest.mark.parametrize(
    ("method", "target", "body", "params", "field"),
    [
        ("POST", "versions", {"path": LONG_NAME + ".ipynb"}, {}, "path"),
        ("POST", "runs", {"notebook_path": LONG_NAME + ".ipynb"}, {}, "notebook_path"),
        ("POST", "extract", {"path": LONG_NAME + ".ipynb"}, {}, "path"),
        ("POST", "extract", {"path": "nb.ipynb", "output": LONG_NAME}, {}, "output"),
        ("POST", "services", {"package_dir": LONG_NAME}, {}, "package_dir"),
        ("GET", "data/check", None, {"path": LONG_NAME + ".ipynb"}, "path"),
        ("GET", "notebook", None, {"path": LONG_NAME + ".ipynb"}, "path"),
        ("GET", "parameters", None, {"path": LONG_NAME + ".ipynb"}, "path"),
        (
            "POST",
            "jobs",
            {"notebook_path": "nb.ipynb", "timezone": "Europe/" + LONG_NAME},
            {},
            "timezone",
        ),
        ("POST", "jobs", {"notebook_path": "nb.ipynb", "timezone": "Europe"}, {}, "timezone"),
        ("PATCH", "jobs/{job}", {"timezone": "Europe/" + LONG_NAME}, {}, "timezone"),
        ("GET", "cron/preview", None, {"cron": "daily", "timezone": LONG_NAME}, "timezone"),
        ("POST", "env/check", {"snapshot": "f" * 65, "kernel": "python3"}, {}, "snapshot"),
        ("POST", "env/recreate", {"snapshot": "f" * 65, "path": "venv"}, {}, "snapshot"),
        ("GET", "env/diff", None, {"old": LONG_ID, "new": "f"}, "old"),
        ("GET", "env/diff", None, {"old": "f", "new": LONG_ID}, "new"),
        ("GET", "env/snapshots/" + LONG_ID, None, {}, "snapshot_id"),
        ("GET", "env/snapshots/" + LONG_ID + "/export", None, {}, "snapshot_id"),
        ("POST", "jobs", {"notebook_path": "nb.ipynb", "bogus": 1}, {}, "bogus"),
        ("PATCH", "jobs/{job}", {"bogus": 1}, {}, "bogus"),
        ("POST", "jobs/{job}/run", {"parameters": {"x": 1}}, {}, "parameters"),
        (
            "POST",
            "runs",
            {"notebook_path": "nb.ipynb", "parameters": {"days": "7"}},
            {},
            "parameters",
        ),
        ("POST", "extract", {"path": "plain.ipynb", "content": {"foo": 1}}, {}, "content"),
        ("POST", "extract", {"path": "nb.ipynb", "name": "a b c"}, {}, "name"),
        ("POST", "extract", {"path": "nb.ipynb", "version": "x"}, {}, "version"),
        ("GET", "data/check", None, {"path": "data/customers.csv"}, "path"),
        ("GET", "notebook", None, {"path": "data/customers.csv"}, "path"),
        ("GET", "versions/diff", None, {"path": "nb.ipynb", "b": "first"}, "b"),
    ],
)
async def test_the_reported_bad_requests_name_their_field(
    jp_fetch: Any,
    jp_serverapp: Any,
    jp_root_dir: Path,
    job: int,
    method: str,
    target: str,
    body: dict[str, Any] | None,
    params: dict[str, str],
    field: str,
) -> None:
    """Each once answered 500, or 400 without ``details.field``: a name or an id too long, a
    time zone that is a folder, unknown fields, a notebook sent as ``content`` blamed on the
    file, an unknown parameter, a CSV given as a notebook, a version reference of ``b``."""
    project: Project = jp_serverapp.web_app.settings["nbtools_project"]
    envsnap.import_text(project, "requests==2.31.0\n", "requirements.txt")  # rows to match
    (jp_root_dir / "plain.ipynb").write_text(json.dumps(make_notebook([("code", "1", [])])))
    (jp_root_dir / "data").mkdir()
    (jp_root_dir / "data" / "customers.csv").write_text("id,name\n1,Ann\n")
    data = json.dumps(body).encode() if body is not None else None
    where = "nbtools/api/" + target.format(job=job)
    status, payload = await send(jp_fetch, method, where, data, **params)
    assert (status, payload["details"]["field"]) == (400, field), payload
    assert len(payload["message"]) < 1000  # a long input is cut short, not echoed whole
    if field == "content":
        assert payload["message"].startswith("'content' is JSON but not a notebook")
    if field == "parameters" and "x" in json.dumps(body):
        assert payload["details"]["parameter"] == "x"


#: Query arguments of text some route reads (the audit trail's filters, the catalog's tag and
#: search, paths, a cron), each sent as bytes that are not UTF-8.
TEXT_ARGUMENTS = ("actor", "action", "object", "since", "tag", "q", "path", "cron", "purpose")


async def send_raw(
    http_server_client: Any, headers: dict[str, str], base: str, method: str, target: str
) -> tuple[int, Any]:
    """``send`` of ``target`` (a route's path and query) as it is, under the server's ``base``
    URL: ``jp_fetch`` would escape a ``%`` in its path."""
    body = b"{}" if method in ("POST", "PUT", "PATCH") else None
    request = http_server_client.fetch(base + target, method=method, body=body, headers=headers)
    response = await answered(request, f"{method} {target}")
    check_error_reply(tuple(target.split("?")[0].split("/")), response)
    return response.code, reply_json(response)


async def test_bytes_that_are_not_utf8_are_400_naming_the_argument(
    http_server_client: Any, jp_auth_header: dict[str, str], jp_base_url: str, job: int
) -> None:
    """Tornado answered these 400 without ``details.field`` (``Invalid unicode in q``)."""
    send = functools.partial(send_raw, http_server_client, jp_auth_header, jp_base_url.rstrip("/"))
    for pattern, method, groups in ROUTES:
        for group in groups:
            where = url(pattern, {"job_id": str(job), group: "%ff"})
            status, payload = await send(method, where)
            assert (status, payload["details"]) == (400, {"field": group}), (pattern, method)
    refused = set()
    for pattern, method in QUERY_ROUTES:
        for argument in TEXT_ARGUMENTS:
            known = "" if argument == "path" else "path=nb.ipynb&"  # the routes needing it
            where = f"{url(pattern, {'job_id': str(job)})}?{known}{argument}=a%ff%fe"
            status, payload = await send(method, where)
            message = payload.get("message", "") if isinstance(payload, dict) else ""
            if "UTF-8" in message or "unicode" in message:  # the route read the argument
                assert (status, payload["details"]) == (400, {"field": argument}), payload
                assert message == f"'{argument}' is not UTF-8 text: its %-escapes decode to " \
                    "b'a\\xff\\xfe'."  # fmt: skip
                refused.add(argument)
    assert refused == set(TEXT_ARGUMENTS)
    reported = [
        ("audit", "actor"), ("datasets", "tag"), ("datasets/search", "q"),
        ("data/check", "path"), ("audit", "since"), ("cron/preview", "cron"),
    ]  # fmt: skip
    for route, argument in reported:
        where = f"/nbtools/api/{route}?{argument}=%ff"
        status, payload = await send("GET", where)
        assert (status, payload["details"]["field"]) == (400, argument)
    status, payload = await send("GET", "/nbtools/api/datasets/%ff")
    assert (status, payload["details"]["field"]) == (400, "name")
