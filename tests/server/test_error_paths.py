"""Errors name files as JupyterLab's file browser does, relative to the server root: the
library's messages carry the absolute paths a command-line user sees, which the REST API
leaves out (a browser's user never typed them, and the server's layout is no client's
business)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

from jupyter_nbtools.handlers.seen import seen_from_root

BROKEN = '{"cells": [, "nbformat": 4}'  # not JSON
#: A notebook whose second cell has a source line that is not text (valid JSON).
NOT_TEXT = json.dumps(
    {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {},
        "cells": [
            {"cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": "x = 1"},
            {"cell_type": "code", "metadata": {}, "source": ["print(x)\n", 1]},
        ],
    }
)
#: Damaged notebooks, and how an error about each begins after the notebook's path.
DAMAGED = [
    (BROKEN, " is not valid JSON"),
    (NOT_TEXT, ": cell 2 has a source line that is not text (line 2 of its list)"),
]


async def error_of(jp_fetch: Any, method: str, *path: str, **options: Any) -> dict[str, Any]:
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("nbtools", "api", *path, method=method, **options)
    assert info.value.code == 400
    body: dict[str, Any] = json.loads(info.value.response.body)
    return body


#: The routes reading a notebook at a path: (method, URL, request, the field giving the path).
READERS = [
    ("POST", ("versions",), {"body": json.dumps({"path": "reports/broken.ipynb"})}, "path"),
    ("GET", ("data", "check"), {"params": {"path": "reports/broken.ipynb"}}, "path"),
    (
        "POST",
        ("extract",),
        {"body": json.dumps({"path": "reports/broken.ipynb", "dry_run": True})},
        "path",
    ),
    (
        "POST",
        ("runs",),
        {"body": json.dumps({"notebook_path": "reports/broken.ipynb"})},
        "notebook_path",
    ),
    (
        "POST",
        ("jobs",),
        {"body": json.dumps({"notebook_path": "reports/broken.ipynb"})},
        "notebook_path",
    ),
    ("GET", ("parameters",), {"params": {"path": "reports/broken.ipynb"}}, "path"),
    ("GET", ("notebook",), {"params": {"path": "reports/broken.ipynb"}}, "path"),
]


@pytest.mark.parametrize(("method", "path", "options", "field"), READERS)
@pytest.mark.parametrize(("content", "problem"), DAMAGED)
async def test_a_broken_notebook_is_named_by_its_path_in_the_root(
    jp_fetch: Any,
    jp_root_dir: Path,
    method: str,
    path: tuple[str, ...],
    options: Any,
    field: str,
    content: str,
    problem: str,
) -> None:
    """... and by the field giving it: a source line that is not text was a 400 naming no
    field, and its cell as '' (a blank id), when the data check met it first."""
    (jp_root_dir / "reports").mkdir()
    (jp_root_dir / "reports" / "broken.ipynb").write_text(content, encoding="utf-8")
    error = await error_of(jp_fetch, method, *path, **options)
    assert error["error"] == "NotebookError"
    assert error["message"].startswith("reports/broken.ipynb" + problem), error
    assert error["details"]["field"] == field
    assert str(jp_root_dir) not in json.dumps(error)


@pytest.mark.parametrize(
    ("root", "text", "seen"),
    [
        ("/srv/p", "/srv/p/a.ipynb is not valid JSON", "a.ipynb is not valid JSON"),
        (
            "/srv/p",
            "Restore over '/srv/p/r/a.ipynb' (or /srv/p/b)",
            "Restore over 'r/a.ipynb' (or b)",
        ),
        ("/srv/p", "file:///srv/p/wheels is not an index", "file:///srv/p/wheels is not an index"),
        ("/srv/p", "/srv/pp/a.ipynb and /mnt/srv/p/a", "/srv/pp/a.ipynb and /mnt/srv/p/a"),
        ("/srv/p", "/srv/p already holds files (a, b)", ". already holds files (a, b)"),
        ("/srv/p", "in '/srv/p' or (/srv/p), /srv/p", "in '.' or (.), ."),
        (
            "/srv/p",
            "/srv/p.txt, /srv/p~ and /srv/p-2 are beside it",
            "/srv/p.txt, /srv/p~ and /srv/p-2 are beside it",
        ),
        ("/", "https://pypi.org/simple and /etc/x", "https://pypi.org/simple and /etc/x"),
    ],
)
def test_only_paths_inside_the_root_are_shortened(root: str, text: str, seen: str) -> None:
    body = {"message": text, "details": {"paths": [text], "n": 3}}
    assert seen_from_root(Path(root), body) == {
        "message": seen,
        "details": {"paths": [seen], "n": 3},
    }
