"""``nbtools extract``: tagged cells → a tested package; ``--check`` for CI.

Its modules import nothing heavy (renderers and helpers only when a notebook needs them), so
extracting a notebook costs little more than starting Python and importing click.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from nbtools.cli.context import CliContext
from nbtools.cli.decorators import json_option, pass_cli, reading
from nbtools.cli.paths import check_not_nested
from nbtools.errors import CheckFailedError, InvalidInputError
from nbtools.export import (
    ExtractOptions,
    ExtractReport,
    ExtractRequest,
    Recorder,
    run_extract,
)
from nbtools.lineage import PENDING_LINEAGE, BackgroundRecorder, background_recorder
from nbtools.notebooks import Notebook, read_notebook
from nbtools.text import first_few

if TYPE_CHECKING:
    from nbtools.data import DataCheck
    from nbtools.export import Orphan, SetPackage

LINEAGE_MODES = ("background", "wait", "off")


@click.command(
    epilog="Exit codes: 0 ok (a package stale only because another nbtools version wrote "
    "it passes --check with a note), 1 problems in the notebook, stale package (--check) or "
    "failed tests, 2 bad input."
)
@click.argument("notebooks", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    "out",
    metavar="OUTPUT",
    type=click.Path(path_type=Path),
    help="Directory of the package (created if missing). Default, as in JupyterLab's wizard: "
    "the directory already holding this notebook's package (of --name, if given) in the "
    "project, else one beside the notebook named as the package (--name, else from the "
    "notebook's name).",
)
@click.option(
    "--name",
    help="Import name of the package (default: the name of the package already in OUTPUT, "
    "else from the notebook's name).",
)
@click.option(
    "--version",
    help="Package version (default: the version of the package already in OUTPUT, else 0.1.0).",
)
@click.option("--test", is_flag=True, help="Run the package's tests with pytest afterwards.")
@click.option(
    "--check",
    is_flag=True,
    help="Write nothing; exit 1 with a unified diff if the package on disk is out of date.",
)
@click.option(
    "--diff",
    "show_diff",
    is_flag=True,
    help="With --check: show the diff and the files also when the check passes with a note "
    "(the package differs only in nbtools' framing or the notebooks' old names).",
)
@click.option(
    "--venv", is_flag=True, help="Run the tests in a fresh venv with the package installed."
)
@click.option(
    "--force",
    is_flag=True,
    help="Write even over files nbtools did not write (kept as .orig) or over another "
    "notebook's package.",
)
@click.option(
    "--lineage",
    type=click.Choice(LINEAGE_MODES),
    default="background",
    show_default=True,
    help="Record the notebook version and environment in the manifest: in a background "
    "process, before returning (wait), or not at all (off).",
)
@click.option(
    "--purpose",
    help="What the package's data is used for (e.g. churn-model): the notebook's datasets are "
    "checked against it as a job's are (exit 2 when a use is refused; undeclared data is "
    "reported). The manifest records it, and nbtools serve serves the package for it; with "
    "--check, a package extracted for another purpose is out of date.",
)
@json_option
@pass_cli
def extract(
    cli_ctx: CliContext,
    notebooks: tuple[Path, ...],
    out: Path | None,
    name: str | None,
    version: str | None,
    test: bool,
    check: bool,
    show_diff: bool,
    venv: bool,
    force: bool,
    lineage: str,
    purpose: str | None,
    as_json: bool,
) -> None:
    """Extract the tagged cells of NOTEBOOKS into a tested Python package in OUTPUT.

    One notebook makes a package; several (or a folder: its notebooks in nbdev's order, by
    file name, skipping names starting with _ or .) make ONE package, as nbdev's notebooks
    make its library: each notebook's cells go to its modules (#| default_exp), two exporting
    to one module are merged in notebook order, and they import each other's modules.

    Tags: parameters, export, export:<module>, main, test, skip; nbdev directives (#|
    default_exp, #| export, #| exporti, #| exports, #| hide) are read as nbdev reads them,
    with these differences (docs/export.md): nbdev's settings.ini and
    [tool.nbdev] are not read (name and version: see --name and --version; the layout is
    src/PKG); no _modidx.py is written; __init__.py is generated.

    A written package's manifest (.nbtools-extract.json) records the notebook version and the
    kernel environment it came from, when NOTEBOOK is inside the project root (--root). By
    default they are recorded by a background process that fills them into the manifest a
    moment later.

    A notebook inside the project has its data uses checked first, as a job's are: a dataset
    used outside its allowed purposes (--purpose) refuses the extraction (exit 2, nothing
    written); undeclared data is reported. One inside another project nested in it (a folder
    with its own .nbtools/) is refused: run the command in that project.

    \b
    Examples:
      nbtools extract report.ipynb --test
      nbtools extract nbs/ --name mylib -o packages/mylib --test
      nbtools extract nbs/ -o packages/mylib --check
      nbtools extract 00_core.ipynb 01_data.ipynb --name mylib -o packages/mylib --json
    """
    if show_diff and not check:
        raise InvalidInputError("--diff shows what --check found: give --check too.", field="diff")
    with _about_notebooks():
        notebook, *others = _notebooks(notebooks)
        for path in (notebook, *others):
            if cli_ctx.project.contains(path):
                check_not_nested(cli_ctx.project, path.resolve(), str(path), Path.cwd().resolve())
        nb = read_notebook(notebook)  # once, for the data check and the extraction; first,
        # so that a path that is no notebook (a folder: `extract .`) is refused as such
    if cli_ctx.ends_process:
        # The cyclic garbage collector would traverse the syntax trees the extraction keeps
        # once more when it resumes (a tenth of the CPU time at 3000 cells): the process
        # ends with the command, which frees everything anyway (docs/performance.md).
        gc.disable()
    if out is None:
        from nbtools.export import locate

        located = locate(cli_ctx.project.root, notebook, name, in_set=bool(others))
        found = located.directory
        out = found.relative_to(Path.cwd()) if found.is_relative_to(Path.cwd()) else found
        for orphan in located.orphans:
            print(_orphan_note(cli_ctx, notebook, name, orphan), file=sys.stderr)
        if located.in_set_of is not None and not located.existing:
            print(_set_note(cli_ctx, notebook, out, located.in_set_of), file=sys.stderr)
    data = _check_data(cli_ctx, notebook, nb, purpose)
    with _about_notebooks():
        read = [(path, read_notebook(path)) for path in others]  # once, as the first one
    checks = [_check_data(cli_ctx, path, n, purpose) for path, n in read]
    request = ExtractRequest(
        notebook_path=notebook,
        notebook=nb,
        out=out,
        options=ExtractOptions(package=name, version=version, purpose=purpose),
        mode="check" if check else "write",
        test=test or venv,
        venv=venv,
        force=force,
        lineage=None if check else _lineage(cli_ctx, notebook, read, lineage),
        # a command that ends its process may fork a second one to parse a big notebook
        processes=2 if cli_ctx.ends_process else 1,
        store_dir=cli_ctx.project.store_dir,
        others=tuple(others),
        other_notebooks=tuple(n for _, n in read),
        shown_path=functools.partial(_shown, cli_ctx),
    )
    with _tests_shown(test, venv), _about_notebooks():  # nothing to extract: NOTEBOOKS'
        report = run_extract(request)
    cli_ctx.keep_until_exit(request, report)  # the notebook, the syntax trees: see the method
    shown = _shown(cli_ctx, notebook)
    if as_json:
        from nbtools.cli.output import print_json  # not at import: only for --json

        model = {**report.to_dict(with_content=False), "notebook": shown}
        model["data"] = data.to_dict() if data is not None else None
        if others:  # a set: each notebook's data check beside its path
            model["notebooks"] = [
                {"notebook": _shown(cli_ctx, path), "data": check_.to_dict() if check_ else None}
                for path, check_ in zip((notebook, *others), (data, *checks), strict=True)
            ]
        print_json(model)
    else:
        for path, check_ in zip((notebook, *others), (data, *checks), strict=True):
            where = f"{_shown(cli_ctx, path)}: " if others else ""  # a set's: which notebook
            for line in check_.warnings(each_unresolved=False) if check_ is not None else []:
                print(f"  {where}{line}", file=sys.stderr)
        # a check passing with a note: the note and a summary, the diff only if asked for
        full = report.framing_note is None or show_diff
        if report.diff and full:
            sys.stdout.write(report.diff)
        names = first_few([shown, *(_shown(cli_ctx, path) for path in others)])
        _print_report(report, names, full)
    if report.framing_note is not None:  # a check passing only so: said with --json too
        print(f"note: {report.framing_note}", file=sys.stderr)
    if isinstance(request.lineage, BackgroundRecorder):
        launch_recording(request.lineage)  # only now: the recording does not slow the command down
    if not report.ok:
        raise CheckFailedError(_failure(report))


def _notebooks(given: tuple[Path, ...]) -> list[Path]:
    """The notebooks to extract: one notebook file as given, else the set's
    (:func:`~nbtools.export.notebook_set.notebook_paths`, imported only for a set)."""
    if len(given) == 1 and not os.path.isdir(given[0]):  # a name too long: no folder either
        return list(given)
    from nbtools.export import notebook_paths

    return notebook_paths(given)  # refusals name NOTEBOOKS, the set's field


def _about_notebooks() -> contextlib.AbstractContextManager[None]:
    """Bad input found in the notebooks given (one missing, or no notebook, or with nothing
    to extract) is refused as about the argument NOTEBOOKS (``details.field: "notebooks"``,
    ``See NOTEBOOKS.``), as the REST API names its ``notebooks``; a refusal naming its own
    field (``--output``, ``--name``) keeps it, and one of a write that would drop notebooks
    of a set names NOTEBOOKS itself (:data:`~nbtools.export.notebook_set.NOTEBOOKS_FIELD`)."""
    ctx = click.get_current_context()
    return reading(ctx, next(p for p in ctx.command.params if p.name == "notebooks"))


def _shown(cli_ctx: CliContext, notebook: Path) -> str:
    """The notebook as messages and --json show it: root-relative inside the project (as the
    REST API and JupyterLab name it), else as given."""
    project = cli_ctx.project
    return project.relative(notebook) if project.contains(notebook) else notebook.as_posix()


def _orphan_note(cli_ctx: CliContext, notebook: Path, name: str | None, orphan: Orphan) -> str:
    """A note that ``orphan`` may be the package of ``notebook`` renamed, and how to update
    it (keeping its import name, which the code using the package imports)."""
    folder = cli_ctx.project.relative(orphan.directory)
    # the package keeps its import name, unless the command gives another
    kept = "" if name in (None, orphan.package) else f" --name {orphan.package}"
    return (
        f"Note: {folder} holds the package of {orphan.notebook}, which no longer exists. If "
        f"{_shown(cli_ctx, notebook)} is that notebook renamed or moved, update its package with "
        f"-o {folder}{kept} --force."
    )


def _set_note(cli_ctx: CliContext, notebook: Path, out: Path, found: SetPackage) -> str:
    """A note that ``notebook``, extracted alone into ``out``, is one of the set of notebooks
    whose package is ``found``, which this leaves as it is, and the command updating that."""
    from nbtools.export import set_command

    names = ", ".join(_shown(cli_ctx, path) for path in found.notebooks)
    folder = cli_ctx.project.relative(found.directory)
    return (
        f"Note: {_shown(cli_ctx, notebook)} is one of the notebooks of package "
        f"'{found.package}' in {folder} ({names}). Extracted alone it gets a package of its "
        f"own, in {out.as_posix()}, and {folder} stays as it is: extracting the whole set "
        f"refreshes it ({set_command(found.notebooks, found.directory)})."
    )


def _tests_shown(test: bool, venv: bool) -> contextlib.AbstractContextManager[None]:
    """A spinner while the package's tests run (they take seconds, a venv minutes)."""
    if not (test or venv):
        return contextlib.nullcontext()
    from nbtools.cli.progress import waiting

    return waiting(
        "Extracting, then testing the package in a fresh venv"
        if venv
        else "Extracting, then testing the package"
    )


def _check_data(
    cli_ctx: CliContext, notebook: Path, nb: Notebook, purpose: str | None
) -> DataCheck | None:
    """The usage rule on the notebook's data (raises when refused); None outside the root or
    when the notebook names no data and the check read it whole (then the catalog is not
    even opened)."""
    from nbtools.data import names_no_data

    project = cli_ctx.project
    if not project.contains(notebook) or names_no_data(nb):  # then the detector is not loaded
        return None
    from nbtools.data import scan

    found = scan(nb)
    if found.read_whole and not (found.declared or found.undeclared):
        return None
    from nbtools.data import enforce_rule

    path = project.relative(notebook)
    return enforce_rule(project, path, purpose, actor=cli_ctx.actor, during="extract")


def launch_recording(recorder: BackgroundRecorder) -> None:
    """Start the process recording a written package's lineage (a failure to start it is
    said, and stops nothing)."""
    try:
        recorder.launch()
    except OSError as error:  # lineage never stops an extraction
        print(f"  lineage not recorded: cannot start its recording: {error}", file=sys.stderr)


def _lineage(
    cli_ctx: CliContext,
    notebook: Path,
    others: list[tuple[Path, Notebook]],
    mode: str,
) -> Recorder | None:
    """What records the lineage of ``notebook`` (and of a set's ``others``, with the content
    extracted from them) by ``mode``; why none does, on stderr (with --json too: its
    ``"lineage": null`` does not say)."""
    project, paths = cli_ctx.project, [path for path, _ in others]
    if mode == "off":  # records nothing; releases the versions a replaced package named
        return background_recorder(project, notebook, release=True, others=paths)
    record: Recorder | None
    actor = cli_ctx.configured_actor
    if mode == "wait":
        from nbtools.lineage import extraction_recorder

        record = extraction_recorder(project, notebook, actor=actor, others=others)
    else:
        record = background_recorder(project, notebook, actor=actor, others=paths)
    if record is None:
        outside = next(p for p in (notebook, *paths) if not project.contains(p))
        print(
            f"Lineage not recorded: {outside} is outside the project root "
            f"{project.root} (pass --root).",
            file=sys.stderr,
        )
    return record


def _print_report(report: ExtractReport, notebook: str, full: bool = True) -> None:
    """What the extraction did, a line per file, but for a check passing with a note
    without ``full``: how many files differ, as the note says."""
    extraction = report.extraction
    verb = "checked against" if report.mode == "check" else "written to"
    print(f"{notebook}: package {extraction.package!r} {verb} {report.out}")
    if not full:
        print(
            f"  up to date: {_changed(report)} file(s) differ only as the note says "
            "(--diff shows them)"
        )
    for change in report.changes if full else ():
        if change.status != "unchanged" or report.mode != "check":
            print(f"  {change.status:<9} {change.path}")
    if report.mode == "check" and not report.stale:
        print("  up to date")
    if report.lineage is not None and "pending" in report.lineage:
        print(f"  lineage: {PENDING_LINEAGE}")
    elif report.lineage is not None:
        from nbtools.lineage import describe_extraction

        print(f"  lineage: {describe_extraction(report.lineage)}")
        for problem in report.lineage.get("problems", []):
            print(f"  lineage incomplete: {problem}", file=sys.stderr)
    for problem in extraction.problems:
        print(f"  {problem.describe()}", file=sys.stderr if problem.severity == "error" else None)
    if report.tests is not None:
        _print_tests(report)


def _print_tests(report: ExtractReport) -> None:
    counts = report.tests.counts()
    summary = ", ".join(f"{n} {outcome}" for outcome, n in counts.items() if n)
    print(f"tests ({report.tests.environment} environment): {summary or 'none'}")
    for test in report.tests.tests:
        if test.outcome in ("failed", "error"):
            where = f" ({_cell_name(report, test.cell)})" if test.cell is not None else ""
            at = test.location
            points = f" at {_cell_name(report, at.cell)}" if at else ""
            if at and at.line:  # 0: a line run() rebuilt, of the parameters cell
                points += f", line {at.line}"
            print(f"  {test.outcome.upper()} {test.name}{where}{points}: {test.message}")
    if not report.tests.ok:
        print(report.tests.output, file=sys.stderr)


def _cell_name(report: ExtractReport, index: int) -> str:
    """``cell 4``, as the user numbers a notebook's cells; ``cell 4 of 01_b.ipynb`` in a set."""
    cell = report.extraction.plan.cells.get(index)
    return cell.label if cell is not None else f"cell {index + 1}"


def _failure(report: ExtractReport) -> str:
    reasons = []
    notebooks = "notebooks" if report.extraction.source.members else "notebook"
    if report.extraction.errors:  # no write takes the notebook: its problems come first
        problems = f"{len(report.extraction.errors)} problem(s) in the {notebooks}"
        outdated = report.mode == "check" and report.stale
        reasons.append(f"{problems}; fix them, then run nbtools extract" if outdated else problems)
    elif report.mode == "check" and report.stale:
        stale = f"{_changed(report)} file(s) out of date with the {notebooks}"
        if report.refusal is None:
            reasons.append(f"{stale}; run nbtools extract without --check to update them")
        else:  # the write would be refused: say the command that updates them anyway, and why
            reasons.append(
                f"{stale}; run nbtools extract with --force instead of --check to update them. "
                + report.refusal.message.rstrip(".")
            )
    if report.tests is not None and not report.tests.ok:
        reasons.append("tests failed")
    return "; ".join(reasons) + "."


def _changed(report: ExtractReport) -> int:
    """How many of the package's files a check found out of date."""
    return sum(1 for change in report.changes if change.status != "unchanged")
