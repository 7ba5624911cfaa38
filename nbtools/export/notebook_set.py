"""Several notebooks making one package, as the notebooks of an nbdev project make its library.

A set is the notebooks given, in that order, a folder standing for its notebooks in nbdev's
order (:func:`notebooks_in`). Its notebooks are one notebook to the planner: their cells, in
the set's order, each cell's module made explicit (its notebook's ``#| default_exp``, else
``core``), so two notebooks exporting to one module merge in notebook order and a cell may use
what another notebook exports. What the user reads names each cell in its own notebook
(:func:`localize`, :attr:`Cell.origin <nbtools.export.model.Cell.origin>`)::

    paths = notebook_paths([Path("nbs")])            # nbs/00_core.ipynb, nbs/01_b.ipynb
    nb, classified, members = combine([(p.name, read_notebook(p), fingerprint) ...])
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from nbtools.digest import sha256_hex
from nbtools.errors import ConflictError, InvalidInputError
from nbtools.export.cells import classify
from nbtools.export.home import set_members
from nbtools.export.model import (
    EXPORT,
    Cell,
    Classified,
    Problem,
    Source,
    member_of,
)
from nbtools.export.modules import DEFAULT_MODULE, Module
from nbtools.export.names import binding_line
from nbtools.export.parse import Parsed, problem_at
from nbtools.export.render.modules import title_and_summary
from nbtools.notebooks import Notebook
from nbtools.outfiles import FORCE

#: What nbdev skips when it looks for a project's notebooks: a file or folder whose name
#: starts with one of these (``_scratch.ipynb``, ``.ipynb_checkpoints/``).
SKIPPED = ("_", ".")

#: The field every refusal about a set's notebooks names (``details.field``): the REST API's
#: list of them and the command line's argument ``NOTEBOOKS``, one notebook given too.
NOTEBOOKS_FIELD = "notebooks"


class Origin(NamedTuple):
    """The notebook of a set a cell comes from (:attr:`Cell.origin
    <nbtools.export.model.Cell.origin>`): its file name, an identifier made of it (for the
    names of its tests) and the index, in the set, of its first cell."""

    name: str
    ident: str
    first: int


class Member(NamedTuple):
    """One notebook of a set making one package (:attr:`Source.members
    <nbtools.export.model.Source.members>`): its file name, content fingerprint, and the index
    of its first cell in the set."""

    name: str
    sha256: str
    first: int = 0


def notebooks_in(folder: Path) -> list[Path]:
    """The notebooks of ``folder`` in nbdev's order (``nbdev-export``): every ``.ipynb`` file
    in it and its subfolders, but those whose name, or a folder's on the way, starts with
    ``_`` or ``.``, sorted by file name (the same name in two folders: by path)."""
    found: list[Path] = []
    for root, folders, files in os.walk(folder):
        folders[:] = [name for name in folders if not name.startswith(SKIPPED)]
        found += [
            Path(root, name)
            for name in files
            if name.endswith(".ipynb") and not name.startswith(SKIPPED)
        ]
    return sorted(found, key=lambda path: (path.name, path.as_posix()))


def notebook_paths(given: Sequence[Path], field: str = NOTEBOOKS_FIELD) -> list[Path]:
    """The notebooks of a set as given (a folder: its :func:`notebooks_in`); refused, naming
    the path (and the request's ``field``), when one is missing, a folder holds no notebook
    or a notebook comes twice."""
    paths: list[Path] = []
    seen: dict[Path, str] = {}  # each notebook: how it was given first
    for path in given:
        if not os.path.lexists(path):
            raise InvalidInputError(f"No such notebook or folder: {path}.", field=field)
        if path.is_dir():
            found = notebooks_in(path)
            if not found:
                raise InvalidInputError(
                    f"{path} is a directory, not a notebook. It holds no notebook either "
                    "(read as nbdev reads a folder: .ipynb files, in it or its folders, whose "
                    "names do not start with _ or .): give the notebooks to extract.",
                    field=field,
                )
        else:
            found = [path]
        for notebook in found:
            key = notebook.resolve()
            how = f"through the folder {path}" if path.is_dir() else f"as {notebook}"
            if key in seen:
                raise InvalidInputError(
                    f"{notebook} is given twice: {seen[key]}, then {how}. Each notebook of a "
                    "set is given once.",
                    field=field,
                )
            seen[key] = how
            paths.append(notebook)
    return paths


def member_names(paths: Sequence[Path]) -> list[str]:
    """How messages, markers, tests and the manifest name each notebook of a set: its file
    name, unless another notebook has it (``nbs/00_core.ipynb``, ``nbs/sub/00_core.ipynb``):
    then its path from the folder the set's notebooks share (``sub/00_core.ipynb``). Two
    paths of one notebook, which no name tells apart, are refused (bad input)."""
    names = [path.name for path in paths]
    shared = {name for name in names if names.count(name) > 1}
    if shared:
        folder = os.path.commonpath([path.parent.absolute() for path in paths])
        names = [
            Path(os.path.relpath(path.absolute(), folder)).as_posix() if name in shared else name
            for path, name in zip(paths, names, strict=True)
        ]
    twice = next((name for name in names if names.count(name) > 1), None)
    if twice is not None:
        raise InvalidInputError(
            f"{twice} is given twice. Each notebook of a set is given once.",
            field=NOTEBOOKS_FIELD,
        )
    return names


def _idents(names: Sequence[str]) -> list[str]:
    """A name for each notebook in its tests' names (``01_b.ipynb`` → ``01_b``), unique."""
    idents: list[str] = []
    for name in names:
        ident = re.sub(r"\W+", "_", name.removesuffix(".ipynb"), flags=re.ASCII).strip("_")
        ident = ident or "notebook"
        idents.append(ident if ident not in idents else f"{ident}_{len(idents) + 1}")
    return idents


def combine(notebooks: Sequence[tuple[str, Notebook, str]]) -> tuple[Notebook, Classified, Source]:
    """The set of ``(file name, notebook, fingerprint)`` as one notebook: its cells one after
    the other (a cell's index is its place in the set), classified notebook by notebook; each
    module's docstring is the summary of the first notebook exporting to it as its main module,
    and the package's main module the first exporting notebook's, as nbdev writes them (a
    notebook exporting nothing, an introduction, gives neither); the source names every
    notebook."""
    cells: list[object] = []
    merged = Classified([], None, [], [])
    merged.summaries = {}
    names = [name for name, _, _ in notebooks]
    members: list[Member] = []
    exporting = False  # whether an earlier notebook exports something
    for (name, nb, sha256), ident in zip(notebooks, _idents(names), strict=True):
        first = len(cells)
        one = classify(nb)
        main = one.default_module or DEFAULT_MODULE
        exports = {cell.module or main for cell in one.cells if cell.role == EXPORT}
        if exports and not exporting:  # the package's main module: nbdev's first module
            merged.default_module, exporting = one.default_module, True
        origin = Origin(name, ident, first)
        members.append(Member(name, sha256, first))
        for cell in one.cells:
            cell.index += first
            cell.origin = origin
            cell.module = cell.module or main
        merged.cells += one.cells
        merged.problems += [p._replace(cell=p.cell + first) for p in one.problems]
        merged.markdown += one.markdown
        summary = title_and_summary(one.markdown)[1]
        if summary and main in exports:
            merged.summaries.setdefault(main, summary)
        cells += nb["cells"]
    merged.members = tuple(members)
    fingerprint = sha256_hex("\n".join(f"{m.name} {m.sha256}" for m in members).encode())
    source = Source(", ".join(names), fingerprint, tuple(members))
    return {**notebooks[0][1], "cells": cells}, merged, source


def redefinitions(modules: Iterable[Module]) -> list[Problem]:
    """A warning at each name a notebook's cell defines (not imports) in a module where an
    earlier notebook of the set defined it, naming both cells: in the package the later
    definition replaces the earlier one for the code of both notebooks. ``nbdev-export``
    replaces it too, silently; nbdev's ``_all_`` is no definition."""
    problems = []
    for module in modules:
        last: dict[str, Parsed] = {}
        for parsed in module.cells:
            names = parsed.names
            for name in sorted(names.bound - names.imports.keys() - {"_all_"}):
                earlier, last[name] = last.get(name), parsed
                if earlier is None or earlier.cell.origin == parsed.cell.origin:
                    continue
                problems.append(
                    problem_at(
                        parsed.cell,
                        binding_line(parsed.tree, name),
                        "redefined-name",
                        f"'{name}' is defined again here, in module '{module.name}', replacing "
                        f"the definition of {earlier.cell.label}: in the package the code of "
                        f"both notebooks using '{name}' gets this one.",
                        "Rename one of the two, unless they are meant to be one definition.",
                        severity="warning",
                    )
                )
    return problems


def localize(problems: list[Problem], source: Source) -> list[Problem]:
    """``problems`` of a set's cells (indexes in the set) as the user reads them: the notebook
    and the cell's index in it."""
    localized = []
    for problem in problems:
        member = member_of(source.members, problem.cell)
        localized.append(problem._replace(cell=problem.cell - member.first, notebook=member.name))
    return localized


def localize_test(test: dict[str, Any], cells: Mapping[int, Cell]) -> dict[str, Any]:
    """A test's report (:meth:`TestResult.to_dict <nbtools.export.testrun.TestResult.to_dict>`)
    of a set's package as the user reads it: its cell and the one its failure points to, each
    by its index in its notebook, with the notebook's name."""
    local = dict(test)
    for key, name in (("cell", "notebook"), ("failure_cell", "failure_notebook")):
        cell = cells.get(test[key]) if test[key] is not None else None
        if cell is not None and cell.origin is not None:
            local[key], local[name] = cell.number - 1, cell.origin.name
    return local


def recorded_notebooks(manifest: Mapping[str, Any], out: Path) -> set[Path]:
    """The notebooks of a set a package's manifest (in ``out``) records it comes from
    (``notebooks``), resolved, with its first one (``notebook_path``)."""
    first = manifest.get("notebook_path")
    members = set_members(dict(manifest), out)
    return {*members, (out / first).resolve()} if isinstance(first, str) else set(members)


def dropping_refusal(
    manifest: Mapping[str, Any],
    out: Path,
    notebooks: Sequence[Path | None],
    shown_from: Path | None = None,
) -> ConflictError | None:
    """The refusal of a write of ``notebooks`` into ``out``, a set's package by its manifest,
    that would drop notebooks of the set still there (their modules, tests and names removed),
    naming them and the command updating the whole set, from ``shown_from`` (the working
    directory when None; the server's root); ``None`` when it drops none."""
    ours = [n.resolve() for n in notebooks if n is not None]
    members = manifest.get("notebooks")
    recorded = [
        (out / m["notebook_path"]).resolve()
        for m in (members if isinstance(members, list) else [])
        if isinstance(m, dict) and isinstance(m.get("notebook_path"), str)
    ]
    dropped = [path for path in recorded if path not in ours and path.is_file()]
    if not dropped:
        return None
    members_now = [*recorded, *(path for path in ours if path not in recorded)]
    command = set_command(members_now, out, shown_from)
    names = ", ".join(_shown(path, shown_from) for path in dropped)
    return ConflictError(
        f"{out} holds the package of a set of {len(recorded)} notebooks, and this write would "
        f"remove what {names} export{'s' if len(dropped) == 1 else ''} from it. Extract the "
        f"whole set again ({command}), or force the write to drop {names} from the package.",
        path=str(out),
        notebooks=[_shown(path, shown_from) for path in dropped],
        command=command,
        field=NOTEBOOKS_FIELD,
        kind="dropped-notebooks",
        override=FORCE,
    )


def set_command(notebooks: Sequence[Path], out: Path, shown_from: Path | None = None) -> str:
    """The command extracting the set of ``notebooks`` (resolved, in its order) into ``out``:
    given as their folder when they are its notebooks in nbdev's order, else one by one, run
    from ``shown_from`` (the working directory when None)."""
    folder = Path(os.path.commonpath([path.parent for path in notebooks]))
    given = [folder] if sorted(notebooks) == sorted(notebooks_in(folder)) else notebooks
    paths = " ".join(_shown(path, shown_from) for path in given)
    return f"nbtools extract {paths} -o {_shown(out, shown_from)}"


def _shown(path: Path, shown_from: Path | None = None) -> str:
    """``path`` from ``shown_from`` (the working directory when None) when inside it, as a
    command given there names it; else whole."""
    full, base = path.resolve(), (shown_from or Path.cwd()).resolve()
    return full.relative_to(base).as_posix() if full.is_relative_to(base) else str(full)


def notebooks_beside(notebook: Path) -> list[Path]:
    """The notebooks in ``notebook``'s folder (itself included, not its subfolders'), skipped
    and sorted as :func:`notebooks_in` does: what may join it in a set."""
    try:
        names = [entry.name for entry in os.scandir(notebook.parent) if entry.is_file()]
    except OSError:
        return [notebook]
    return [
        notebook.parent / name
        for name in sorted(names)
        if name.endswith(".ipynb") and not name.startswith(SKIPPED)
    ]
