"""``--no-kernel-check``: a job's kernel may be installed only where its scheduler runs."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import click

kernel_check_option = click.option(
    "--no-kernel-check",
    is_flag=True,
    help="Accept a --kernel that is not installed on this machine: the scheduler that runs the "
    "job has it (another machine). Without it, such a kernel is refused (exit 2), listing the "
    "installed ones.",
)


@contextlib.contextmanager
def kernel_check_named() -> Iterator[None]:
    """A kernel refused by the check that --no-kernel-check turns off (the library's message
    ends saying the check can be turned off, ``details["kernel_check"]``) names the flag."""
    from nbtools.errors import NbtoolsError

    try:
        yield
    except NbtoolsError as error:
        if error.details.get("kernel_check"):
            error.message = error.message.removesuffix(".") + " with --no-kernel-check."
        raise
