"""Bad paths never answer 500: every route reading a path refuses, naming the field, one
through a loop of symbolic links, with a NUL byte, too long for the file system, or absolute."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import make_notebook
from tests.server.conftest import PATH_ROUTES
from tests.server.test_bad_input import send

#: No scheduler: the jobs and runs stay as the test leaves them, no kernel starts.
pytestmark = pytest.mark.scheduler(None)


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("ping/nb.ipynb", "goes through a loop of symbolic links"),
        ("data/self", "goes through a loop of symbolic links"),
        ("a\x00b.ipynb", "The path contains a NUL byte."),
    ],
)
async def test_a_path_through_a_loop_of_links_or_with_a_nul_byte_is_400_naming_it(
    jp_fetch: Any, jp_root_dir: Path, given: str, message: str
) -> None:
    """A loop answered 500 (a RuntimeError of the path's resolution) on every route. (Tornado
    drops control characters from query arguments: a NUL byte reaches only a body.)"""
    (jp_root_dir / "ping").symlink_to("pong")
    (jp_root_dir / "pong").symlink_to("ping")
    (jp_root_dir / "data").mkdir()
    (jp_root_dir / "data" / "self").symlink_to("self")
    for target, field, status, payload in await each_path_route(jp_fetch, given):
        assert (status, payload["details"]["field"]) == (400, field), (target, payload)
        assert message in payload["message"], (target, payload)
        if "\x00" not in given:
            assert f"The path {given!r}" in payload["message"]  # root-relative, as typed


async def each_path_route(jp_fetch: Any, given: str) -> list[tuple[str, str, int, Any]]:
    """``given`` sent as the path of each route taking one: (target, field, status, reply).
    Tornado drops control characters from query arguments: a NUL byte is sent in bodies only."""
    answers = []
    for method, target, field in PATH_ROUTES:
        where = "nbtools/api/" + target
        if method == "GET" and "\x00" in given:
            continue
        if method == "GET":
            status, payload = await send(jp_fetch, method, where, **{field: given})
        else:
            status, payload = await send(
                jp_fetch, method, where, json.dumps({field: given}).encode()
            )
        answers.append((target, field, status, payload))
    return answers


@pytest.mark.parametrize(
    "given",
    [
        "n" * 300 + ".ipynb",
        "new/" + "n" * 300 + ".ipynb",  # the system checks a name only once its folder exists
        "new/" + "é" * 130 + ".ipynb",  # 136 characters, 266 bytes
    ],
)
async def test_a_path_too_long_for_the_file_system_is_400_naming_it(
    jp_fetch: Any, jp_root_dir: Path, given: str
) -> None:
    """A name too long in a folder not made yet was taken as a path that does not exist yet
    (a 404, or a 500 where it was written: an extraction's output)."""
    for target, field, status, payload in await each_path_route(jp_fetch, given):
        assert (status, payload["details"]["field"]) == (400, field), (target, payload)
        assert "is too long for the file system" in payload["message"], (target, payload)
    assert sorted(path.name for path in jp_root_dir.iterdir()) == [".nbtools"]


async def test_an_absolute_path_is_refused_without_showing_it_as_a_relative_one(
    jp_fetch: Any, jp_root_dir: Path
) -> None:
    """The server writes the paths inside its root relative to it: an absolute path echoed
    in its refusal read as a relative one ("Absolute paths are not accepted: 'a.ipynb'")."""
    (jp_root_dir / "a.ipynb").write_text("{}")
    for given in (str(jp_root_dir / "a.ipynb"), "/elsewhere/a.ipynb"):
        for target, field, status, payload in await each_path_route(jp_fetch, given):
            assert (status, payload["details"]) == (400, {"field": field}), (target, payload)
            assert payload["message"] == (
                "Absolute paths are not accepted: give the path relative to the root (.)."
            )


#: The routes that read the file a path names (the others look the path up in the store).
READING = [
    ("GET", "notebook"),
    ("GET", "parameters"),
    ("GET", "data/check"),
    ("POST", "versions"),
    ("POST", "runs"),
    ("POST", "jobs"),
    ("POST", "extract"),
]


async def test_a_named_pipe_is_400_naming_the_field_on_every_route_reading_it(
    jp_fetch: Any, jp_root_dir: Path
) -> None:
    """Each waited on the pipe for good, holding one of the server's threads (four requests
    froze the whole API) and its shutdown. The timeout is a guard only: each answers at once."""
    fifo = jp_root_dir / "fifo.ipynb"
    os.mkfifo(fifo)
    try:
        answers = await asyncio.wait_for(each_path_route(jp_fetch, "fifo.ipynb"), 60)
    finally:  # lets go a reader that waits on the pipe, had one waited
        with contextlib.suppress(OSError):
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    for (method, target, _), (_, field, status, payload) in zip(PATH_ROUTES, answers, strict=True):
        if (method, target) in READING:
            assert (status, payload["details"]["field"]) == (400, field), (target, payload)
            assert payload["message"].startswith("fifo.ipynb is not a regular file"), payload


async def test_a_query_path_is_taken_as_sent_as_a_body_path_is(
    jp_fetch: Any, jp_root_dir: Path
) -> None:
    """``?path=nb.ipynb%0A`` read ``nb.ipynb`` (tornado strips query arguments), while the
    same path in a body named no file."""
    (jp_root_dir / "nb.ipynb").write_text(json.dumps(make_notebook([("code", "n = 1", [])])))
    assert (await send(jp_fetch, "GET", "nbtools/api/notebook", path="nb.ipynb"))[0] == 200
    for given in ("nb.ipynb\n", " nb.ipynb", "nb.ipynb "):
        for route in ("notebook", "parameters"):
            status, payload = await send(jp_fetch, "GET", f"nbtools/api/{route}", path=given)
            assert status == 404, (route, given, payload)
        listed = await send(jp_fetch, "GET", "nbtools/api/versions", path=given)
        assert listed[1]["path"] == given  # the history of that name: none
        body = json.dumps({"path": given}).encode()
        assert (await send(jp_fetch, "POST", "nbtools/api/versions", body))[0] == 404
