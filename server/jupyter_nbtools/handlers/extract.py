"""``POST /nbtools/api/extract``: preview, check or write a notebook's package, and test it,
after checking the notebook's data against ``purpose`` as a job's is (403 when refused).

Without an ``output``, the package goes where the notebook's package is, else beside it; the
reply's ``orphans`` then lists the project's packages whose notebook is gone (the nearest
first), so that a renamed notebook can update its old package rather than start a new one.
"""

from __future__ import annotations

import functools
import json

from tornado import web

from jupyter_nbtools.handlers.authorization import EXECUTE, authorized
from jupyter_nbtools.handlers.base import NbtoolsHandler
from jupyter_nbtools.handlers.bodies import body_fields
from nbtools import data, export, lineage
from nbtools.notebooks import parse_notebook


class ExtractHandler(NbtoolsHandler):
    @body_fields(
        "path",
        "output",
        "name",
        "version",
        "content",
        "purpose",
        "dry_run",
        "check",
        "test",
        "venv",
        "force",
    )
    @web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.json_body()
        field = functools.partial(self.body_field, body)
        if field("test", bool, False) or field("venv", bool, False):  # asked before any check
            await self.authorize(EXECUTE, "testing the package (it runs the package's code)")
        path = field("path", str, required=True)
        notebook_path = self.resolve(path)
        name = field("name", str, None) or None
        output = field("output", str, None)
        content = field("content", dict, None)
        dry_run = field("dry_run", bool, True)
        mode = "check" if field("check", bool, False) else "preview" if dry_run else "write"
        with self.naming("content"):  # the notebook sent, not the file at `path`
            notebook = (  # a notebook of megabytes: its checks stay off the event loop too
                await self.call(lambda: parse_notebook(json.dumps(content), source="'content'"))
                if content is not None
                else None
            )
        purpose = field("purpose", str, None) or None
        checked = await self.call(
            data.enforce_rule,
            self.project,
            self.project.relative(notebook_path),
            purpose,
            actor=self.actor,
            nb=notebook,
            during="extract",
        )
        located = (
            None
            if output
            else await self.call(export.locate, self.project.root, notebook_path, name)
        )
        request = export.ExtractRequest(
            notebook_path=notebook_path,
            out=located.directory if located else self.resolve(output, "output"),
            options=export.ExtractOptions(name, field("version", str, None) or None, purpose),
            mode=mode,
            test=field("test", bool, False),
            venv=field("venv", bool, False),
            force=field("force", bool, False),
            notebook=notebook,
            lineage=lineage.extraction_recorder(self.project, notebook_path, actor=self.actor)
            if mode == "write"
            else None,
            store_dir=self.project.store_dir,
        )
        with self.naming("content" if notebook is not None else "path"):  # its problems
            report = await self.call(export.run_extract, request)
        model = report.to_dict()
        model["output"] = self.project.relative(report.out)
        model["notebook"] = self.project.relative(notebook_path)
        model["data"] = checked.to_dict()
        model["orphans"] = [
            {
                "output": self.project.relative(orphan.directory),
                "notebook": orphan.notebook,
                "package": orphan.package,
            }
            for orphan in (located.orphans if located else ())
        ]
        self.reply(model)


ROUTES = [(r"/extract", ExtractHandler)]
