"""Extraction as the CLI and the REST API use it: preview, check, write, test."""

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from nbtools.errors import CheckFailedError, ConflictError, InvalidInputError
from nbtools.export.build import Extraction, ExtractOptions, extract
from nbtools.export.model import member_of
from nbtools.export.staging import check_settled, half_written
from nbtools.export.writer import (
    FileChange,
    check_output,
    check_path_lengths,
    check_targets,
    compare,
    previous_dependencies,
    previous_manifest,
    previous_version,
    refusal,
    unified_diff,
    write,
)
from nbtools.notebooks import Notebook, read_notebook

#: Records where a written package comes from, for its manifest: ``record(nb, out)``.
Recorder = Callable[[Notebook, Path], dict[str, Any] | None]


class ExtractRequest(NamedTuple):
    """One extraction: the notebook, where the package goes, and what to do with it.

    ``mode`` is ``preview`` (render only), ``check`` (compare with the disk, write nothing) or
    ``write``. ``notebook`` may carry the notebook's content (e.g. unsaved in JupyterLab);
    otherwise the file at ``notebook_path`` is read. ``lineage(nb, out)``, when given, records
    where a written package comes from (:func:`nbtools.lineage.extraction.recorder`).
    ``processes``: how many processes may parse the cells; more than one only for a caller
    that may fork, such as the command line (:mod:`nbtools.export.parallel`).
    ``store_dir``: the project's store directory, nbtools' own, never a file in the way of a
    package written where it is. ``others``: the other notebooks of a set making one package
    with ``notebook_path``, its first (:mod:`nbtools.export.notebook_set`), read from their
    files unless ``other_notebooks`` carries their contents (in the same order); ``lineage``
    then records the version of each notebook of the set. ``shown_path``: how the report
    gives the path of a set's notebook (:func:`with_paths`): the server's from its root, the
    command line's as it shows the notebooks. ``shown_from``: the folder a refusal to drop
    notebooks of a set names them (and the command extracting the set) from: the working
    directory when None, as a command typed there names them; the server gives its root, as
    the rest of the REST API names paths.
    """

    notebook_path: Path
    out: Path
    options: ExtractOptions = ExtractOptions()
    mode: str = "preview"
    test: bool = False
    venv: bool = False
    force: bool = False
    notebook: Notebook | None = None
    lineage: Recorder | None = None
    processes: int = 1
    store_dir: Path | None = None
    others: tuple[Path, ...] = ()
    other_notebooks: tuple[Notebook, ...] = ()
    shown_path: Callable[[Path], str] = Path.as_posix
    shown_from: Path | None = None


class ExtractReport:
    """What an extraction found and did."""

    def __init__(
        self,
        extraction: Extraction,
        out: Path,
        mode: str,
        changes: list[FileChange],
        notebook: Path,
        paths: Mapping[str, str] | None = None,
    ) -> None:
        self.extraction, self.out, self.mode, self.changes = extraction, out, mode, changes
        #: The notebook's path as the caller gave it (``notebook_path``).
        self.notebook = notebook
        #: A set's: each notebook's path by its name (:func:`member_paths`).
        self.paths = paths or {}
        self.written = False
        self.diff = ""
        self.tests: Any = None
        self.lineage: dict[str, Any] | None = None
        #: A stale check's: what would refuse the write that updates the package unless it
        #: is forced (files edited by hand, another notebook's package), if anything.
        self.refusal: ConflictError | None = None
        #: A stale check's: what to tell when only nbtools' framing of the notebook's code
        #: changed (:mod:`.framing`), which passes the check.
        self.framing_note: str | None = None
        #: A preview's: what to tell when the package on disk, which its files are compared
        #: with, was left half-written by a stopped write (:func:`.staging.half_written`).
        self.half_written: str | None = None

    @property
    def stale(self) -> bool:
        return any(change.status != "unchanged" for change in self.changes)

    @property
    def ok(self) -> bool:
        failed_tests = self.tests is not None and not self.tests.ok
        stale = self.mode == "check" and self.stale and self.framing_note is None
        return not (self.extraction.errors or failed_tests or stale)

    def to_dict(self, with_content: bool = True) -> dict[str, Any]:
        extraction = self.extraction
        return {
            "ok": self.ok,
            "mode": self.mode,
            "package": extraction.package,
            "output": str(self.out),
            "notebook": self.notebook.as_posix(),
            "notebook_sha256": extraction.source.sha256,
            "written": self.written,
            "stale": self.stale,
            "framing_only": self.framing_note is not None,
            "half_written": self.half_written,
            "files": [change.to_dict(with_content) for change in self.changes],
            "problems": self.problems(),
            "cells": [with_paths(cell, self.paths) for cell in extraction.cells()],
            "parameters": [
                {**p.to_dict(), "annotation": p.annotation, **self._cell(p.cell), "line": p.line}
                for p in extraction.plan.parameters
            ],
            "dependencies": extraction.dependencies,
            "served": [
                {
                    "name": s.name,
                    "path": f"/{s.name}",
                    "module": s.module,
                    **self._cell(s.cell.index),
                    "cell_id": s.cell.id,
                }
                for s in extraction.served
            ],
            "diff": self.diff,
            "tests": self._tests(),
            "lineage": self.lineage,
        }

    def problems(self) -> list[dict[str, Any]]:
        """The problems found, each with its notebook's path in a set."""
        return [with_paths(problem.to_dict(), self.paths) for problem in self.extraction.problems]

    def _cell(self, index: int | None) -> dict[str, Any]:
        """``{"cell": index}``; in a set, the index in its notebook, and that notebook."""
        members = self.extraction.source.members
        if not members or index is None:
            return {"cell": index}
        member = member_of(members, index)
        return with_paths({"notebook": member.name, "cell": index - member.first}, self.paths)

    def _tests(self) -> dict[str, Any] | None:
        """The tests' report; a set's names each test's notebook (imported only for one)."""
        if self.tests is None:
            return None
        tests: dict[str, Any] = self.tests.to_dict()
        if self.extraction.source.members:
            tests = _localized(tests, self.extraction.plan.cells, self.paths)
        return tests


def _localized(
    tests: dict[str, Any], cells: dict[int, Any], paths: Mapping[str, str]
) -> dict[str, Any]:
    from nbtools.export.notebook_set import localize_test

    localized = [with_paths(localize_test(test, cells), paths) for test in tests["tests"]]
    return {**tests, "tests": localized}


def member_paths(request: ExtractRequest) -> dict[str, str]:
    """Each notebook of the set ``request`` extracts, by the name its problems, cells and tests
    give it (:func:`~nbtools.export.notebook_set.member_names`), → its path as
    ``request.shown_path`` gives it; empty for one notebook."""
    if not request.others:
        return {}
    from nbtools.export.notebook_set import member_names

    notebooks = [request.notebook_path, *request.others]
    return dict(zip(member_names(notebooks), map(request.shown_path, notebooks), strict=True))


def with_paths(entry: dict[str, Any], paths: Mapping[str, str]) -> dict[str, Any]:
    """A set's problem, cell or test, ``entry``, with the path of each notebook it names
    (``notebook``, ``failure_notebook``) beside its name (``notebook_path``,
    ``failure_notebook_path``): a name is short, for people (a file name, unless two notebooks
    of the set have it), the path tells a program which notebook it is (the wizard marks the
    open notebook's own problems by it)."""
    keys = ("notebook", "failure_notebook")
    return entry | {f"{key}_path": paths[entry[key]] for key in keys if entry.get(key) in paths}


def _run_tests(report: ExtractReport, venv: bool) -> None:
    """Run the tests of the package on disk. A check's stale files are not what the notebook
    gives now: their lines and cell numbers are mapped to no cell of it."""
    from nbtools.export.testrun import package_modules, run_tests

    extraction = report.extraction
    files = extraction.files
    modules = package_modules(files)
    if report.mode == "check":
        files = {c.path: files[c.path] for c in report.changes if c.status == "unchanged"}
    report.tests = run_tests(report.out, files, extraction.plan.cells, venv, modules)


def _render(
    request: ExtractRequest,
    notebooks: Sequence[Notebook],
    options: ExtractOptions,
    previous: dict[str, Any],
    names: Sequence[str] | None = None,
) -> Extraction:
    """The package of the request's notebook (``notebooks``: its content, then the other
    notebooks' of its set), each notebook named by its path unless ``names`` are given."""
    dependencies = previous_dependencies(previous)
    if not request.others:
        name = names[0] if names else request.notebook_path.name
        return extract(notebooks[0], name, options, dependencies, request.processes)
    from nbtools.export.build import extract_set

    paths = (request.notebook_path, *request.others)
    members = list(zip(paths, notebooks, strict=True))
    return extract_set(members, options, dependencies, request.processes, names)


def _renamed_note(
    request: ExtractRequest,
    notebooks: Sequence[Notebook],
    options: ExtractOptions,
    previous: dict[str, Any],
    extraction: Extraction,
) -> str | None:
    """What a stale check tells when the package on disk is what the notebooks give under
    the names they had before a move its manifest followed (:mod:`.renames`); None when it
    is stale otherwise."""
    from nbtools.export.renames import names_before_move, renamed_note

    paths = [request.notebook_path, *request.others]
    old = names_before_move(previous, request.out, paths)
    members = extraction.source.members
    new = [member.name for member in members] if members else [extraction.source.name]
    if old is None or old == new:
        return None
    again = compare(_render(request, notebooks, options, previous, old), request.out)
    stale = any(change.status != "unchanged" for change in again)
    return None if stale else renamed_note(old, new)


def run_extract(request: ExtractRequest) -> ExtractReport:
    """Render the package and, by ``request.mode``, compare it with the disk or write it."""
    if request.mode not in ("preview", "check", "write"):
        raise InvalidInputError(f"Unknown mode {request.mode!r}: use preview, check or write.")
    check_output(request.out)
    if request.mode == "check":  # a write settles it first
        check_settled(request.out)
    nb = request.notebook if request.notebook is not None else read_notebook(request.notebook_path)
    previous = previous_manifest(request.out)
    options = request.options
    if options.version is None:  # the package keeps its version
        options = options._replace(version=previous_version(request.out, previous))
    if options.package is None and isinstance(previous.get("package"), str):
        options = options._replace(package=previous["package"])  # and its name
    paths = member_paths(request)
    notebooks = [nb, *(request.other_notebooks or map(read_notebook, request.others))]
    try:
        extraction = _render(request, notebooks, options, previous)
    except CheckFailedError as error:  # a set refused for its problems: each as a report's
        problems = error.details.get("problems")
        if paths and isinstance(problems, list):
            error.details["problems"] = [with_paths(p, paths) for p in problems]
        raise
    check_path_lengths(extraction, request.out)
    if request.mode != "write":  # a write checks them under its lock
        check_targets(extraction, request.out)
    # a write compares the package with the disk itself, under its lock
    changes = compare(extraction, request.out) if request.mode != "write" else []
    report = ExtractReport(
        extraction, request.out, request.mode, changes, request.notebook_path, paths
    )
    if request.mode == "preview":  # a check fails on it (check_settled); a write settles it
        report.half_written = half_written(request.out)
    if request.mode == "check":
        # from a notebook with errors, which no write takes, a diff shows changes none makes
        report.diff = "" if extraction.errors else unified_diff(report.changes, request.out)
        if report.stale:
            report.refusal = refusal(
                extraction,
                request.out,
                request.notebook_path,
                request.store_dir,
                request.others,
                request.shown_from,
            )
            if report.refusal is None:  # no file edited by hand: perhaps an nbtools upgrade
                from nbtools.export.framing import framing_note, framing_only

                if framing_only(extraction, previous, request.out, request.options.version):
                    report.framing_note = framing_note(previous)
                else:
                    report.framing_note = _renamed_note(
                        request, notebooks, options, previous, extraction
                    )
        if request.test and request.out.is_dir():
            _run_tests(report, request.venv)
    elif request.mode == "write":
        if extraction.errors:
            raise CheckFailedError(
                f"{'The notebooks have' if request.others else 'The notebook has'} "
                f"{len(extraction.errors)} problem(s); nothing was written:\n"
                + "\n".join(p.describe() for p in extraction.errors),
                problems=report.problems(),
            )
        record = request.lineage

        def lineage() -> dict[str, Any] | None:
            assert record is not None
            report.lineage = record(nb, request.out)
            return report.lineage

        report.changes = write(
            extraction,
            request.out,
            request.force,
            lineage if record is not None else None,
            request.notebook_path,
            request.store_dir,
            request.others,
            request.shown_from,
        )
        report.written = True
        if request.test:
            _run_tests(report, request.venv)
    elif request.test:
        raise InvalidInputError(
            "Tests run on a written package: write the package (not a preview) or check the "
            "one written before.",
            field="test",
        )
    return report
