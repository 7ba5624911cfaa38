"""``nbtools extract``: tagged cells → a tested package; ``--check`` for CI."""

from __future__ import annotations

from pathlib import Path

import click

from nbtools.cli.output import json_option, print_json
from nbtools.errors import CheckFailedError
from nbtools.export.api import ExtractReport, ExtractRequest, run_extract
from nbtools.export.build import ExtractOptions


def _print_report(report: ExtractReport) -> None:
    extraction = report.extraction
    verb = "checked against" if report.mode == "check" else "written to"
    click.echo(f"{extraction.source.name}: package {extraction.package!r} {verb} {report.out}")
    for change in report.changes:
        if change.status != "unchanged" or report.mode != "check":
            click.echo(f"  {change.status:<9} {change.path}")
    if report.mode == "check" and not report.stale:
        click.echo("  up to date")
    for problem in extraction.problems:
        click.echo(f"  {problem.describe()}", err=problem.severity == "error")
    if report.tests is not None:
        counts = report.tests.counts()
        summary = ", ".join(f"{n} {outcome}" for outcome, n in counts.items() if n)
        click.echo(f"tests ({report.tests.environment} environment): {summary or 'none'}")
        for test in report.tests.tests:
            if test.outcome in ("failed", "error"):
                where = f" (cell {test.cell + 1})" if test.cell is not None else ""
                at = test.location
                points = f" at cell {at.cell + 1}, line {at.line}" if at else ""
                click.echo(f"  {test.outcome.upper()} {test.name}{where}{points}: {test.message}")
        if not report.tests.ok:
            click.echo(report.tests.output, err=True)


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


@click.command()
@click.argument("notebook", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    "out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory of the package (created if missing).",
)
@click.option("--name", help="Import name of the package (default: from the notebook's name).")
@click.option("--version", "version", default="0.1.0", show_default=True, help="Package version.")
@click.option("--test", is_flag=True, help="Run the package's tests with pytest afterwards.")
@click.option(
    "--check",
    is_flag=True,
    help="Write nothing; exit 1 with a unified diff if the package on disk is out of date.",
)
@click.option(
    "--venv", is_flag=True, help="Run the tests in a fresh venv with the package installed."
)
@click.option(
    "--force", is_flag=True, help="Write even over files nbtools did not write (kept as .orig)."
)
@json_option
def extract(
    notebook: Path,
    out: Path,
    name: str | None,
    version: str,
    test: bool,
    check: bool,
    venv: bool,
    force: bool,
    as_json: bool,
) -> None:
    """Extract the tagged cells of NOTEBOOK into a tested Python package in OUTPUT.

    Tags: parameters, export, export:<module>, main, test, skip; nbdev directives
    (#| default_exp, #| export, #| exporti, #| exports, #| hide) work as in nbdev.
    Exit codes: 0 ok, 1 problems in the notebook, stale package (--check) or failed tests,
    2 bad input.
    """
    request = ExtractRequest(
        notebook_path=notebook,
        out=out,
        options=ExtractOptions(package=name, version=version),
        mode="check" if check else "write",
        test=test or venv,
        venv=venv,
        force=force,
    )
    try:
        report = run_extract(request)
    except CheckFailedError as error:
        if as_json:
            print_json(error.to_dict())
        raise
    if as_json:
        print_json(report.to_dict(with_content=False))
    else:
        if report.diff:
            click.echo(report.diff, nl=False)
        _print_report(report)
    if not report.ok:
        raise CheckFailedError(_failure(report))
