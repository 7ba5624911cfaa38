"""The versions REST API on a real Jupyter server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

from tests.unit.versioning.conftest import edit, rich_notebook, write

#: A version number past any the store can hold (SQLite refuses to bind it).
HUGE = "99999999999999999999"


async def api(jp_fetch: Any, *parts: str, body: Any = None, **params: str) -> Any:
    method = "GET" if body is None else "POST"
    response = await jp_fetch(
        "nbtools",
        "api",
        "versions",
        *parts,
        method=method,
        params=params,
        body=None if body is None else json.dumps(body),
    )
    return json.loads(response.body)


async def error(jp_fetch: Any, *parts: str, body: Any = None, **params: str) -> tuple[int, Any]:
    with pytest.raises(HTTPClientError) as info:
        await api(jp_fetch, *parts, body=body, **params)
    return info.value.code, json.loads(info.value.response.body)


async def test_save_list_show_diff_and_restore(jp_fetch: Any, jp_root_dir: Path) -> None:
    path = jp_root_dir / "nb.ipynb"
    original = write(path, rich_notebook())
    first = await api(jp_fetch, body={"path": "nb.ipynb", "message": "baseline"})
    assert (first["number"], first["message"], first["named"]) == (1, "baseline", True)
    write(path, edit(rich_notebook(), 1, "x = 2"))
    await api(jp_fetch, body={"path": "nb.ipynb"})
    history = await api(jp_fetch, path="nb.ipynb")
    assert [v["number"] for v in history["versions"]] == [2, 1]
    assert history["failure"] is None
    shown = await api(jp_fetch, str(first["id"]))
    assert (shown["number"], shown["references"]) == (1, [])
    notebook = await api(jp_fetch, str(first["id"]), "notebook")
    assert notebook["cells"][1]["source"] == "x = 1\ny = 2\nprint(x + y)\n"
    model = await api(jp_fetch, "diff", path="nb.ipynb", a="1", b="2")
    assert model["summary"]["modified"] == 1
    assert {"op": "+", "text": "x = 2"} in model["cells"][1]["source"]
    restored = await api(jp_fetch, str(first["id"]), "restore", body={})
    assert (restored["before"]["number"], restored["after"]["number"]) == (2, 3)
    assert path.read_bytes() == original
    copy = await api(jp_fetch, "2", "restore", body={"as_path": "copy.ipynb"})
    assert copy["path"] == "copy.ipynb"
    assert (jp_root_dir / "copy.ipynb").exists()


async def test_gc(jp_fetch: Any, jp_root_dir: Path) -> None:
    for step in range(3):
        write(jp_root_dir / "nb.ipynb", edit(rich_notebook(), 1, f"x = {step}"))
        await api(jp_fetch, body={"path": "nb.ipynb"})
    dry = await api(jp_fetch, "gc", body={"keep": 1, "dry_run": True})
    assert [v["number"] for v in dry["versions_removed"]] == [2, 1]
    done = await api(jp_fetch, "gc", body={"keep": 1})
    assert done["objects_removed"] > 0
    assert [v["number"] for v in (await api(jp_fetch, path="nb.ipynb"))["versions"]] == [3]


@pytest.mark.parametrize(
    ("message", "why"),
    [
        ("", "The version message is empty: give a few words or omit it."),
        ("   ", "The version message is empty: give a few words or omit it."),
        ("\n\t", "The version message is empty: give a few words or omit it."),
        ("a\x00b", "at most 4096 characters, without NUL"),
        ("x" * 4097, "at most 4096 characters, without NUL"),
    ],
)
async def test_a_message_the_store_cannot_keep_names_its_field(
    jp_fetch: Any, jp_root_dir: Path, message: str, why: str
) -> None:
    """An empty or blank message, one with a NUL or one of more than 4096 characters is a 400
    naming ``message`` (JupyterLab's form shows the error at that field; on PostgreSQL a NUL
    was a 500), and records nothing."""
    write(jp_root_dir / "nb.ipynb", rich_notebook())
    code, reply = await error(jp_fetch, body={"path": "nb.ipynb", "message": message})
    assert (code, reply["error"], reply["details"]) == (
        400,
        "InvalidInputError",
        {"field": "message"},
    )
    assert why in reply["message"]
    assert (await api(jp_fetch, path="nb.ipynb"))["versions"] == []


async def test_an_empty_as_path_names_its_field_and_restores_nothing(
    jp_fetch: Any, jp_root_dir: Path
) -> None:
    """``as_path`` names the copy to write: an empty one is a 400, never a restore onto the
    notebook itself (which is what leaving the field out, or null, asks for)."""
    path = jp_root_dir / "nb.ipynb"
    write(path, rich_notebook())
    first = await api(jp_fetch, body={"path": "nb.ipynb"})
    edited = write(path, edit(rich_notebook(), 1, "x = 2"))
    await api(jp_fetch, body={"path": "nb.ipynb"})
    code, reply = await error(jp_fetch, str(first["id"]), "restore", body={"as_path": ""})
    assert (code, reply["error"], reply["details"]) == (
        400,
        "InvalidInputError",
        {"field": "as_path"},
    )
    assert "'as_path' must be a non-empty path" in reply["message"]
    assert path.read_bytes() == edited
    assert [v["number"] for v in (await api(jp_fetch, path="nb.ipynb"))["versions"]] == [2, 1]


@pytest.mark.parametrize(
    ("parts", "body", "params", "status", "name", "message"),
    [
        ((), None, {"path": "../x.ipynb"}, 400, "PathOutsideRootError", "contains '..'"),
        ((), {"path": "missing.ipynb"}, {}, 404, "NotFoundError", "Notebook not found"),
        ((), {"path": "nb.ipynb", "message": 5}, {}, 400, "InvalidInputError", "'message'"),
        ((), {}, {}, 400, "InvalidInputError", "body needs 'path'"),
        ((), None, {"path": "nb.ipynb", "limit": "x"}, 400, "InvalidInputError", "limit"),
        (("99",), None, {}, 404, "NotFoundError", "no version with id 99"),
        (("x", "notebook"), None, {}, 400, "InvalidInputError", "'version_id' must be an id"),
        (("diff",), None, {"path": "nb.ipynb", "a": "nope"}, 400, "InvalidInputError", "nope"),
        (
            ("diff",),
            None,
            {"path": "nb.ipynb", "a": "\u0661"},
            400,
            "InvalidInputError",
            "'\u0661'",
        ),
        (("diff",), None, {"path": "nb.ipynb", "a": HUGE}, 404, "NotFoundError", "no version"),
        (("diff",), None, {"path": "nb.ipynb", "b": HUGE}, 404, "NotFoundError", "no version"),
        (
            ("diff",),
            None,
            {"path": "nb.ipynb", "a": "1", "b": f"latest~{HUGE}"},
            404,
            "NotFoundError",
            "no version",
        ),
        (
            ("diff",),
            None,
            {"path": "nb.ipynb", "a": str(2**31)},
            404,
            "NotFoundError",
            "no version",
        ),
        ((str(2**31),), None, {}, 400, "InvalidInputError", "'version_id' must be an id"),
        ((HUGE, "restore"), {}, {}, 400, "InvalidInputError", "'version_id' must be an id"),
        ((), None, {"path": "nb.ipynb", "limit": str(2**63)}, 400, "InvalidInputError", "limit"),
        (("diff",), None, {"path": "broken.ipynb"}, 400, "NotebookError", "truncated"),
        (("1", "restore"), {"as_path": "nb.ipynb"}, {}, 409, "ConflictError", "already exists"),
        (
            ("1", "restore"),
            {"as_path": ".nbtools/x.ipynb"},
            {},
            404,
            "HiddenPathError",
            "store directory",
        ),
        (("gc",), {"keep": 0}, {}, 400, "InvalidInputError", "at least 1"),
        (("gc",), {"keep": True}, {}, 400, "InvalidInputError", "'keep' must be a whole number"),
    ],
)
async def test_bad_requests_are_4xx_json(
    jp_fetch: Any,
    jp_root_dir: Path,
    parts: tuple[str, ...],
    body: Any,
    params: dict[str, str],
    status: int,
    name: str,
    message: str,
) -> None:
    data = write(jp_root_dir / "nb.ipynb", rich_notebook())
    await api(jp_fetch, body={"path": "nb.ipynb"})
    (jp_root_dir / "broken.ipynb").write_bytes(data)
    await api(jp_fetch, body={"path": "broken.ipynb"})
    (jp_root_dir / "broken.ipynb").write_bytes(data[:50])
    code, reply = await error(jp_fetch, *parts, body=body, **params)
    assert (code, reply["error"]) == (status, name)
    assert message in reply["message"]
