"""``POST /nbtools/api/extract``: preview, check or write a notebook's package, and test it,
after checking the notebook's data against ``purpose`` as a job's is (403 when refused).

Without an ``output``, the package goes where the notebook's package is, else beside it; the
reply's ``orphans`` then lists the project's packages whose notebook is gone (the nearest
first), so that a renamed notebook can update its old package rather than start a new one.

A set of notebooks makes one package (docs/export.md, "A package from several notebooks"):
``notebooks`` lists them (each a notebook or a folder of notebooks, in the set's order), ``path``
being the one of them ``content`` is for; or ``path`` is a folder, standing for its notebooks.
Each is resolved and checked as ``path`` is, its data checked, its version recorded.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from tornado import web

from jupyter_nbtools.handlers.authorization import EXECUTE, authorized
from jupyter_nbtools.handlers.base import NbtoolsHandler
from jupyter_nbtools.handlers.bodies import body_fields
from jupyter_nbtools.handlers.seen import seen_from_root
from nbtools import data, export, lineage
from nbtools.errors import InvalidInputError
from nbtools.notebooks import Notebook, parse_notebook, read_notebook


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
        "notebooks",
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
        listed = field("notebooks", list, None)
        set_field = "notebooks" if listed is not None else "path"
        with self.naming(set_field):
            paths = await self.call(self._notebooks, notebook_path, listed, notebook is not None)
            contents = await self.call(_contents, paths, notebook_path, notebook)
        purpose = field("purpose", str, None) or None
        checks = [
            await self.call(
                data.enforce_rule,
                self.project,
                self.project.relative(path),
                purpose,
                actor=self.actor,
                nb=nb,
                during="extract",
            )
            for path, nb in zip(paths, contents, strict=True)
        ]
        first, others = paths[0], paths[1:]
        located = (
            None
            if output
            else await self.call(export.locate, self.project.root, first, name, in_set=bool(others))
        )
        request = export.ExtractRequest(
            notebook_path=first,
            out=located.directory if located else self.resolve(output, "output"),
            options=export.ExtractOptions(name, field("version", str, None) or None, purpose),
            mode=mode,
            test=field("test", bool, False),
            venv=field("venv", bool, False),
            force=field("force", bool, False),
            notebook=contents[0],
            lineage=lineage.extraction_recorder(
                self.project,
                first,
                actor=self.actor,
                others=[(path, nb) for path, nb in zip(others, contents[1:], strict=True) if nb],
            )
            if mode == "write"
            else None,
            store_dir=self.project.store_dir,
            others=tuple(others),
            other_notebooks=tuple(nb for nb in contents[1:] if nb),
            shown_path=self.project.relative,
            shown_from=self.project.root,
        )
        problems_field = "content" if notebook is not None and not others else set_field
        with self.naming(problems_field):  # its problems
            report = await self.call(export.run_extract, request)
        model = report.to_dict()
        model["output"] = self.project.relative(report.out)
        model["notebook"] = self.project.relative(first)
        model["half_written"] = seen_from_root(self.project.root, report.half_written)
        model["data"] = checks[0].to_dict()
        if others:  # a set: each notebook's data check beside its path, as the CLI's --json
            model["notebooks"] = [
                {"notebook": self.project.relative(path), "data": check.to_dict()}
                for path, check in zip(paths, checks, strict=True)
            ]
        in_set_of = located.in_set_of if located else None
        if located is None and not others:  # the output given may be its set's package
            in_set_of = await self.call(export.set_package_at, request.out, first)
        model["set_package"] = self._set_package(in_set_of)
        model["folder_notebooks"] = [
            self.project.relative(path) for path in await self.call(export.notebooks_beside, first)
        ]
        model["orphans"] = [
            {
                "output": self.project.relative(orphan.directory),
                "notebook": orphan.notebook,
                "package": orphan.package,
            }
            for orphan in (located.orphans if located else ())
        ]
        self.reply(model)

    def _set_package(self, found: export.SetPackage | None) -> dict[str, Any] | None:
        """The package of several notebooks that lists the one extracted alone, found or
        given as its output, if any (and the server can reach all of them)."""
        if found is None or not all(map(self.project.contains, found.notebooks)):
            return None
        return {
            "output": self.project.relative(found.directory),
            "package": found.package,
            "notebooks": [self.project.relative(path) for path in found.notebooks],
        }

    def _notebooks(self, path: Path, listed: list[Any] | None, content: bool) -> list[Path]:
        """The notebooks to extract: ``path`` alone; a folder's (``path``); or the set
        ``listed`` (each resolved and checked as ``path`` is), which must hold ``path``."""
        if listed is None:
            if not path.is_dir():
                return [path]
            if content:
                raise InvalidInputError(
                    "'content' is one notebook's, and 'path' is a folder: give the notebook "
                    "as 'path' and the set as 'notebooks'.",
                    field="content",
                )
            return export.notebook_paths([path], field="path")
        if not listed:
            raise InvalidInputError(
                "'notebooks' is empty: list the notebooks of the set (or their folder).",
                field="notebooks",
            )
        given = [self.resolve(entry, "notebooks") for entry in listed]
        paths = export.notebook_paths(given)  # its refusals name 'notebooks'
        if path.resolve() not in {notebook.resolve() for notebook in paths}:
            raise InvalidInputError(
                f"'path' ({self.project.relative(path)}) is not one of 'notebooks': 'path' "
                "names the notebook of the set that 'content' is for.",
                field="path",
            )
        return paths


def _contents(paths: list[Path], path: Path, content: Notebook | None) -> list[Notebook | None]:
    """Each notebook's content: ``content`` for ``path``; a set's others read from their
    files (once, for the data check, the extraction and the lineage); None for one notebook
    without ``content`` (the extraction reads it)."""
    if len(paths) == 1:
        return [content]
    given = path.resolve()
    return [
        content if content is not None and p.resolve() == given else read_notebook(p) for p in paths
    ]


ROUTES = [(r"/extract", ExtractHandler)]
