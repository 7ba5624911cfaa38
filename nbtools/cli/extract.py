"""``nbtools extract``: tagged cells → a tested package; ``--check`` for CI.

A fast command (:mod:`nbtools.cli.fast`): it reads its own command line
(:mod:`nbtools.cli.fastargs`) and imports nothing heavy, so extracting a notebook costs little
more than starting Python.
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

from nbtools.cli.context import CliContext
from nbtools.cli.fastargs import CommandLine, Option, parse
from nbtools.cli.output import print_json
from nbtools.errors import CheckFailedError
from nbtools.export.api import ExtractReport, ExtractRequest, Recorder, run_extract
from nbtools.export.build import ExtractOptions
from nbtools.lineage.background import PENDING, BackgroundRecorder
from nbtools.lineage.background import recorder as background_recorder

DESCRIPTION = """\
Extract the tagged cells of NOTEBOOK into a tested Python package in OUTPUT.

Tags: parameters, export, export:<module>, main, test, skip; nbdev directives (#| default_exp,
#| export, #| exporti, #| exports, #| hide) work as in nbdev.

A written package's manifest (.nbtools-extract.json) records the notebook version and the
kernel environment it came from, when NOTEBOOK is inside the project root (--root). By default
they are recorded by a background process that fills them into the manifest a moment later.
"""
EPILOG = """\
exit codes: 0 ok, 1 problems in the notebook, stale package (--check) or failed tests,
2 bad input."""
LINEAGE_MODES = ("background", "wait", "off")


COMMAND_LINE = CommandLine(
    DESCRIPTION,
    EPILOG,
    (("NOTEBOOK", "the notebook (.ipynb) to extract", Path),),
    (
        Option(
            ("-o", "--output"),
            "out",
            "directory of the package (created if missing)",
            "OUTPUT",
            required=True,
            type=Path,
        ),
        Option(
            ("--name",),
            "name",
            "import name of the package (default: from the notebook's name)",
            "NAME",
        ),
        Option(("--version",), "version", "package version (default: 0.1.0)", "VERSION", "0.1.0"),
        Option(("--test",), "test", "run the package's tests with pytest afterwards"),
        Option(
            ("--check",),
            "check",
            "write nothing; exit 1 with a unified diff if the package on disk is out of date",
        ),
        Option(("--venv",), "venv", "run the tests in a fresh venv with the package installed"),
        Option(
            ("--force",),
            "force",
            "write even over files nbtools did not write (kept as .orig) or over another "
            "notebook's package",
        ),
        Option(
            ("--lineage",),
            "lineage",
            "record the notebook version and environment in the manifest: in a background "
            "process (default), before returning (wait), or not at all (off)",
            "{background,wait,off}",
            "background",
            LINEAGE_MODES,
        ),
        Option(("--json",), "as_json", "print JSON for scripts"),
    ),
)


def extract(args: list[str], prog: str, cli_ctx: CliContext) -> None:
    """Run ``nbtools extract`` with its command-line ``args``."""
    options = parse(COMMAND_LINE, prog, args)
    request = ExtractRequest(
        notebook_path=options.notebook,
        out=options.out,
        options=ExtractOptions(package=options.name, version=options.version),
        mode="check" if options.check else "write",
        test=options.test or options.venv,
        venv=options.venv,
        force=options.force,
        lineage=_lineage(cli_ctx, options),
    )
    try:
        report = run_extract(request)
    except CheckFailedError as error:
        if options.as_json:
            print_json(error.to_dict())
        raise
    if options.as_json:
        print_json(report.to_dict(with_content=False))
    else:
        if report.diff:
            sys.stdout.write(report.diff)
        _print_report(report)
    if isinstance(request.lineage, BackgroundRecorder):
        _launch(request.lineage)  # only now: the recording does not slow the command down
    if not report.ok:
        raise CheckFailedError(_failure(report))


def _launch(recorder: BackgroundRecorder) -> None:
    try:
        recorder.launch()
    except OSError as error:  # lineage never stops an extraction
        print(f"  lineage not recorded: cannot start its recording: {error}", file=sys.stderr)


def _lineage(cli_ctx: CliContext, options: SimpleNamespace) -> Recorder | None:
    if options.check or options.lineage == "off":
        return None
    if options.lineage == "wait":
        from nbtools.lineage.extraction import recorder
    else:
        recorder = background_recorder
    record = recorder(cli_ctx.project, options.notebook)
    if record is None and not options.as_json:
        print(
            f"Lineage not recorded: {options.notebook} is outside the project root "
            f"{cli_ctx.project.root} (pass --root).",
            file=sys.stderr,
        )
    return record


def _print_report(report: ExtractReport) -> None:
    extraction = report.extraction
    verb = "checked against" if report.mode == "check" else "written to"
    print(f"{extraction.source.name}: package {extraction.package!r} {verb} {report.out}")
    for change in report.changes:
        if change.status != "unchanged" or report.mode != "check":
            print(f"  {change.status:<9} {change.path}")
    if report.mode == "check" and not report.stale:
        print("  up to date")
    if report.lineage is not None and "pending" in report.lineage:
        print(f"  lineage: {PENDING}")
    elif report.lineage is not None:
        from nbtools.lineage.extraction import describe

        print(f"  lineage: {describe(report.lineage)}")
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
            where = f" (cell {test.cell + 1})" if test.cell is not None else ""
            at = test.location
            points = f" at cell {at.cell + 1}, line {at.line}" if at else ""
            print(f"  {test.outcome.upper()} {test.name}{where}{points}: {test.message}")
    if not report.tests.ok:
        print(report.tests.output, file=sys.stderr)


def _failure(report: ExtractReport) -> str:
    reasons = []
    if report.extraction.errors:
        reasons.append(f"{len(report.extraction.errors)} problem(s) in the notebook")
    if report.mode == "check" and report.stale:
        changed = sum(1 for c in report.changes if c.status != "unchanged")
        reasons.append(
            f"{changed} file(s) out of date with the notebook; run nbtools extract without "
            "--check to update them"
        )
    if report.tests is not None and not report.tests.ok:
        reasons.append("tests failed")
    return "; ".join(reasons) + "."
