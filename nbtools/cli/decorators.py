"""Click decorators every click command shares."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from nbtools.cli.context import CliContext

#: A command's function, as the decorators that add options return it.
CommandFunction = TypeVar("CommandFunction", bound=Callable[..., Any])

pass_cli = click.make_pass_decorator(CliContext)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
idempotency_option = click.option(
    "--idempotency-key",
    metavar="KEY",
    help="Create this at most once: a second submission with KEY is refused (exit 2) naming "
    "the first.",
)
