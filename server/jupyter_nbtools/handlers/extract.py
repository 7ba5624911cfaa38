"""``POST /nbtools/api/extract``: preview, check or write a notebook's package, and test it."""

from __future__ import annotations

import asyncio
import json
from pathlib import PurePosixPath
from typing import Any

from jupyter_server.auth.decorator import authorized
from tornado import web

from jupyter_nbtools.handlers.base import NbtoolsHandler
from nbtools.errors import InvalidInputError
from nbtools.export.api import ExtractRequest, run_extract
from nbtools.export.build import ExtractOptions, suggest_package_name
from nbtools.notebooks import parse_notebook


def _field(body: dict[str, Any], name: str, kind: type, default: Any) -> Any:
    value = body.get(name, default)
    if value is not None and not isinstance(value, kind):
        raise InvalidInputError(f"'{name}' must be a {kind.__name__}.", field=name)
    return value


class ExtractHandler(NbtoolsHandler):
    @web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.json_body()
        path = _field(body, "path", str, None)
        if not path:
            raise InvalidInputError("'path' (the notebook, relative to the root) is required.")
        notebook_path = self.resolve(path)
        name = _field(body, "name", str, None) or None
        stem = PurePosixPath(path).stem
        default_out = str(PurePosixPath(path).parent / (name or suggest_package_name(stem)))
        content = _field(body, "content", dict, None)
        dry_run = _field(body, "dry_run", bool, True)
        mode = "check" if _field(body, "check", bool, False) else "preview" if dry_run else "write"
        request = ExtractRequest(
            notebook_path=notebook_path,
            out=self.resolve(_field(body, "output", str, None) or default_out),
            options=ExtractOptions(name, _field(body, "version", str, "0.1.0")),
            mode=mode,
            test=_field(body, "test", bool, False),
            venv=_field(body, "venv", bool, False),
            force=_field(body, "force", bool, False),
            notebook=parse_notebook(json.dumps(content), source=path) if content else None,
        )
        report = await asyncio.get_running_loop().run_in_executor(None, run_extract, request)
        model = report.to_dict()
        model["output"] = self.project.relative(report.out)
        self.reply(model)


ROUTES = [(r"/extract", ExtractHandler)]
