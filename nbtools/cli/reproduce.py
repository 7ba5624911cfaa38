"""``nbtools run --reproduce RUN``: run a past run's notebook version and parameters again,
after listing how the environment changed since."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from nbtools.cli.context import CliContext
from nbtools.cli.run import execute_here, prepare_output
from nbtools.errors import CheckFailedError

if TYPE_CHECKING:
    from nbtools.cli.run_stops import RunStops
    from nbtools.kernels import KernelSource
    from nbtools.lineage import Reproduction


def print_reproduction(reproduction: Reproduction) -> None:
    """What a reproduction runs, then how the environment changed since the original run."""
    import json

    version, run_id = reproduction.version, reproduction.run_id
    click.echo(
        f"Reproducing run {run_id}: {version.path} version {version.number} (id {version.id}), "
        f"parameters {json.dumps(reproduction.parameters)}."
    )
    drift, kernel = reproduction.drift, reproduction.kernel_name
    baseline = (reproduction.baseline_id or "")[:12]
    if drift is None:
        click.echo(f"Environment: not compared. {reproduction.note}")
    elif drift.empty:
        click.echo(f"Environment: kernel {kernel} is unchanged since run {run_id} ({baseline}).")
    else:
        click.secho(
            f"Environment: kernel {kernel} changed since run {run_id} ({baseline} -> "
            f"{(reproduction.current_id or '')[:12]}): {drift.summary()}",
            fg="yellow",
        )
        for line in drift.lines():
            click.echo(f"  {line}")
        click.echo(
            f"Running in the current environment; `nbtools env recreate {baseline} DIR` "
            "rebuilds the run's."
        )


def reproduce(
    cli_ctx: CliContext,
    run_id: int,
    same_env: bool,
    stops: RunStops,
    force: bool,
    as_json: bool,
    log_output: bool,
    cwd: Path | None,
    report_mode: bool,
    kernels: KernelSource,
    start_timeout: int,
) -> None:
    """Run ``run_id``'s notebook version with its parameters again, here and now, in
    ``kernels``, its kernel given ``start_timeout`` seconds to start, its executed notebook
    written to ``stops.output`` (``--same-env``: exit 1 without running if the environment
    changed)."""
    from nbtools.lineage import plan_reproduction, queue_reproduction

    project = cli_ctx.project
    reproduction = plan_reproduction(project, run_id)
    prepare_output(project, stops.output, force, reproduction.version.path)
    if not as_json:
        print_reproduction(reproduction)
    if same_env and reproduction.drift is None:
        raise CheckFailedError(
            f"--same-env: the environment cannot be compared. {reproduction.note}",
            reproduction=reproduction.to_dict(),
        )
    if same_env and reproduction.drifted:
        raise CheckFailedError(
            f"--same-env: the environment changed since run {run_id}; nothing was run.",
            reproduction=reproduction.to_dict(),
        )
    execute_here(
        cli_ctx,
        lambda token: (
            queue_reproduction(project, reproduction, claim=token, actor=cli_ctx.actor).id
        ),
        stops,
        as_json,
        kernels,
        log_output=log_output,
        cwd=cwd,
        report_mode=report_mode,
        start_timeout=start_timeout,
        reproduction=reproduction.to_dict(),
    )
