"""``JOB`` on the command line: a job's id or its name, turned into the id when parsed."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from nbtools.cli.context import CliContext
from nbtools.cli.decorators import CommandFunction, check_utf8, reading

if TYPE_CHECKING:
    _IdType = click.ParamType[int]
else:  # click < 8.4: ParamType is not generic at run time
    _IdType = click.ParamType


class JobType(_IdType):
    """A job given by id or name (see :func:`nbtools.jobs.definitions.find_job`)."""

    name = "job"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        if param is not None:
            check_utf8(param, str(value))  # before the look-up, which cannot take it
        cli_ctx = ctx.find_object(CliContext) if ctx is not None else None
        if cli_ctx is None:
            self.fail("needs the nbtools command's context to look the job up", param, ctx)
        from nbtools.jobs import find_job

        with reading(ctx, param):  # "No job is named 'x'. … See JOB."
            return find_job(cli_ctx.project, str(value)).id


JOB = JobType()

#: ``JOB`` as a command's argument (the id or name of a job), passed on as ``job_id``.
job_argument = click.argument("job_id", metavar="JOB", type=JOB)


def job_filter(what: str) -> Callable[[CommandFunction], CommandFunction]:
    """``--job JOB``: only ``what`` of one job, given by id or name."""
    return click.option("--job", "job_id", type=JOB, help=f"Only {what} of this job (id or name).")
