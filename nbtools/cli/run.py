"""``nbtools run NB -p name=value …``: run a notebook once, recorded in the store (with
``--prepare-only``: only write it with its parameters injected); ``nbtools run --reproduce
RUN``: run a past run's notebook version and parameters again (:mod:`nbtools.cli.reproduce`)."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from nbtools.cli.context import CliContext
from nbtools.cli.decorators import fields_as_flags, idempotency_option, json_option, pass_cli
from nbtools.cli.ids import ID
from nbtools.cli.options import WholeNumber
from nbtools.cli.paths import root_relative_option
from nbtools.cli.run_parameters import given_parameters, parameter_option, parse_assignments
from nbtools.cli.run_stops import RunStops
from nbtools.errors import InvalidInputError
from nbtools.kernels import STARTUP_TIMEOUT_SECONDS
from nbtools.project import Project
from nbtools.unused_imports import skip_format_checks

if TYPE_CHECKING:
    from nbtools.kernels import KernelSource

#: The flags of the run's fields, for errors (``--timeout``, not ``timeout_seconds``).
_FLAGS = {
    "timeout_seconds": "--timeout",
    "cell_timeout_seconds": "--cell-timeout",
    "kernel_name": "--kernel",
}

purpose_option = click.option(
    "--purpose",
    help="What the run's data is used for (e.g. churn-model): needed for personal or sensitive "
    "datasets and those listing purposes, and checked against every dataset's allowed purposes before the run starts.",
)


@contextlib.contextmanager
def _outputs_logged(log_output: bool) -> Iterator[None]:
    """With ``log_output``, papermill's log (each cell's start and end, and the notebook's
    outputs as they arrive) on standard error while the block runs, as papermill's
    ``--log-output`` writes it."""
    if not log_output:
        yield
        return
    import logging
    import sys

    logger = logging.getLogger("papermill")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    level, propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate


def prepare_output(
    project: Project, output: Path | None, force: bool, notebook: str | None = None
) -> None:
    """Check ``-o`` and make its directory before the run starts (what would refuse it would
    otherwise only be found once the run had ended): refused (field ``output``, which the
    error names as ``--output``) in the store directory, on the ``notebook`` run (root-relative),
    where it could not be written, and over a file that is no run's executed notebook unless
    ``force`` (:func:`~nbtools.outfiles.check_outfile`)."""
    if output is None:
        return
    from nbtools.jobs import is_run_output
    from nbtools.outfiles import check_outfile

    reads = None if notebook is None else project.resolve(notebook)
    check_outfile(
        project, output, "output", ours=is_run_output, force=force, reads=reads, make_folder=True
    )


def claim_token() -> str:
    """A claim token: a run queued under it is executed by this process, never a scheduler."""
    from nbtools.jobs import Claimer

    return Claimer().token()


def run_kernels() -> KernelSource:
    """The kernels of one ``nbtools run``: none started ahead, none waited for at its end; a
    kernel that does not start in time fails the run naming ``--start-timeout``."""
    from nbtools.kernels import KernelSource

    return KernelSource(prestart=False, wait_for_exit=False, timeout_setting="--start-timeout")


def booted_kernels(
    project: Project,
    path: str,
    kernel: str | None,
    cwd: Path | None = None,
) -> KernelSource:
    """Kernels for one run (:func:`run_kernels`), its kernel already booting (in its own
    process, in ``cwd`` or else the notebook's folder) while this one imports, queues and
    prepares the run.

    What cannot be booted now (an unknown kernel, an unreadable notebook) fails again, with
    its proper error recorded on the run, when the run starts.
    """
    import json

    from nbtools.infiles import read_regular
    from nbtools.kernels import DEFAULT_KERNEL

    kernels = run_kernels()
    try:
        file = project.resolve(path)
        if kernel is None:
            spec = json.loads(read_regular(file)).get("metadata", {}).get("kernelspec", {})
            kernel = spec.get("name") if isinstance(spec.get("name"), str) else None
        kernels.boot(kernel or DEFAULT_KERNEL, cwd or file.parent)
    except (OSError, ValueError, KeyError, AttributeError, RecursionError):
        pass
    return kernels


def execute_here(
    cli_ctx: CliContext,
    queue: Callable[[str], int],
    stops: RunStops,
    as_json: bool,
    kernels: KernelSource | None = None,
    log_output: bool = False,
    cwd: Path | None = None,
    report_mode: bool = False,
    start_timeout: int = STARTUP_TIMEOUT_SECONDS,
    **extra: Any,
) -> None:
    """Queue a run with ``queue(claim token)``, execute it here and now (its kernel in ``cwd``,
    else the notebook's folder, failing the run unless it answers within ``start_timeout``
    seconds; ``log_output``: its outputs on standard error as they arrive; ``report_mode``:
    its output's code inputs hidden), write its executed notebook to ``stops.output`` (``-o``)
    and print it; exit 1 unless it succeeded, 130/143 after SIGINT/SIGTERM (the run is
    cancelled: :meth:`RunStops.cancelling`)."""
    from nbtools.atomic import atomic_write
    from nbtools.cli.progress import cells_bar
    from nbtools.cli.runs import drop_earlier_output, fail_unless_succeeded, print_ended
    from nbtools.jobs import (
        Interrupt,
        JobsSettings,
        Progress,
        RunRequest,
        execute_run,
        run_output,
        show_run,
    )
    from nbtools.metrics import MetricsSettings

    project, output = cli_ctx.project, stops.output
    kernels = kernels or run_kernels()
    interrupt = Interrupt()
    with stops.cancelling(interrupt) as received:
        try:
            jobs = cli_ctx.settings(JobsSettings)
            token = claim_token()
            run_id = queue(token)
            stops.queued()
            request = RunRequest.for_project(
                project,
                run_id,
                token=token,
                lease_seconds=jobs.stale_after_seconds,
                metric_max_bytes=cli_ctx.settings(MetricsSettings).max_value_bytes,
                cwd=str(cwd or ""),
                progress_save_seconds=jobs.progress_save_seconds,
                report_mode=report_mode,
                kernel_start_timeout=start_timeout,
            )
            if cli_ctx.ends_process:
                # What the command imported and set up lives until the process ends: kept
                # out of the collector's full passes, one of which (over a million objects,
                # ≈60 ms of CPU) otherwise fell after the kernel answered, on the run's
                # critical path (docs/performance.md). The run's own objects are collected.
                gc.freeze()
            progress = Progress()
            # a bar would be drawn over the log: papermill shows none with it either
            bar = contextlib.nullcontext() if log_output else cells_bar(run_id, progress)
            with bar, _outputs_logged(log_output):
                execute_run(
                    project,
                    request,
                    kernels,
                    interrupt=interrupt,
                    progress=progress,
                    log_output=log_output,
                )
        finally:
            kernels.close()
        finished = show_run(project, run_id)
        written = output if finished.output_notebook is not None else None
        if written is not None:  # whole or not at all; a symbolic link's target is written
            data = run_output(project, run_id, "notebook").file.read_bytes()
            atomic_write(written.resolve(), data)
        model = {**finished.to_wire(), **extra}
        print_ended(project, model, as_json, written)
        if output is not None and written is None:
            ended = f"run {run_id} ended before its first cell"
            said = drop_earlier_output(output, ended, stops.earlier_removed)
            click.echo(said, err=True)
    if received:
        raise SystemExit(128 + received[0])
    fail_unless_succeeded(model)


@click.command()
@click.argument("notebook", required=False, callback=root_relative_option)
@parameter_option
@click.option(
    "-f",
    "--parameters-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A YAML (or, named .json, JSON) file mapping parameter names to values, typed as "
    "written: for values too long for a command line. -p values replace its.",
)
@click.option(
    "-y",
    "--parameters-yaml",
    metavar="YAML",
    help="Parameter names mapped to values in YAML, on the command line (as papermill's -y): "
    "-y 'days: 7', typed as written, as -f's. Its values replace -f's; -p values replace its.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the executed notebook here (kept in the store either way).",
)
@click.option(
    "--force",
    is_flag=True,
    help="Replace -o's file even if it is not an executed notebook nbtools wrote.",
)
@click.option("--kernel", help="Kernel to run with (default: the notebook's own).")
@click.option("--timeout", type=int, help="Stop the run after this many seconds.")
@click.option(
    "--cell-timeout", type=int, help="Stop the run when one cell runs longer than this (seconds)."
)
@click.option("--html", is_flag=True, help="Also render the executed notebook as HTML.")
@click.option(
    "--log-output",
    is_flag=True,
    help="Write the notebook's outputs to standard error as its cells run (as papermill's "
    "--log-output), for a CI log; no progress bar then.",
)
@click.option(
    "--report-mode",
    is_flag=True,
    help="Hide the code cells' inputs in the output notebook, outputs kept (as papermill's "
    "--report-mode).",
)
@click.option(
    "--start-timeout",
    type=WholeNumber(1),
    default=STARTUP_TIMEOUT_SECONDS,
    show_default=True,
    help="Fail the run if its kernel has not started within this many seconds (as "
    "papermill's --start-timeout).",
)
@click.option(
    "--prepare-only",
    is_flag=True,
    help="Write -o's notebook with the parameters injected, as the run would execute it, and "
    "run nothing; no run is recorded (as papermill's --prepare-only).",
)
@click.option(
    "--cwd",
    type=click.Path(exists=True, file_okay=False, resolve_path=True, path_type=Path),
    help="The kernel's working directory (default: the notebook's folder; papermill's is the "
    "current directory).",
)
@purpose_option
@click.option(
    "--reproduce",
    "reproduce_run",
    type=ID,
    metavar="RUN",
    help="Run RUN's exact notebook version with its parameters again (after listing how the "
    "environment changed since); no NOTEBOOK then.",
)
@click.option(
    "--same-env",
    is_flag=True,
    help="With --reproduce: exit 1 without running if the environment changed.",
)
@idempotency_option
@json_option
@pass_cli
@fields_as_flags(_FLAGS)
def run(
    cli_ctx: CliContext,
    notebook: str | None,
    parameters: tuple[str, ...],
    parameters_file: Path | None,
    parameters_yaml: str | None,
    output: Path | None,
    force: bool,
    kernel: str | None,
    timeout: int | None,
    cell_timeout: int | None,
    html: bool,
    log_output: bool,
    report_mode: bool,
    start_timeout: int,
    prepare_only: bool,
    cwd: Path | None,
    purpose: str | None,
    reproduce_run: int | None,
    same_env: bool,
    idempotency_key: str | None,
    as_json: bool,
) -> None:
    """Run NOTEBOOK once with parameters, recording the run (exit 1 if the notebook fails).

    With --reproduce RUN, run what RUN executed again: its notebook version (even if the
    file changed since) and its parameters, in the current environment, whose differences
    from RUN's are listed first.

    \b
    Examples:
      nbtools run report.ipynb -p days=7 -o out.ipynb
      nbtools run report.ipynb -f params.yaml -p days=3 --log-output
      nbtools run report.ipynb -y 'days: 7' -o out.ipynb
      nbtools run report.ipynb -p days=7 -o prepared.ipynb --prepare-only
      nbtools run --reproduce 12 --same-env
    """
    skip_format_checks()  # this process only executes a notebook (docs/performance.md)
    stops = RunStops(None if prepare_only else output)
    cli_ctx.stops_owned = True  # a stop before: stopped_before_reading
    with stops.before_the_run():
        if reproduce_run is not None:
            if (
                notebook is not None
                or parameters
                or parameters_file
                or parameters_yaml is not None
                or kernel
                or html
                or prepare_only
                or {timeout, cell_timeout} != {None}
            ):
                raise InvalidInputError(
                    "--reproduce runs the run's own notebook version, parameters and options: "
                    "give no NOTEBOOK, -p, -f, -y, --kernel, --timeout, --cell-timeout, --html or "
                    "--prepare-only with it."
                )
            from nbtools.cli.reproduce import reproduce

            reproduce(
                cli_ctx,
                reproduce_run,
                same_env,
                stops,
                force,
                as_json,
                log_output,
                cwd,
                report_mode,
                run_kernels(),
                start_timeout,
            )
            return
        if notebook is None:
            raise InvalidInputError("Give the NOTEBOOK to run, or --reproduce RUN.")
        if same_env:
            raise InvalidInputError("--same-env applies only with --reproduce RUN.")
        if prepare_only and output is None:
            raise InvalidInputError(
                "--prepare-only writes the prepared notebook to --output: give -o FILE.",
                field="output",
            )
        from nbtools.jobs import check_timeout

        check_timeout(timeout)  # as the run checks them, before --prepare-only or a kernel boots
        check_timeout(cell_timeout, "cell_timeout_seconds")
        project = cli_ctx.project
        path = project.relative(project.resolve(notebook))
        prepare_output(project, output, force, path)
        values: dict[str, Any] = parse_assignments(parameters)
        from_text = parameters_file is None and parameters_yaml is None
        if not from_text:  # checked whole before a kernel boots
            values = given_parameters(project, path, parameters_file, parameters_yaml, values)
        if prepare_only and output is not None:
            _prepare_only(
                cli_ctx, path, values, from_text, output, kernel, report_mode, purpose, as_json
            )
            return
        # first: it boots while we go on
        kernels = stops.kernels = booted_kernels(project, path, kernel, cwd)

        def queue(token: str) -> int:
            from nbtools.jobs import queue_run

            return queue_run(
                project,
                path,
                values,
                trigger="cli",
                from_text=from_text,
                kernel_name=kernel,
                timeout_seconds=timeout,
                cell_timeout_seconds=cell_timeout,
                output_html=html,
                claim=token,
                purpose=purpose,
                idempotency_key=idempotency_key,
                actor=cli_ctx.actor,
            ).id

        execute_here(
            cli_ctx, queue, stops, as_json, kernels, log_output, cwd, report_mode, start_timeout
        )


def _prepare_only(
    cli_ctx: CliContext,
    path: str,
    values: dict[str, Any],
    from_text: bool,
    output: Path,
    kernel: str | None,
    report_mode: bool,
    purpose: str | None,
    as_json: bool,
) -> None:
    """``--prepare-only``: the values and the data usage rule for ``purpose`` checked as for
    a run, the prepared notebook written to ``output``, nothing run nor recorded."""
    import json

    from nbtools.jobs import checked_parameters, write_prepared

    project = cli_ctx.project
    stored = checked_parameters(project, path, values, from_text=from_text)
    write_prepared(
        project, path, stored, output, kernel, report_mode, purpose=purpose, actor=cli_ctx.actor
    )
    if as_json:
        click.echo(json.dumps({"notebook": path, "parameters": stored, "output": str(output)}))
    else:
        click.echo(f"Prepared {path} (not run) in {output}.")
