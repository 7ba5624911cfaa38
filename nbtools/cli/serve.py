"""``nbtools serve PACKAGE_DIR``: an extracted package's served functions over HTTP.

Imports neither FastAPI nor uvicorn until the command runs (``nbtools --help`` stays light).
The same options serve an installed package: ``python -m <package> serve`` calls
:func:`serve_installed`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from nbtools.cli.context import CliContext
from nbtools.cli.decorators import pass_cli
from nbtools.cli.options import WholeNumber, setting_option
from nbtools.serve.config import WORKERS_PER_CPU, ServeSettings, max_workers

F = TypeVar("F", bound=Callable[..., Any])


def serve_options(command: F) -> F:
    """The options ``nbtools serve`` and ``python -m <package> serve`` share."""
    for decorator in reversed(
        (
            click.option(
                "--host",
                default="127.0.0.1",
                show_default=True,
                help="Address to listen on (loopback by default; 0.0.0.0 for every interface).",
            ),
            click.option(
                "--port",
                default=8000,
                show_default=True,
                type=WholeNumber(0, 65535),
                help="TCP port (0: any free one, as the log then says).",
            ),
            click.option(
                "--workers",
                default=1,
                show_default=True,
                type=WholeNumber(1, max_workers()),
                help=f"Worker processes: from 1 to {WORKERS_PER_CPU} per CPU this process may "
                "run on.",
            ),
            click.option(
                "--stop-on-eof",
                is_flag=True,
                help="Stop when standard input closes (for a parent process that pipes it: "
                "the service stops with it, even if it is killed).",
            ),
            setting_option(ServeSettings, "record_to", "--record-to"),
            setting_option(ServeSettings, "api_key_env", "--api-key-env"),
            setting_option(ServeSettings, "api_key_file", "--api-key-file"),
            setting_option(ServeSettings, "public_docs", "--public-docs"),
            setting_option(ServeSettings, "timeout_seconds", "--timeout"),
            setting_option(ServeSettings, "shutdown_timeout_seconds", "--shutdown-timeout"),
            setting_option(ServeSettings, "max_body_bytes", "--max-body-bytes"),
            setting_option(ServeSettings, "max_result_bytes", "--max-result-bytes"),
            setting_option(ServeSettings, "service_name", "--service-name"),
        )
    ):
        command = decorator(command)
    return command


@click.command(
    epilog="Exit codes: 0 stopped by SIGTERM, Ctrl-C or (--stop-on-eof) the end of standard "
    "input, after answering the requests in flight; 2 bad input, missing dependencies, or "
    "data the package's module-level code used at start-up that the service's purpose does "
    "not allow; 3 start-up failed (the log says why). See docs/serving.md."
)
@click.argument("package_dir", type=click.Path(file_okay=False, exists=True, path_type=Path))
@serve_options
@pass_cli
def serve(
    cli_ctx: CliContext,
    package_dir: Path,
    host: str,
    port: int,
    workers: int,
    stop_on_eof: bool,
) -> None:
    """Serve the package extracted into PACKAGE_DIR: each '#| serve' function at
    POST /<name> and, if the main cell is marked serve too, run() at POST /run; with
    /health, /ready, /info, /metrics and /docs."""
    from nbtools.errors import InvalidInputError
    from nbtools.export import read_manifest
    from nbtools.serve.runner import requirements_of
    from nbtools.serve.runner import serve as run_service

    manifest = read_manifest(package_dir)
    package = manifest.get("package")
    purpose = manifest.get("purpose")
    if not isinstance(package, str):
        raise InvalidInputError(
            f"{package_dir} holds no extracted package (no manifest): run nbtools extract "
            "NOTEBOOK -o PACKAGE_DIR first.",
            package_dir=str(package_dir),
        )
    code = run_service(
        package,
        app_dir=(package_dir / "src").resolve(),
        host=host,
        port=port,
        workers=workers,
        settings=cli_ctx.settings(ServeSettings),
        requirements=requirements_of(manifest),
        stop_on_eof=stop_on_eof,
        purpose=purpose if isinstance(purpose, str) else None,
    )
    raise SystemExit(code)


def serve_installed(package: str, argv: list[str]) -> int:
    """``python -m <package> serve [options]`` for an installed package."""

    @click.command(name=f"python -m {package} serve")
    @serve_options
    @pass_cli
    def command(cli_ctx: CliContext, host: str, port: int, workers: int, stop_on_eof: bool) -> int:
        """Serve this package over HTTP (docs: nbtools' docs/serving.md)."""
        import importlib

        from nbtools.serve.info import find_manifest
        from nbtools.serve.runner import serve as run_service

        # imported already: Python imports a package before it runs its command
        purpose = find_manifest(importlib.import_module(package)).get("purpose")
        return run_service(
            package,
            app_dir=None,
            host=host,
            port=port,
            workers=workers,
            settings=cli_ctx.settings(ServeSettings),
            stop_on_eof=stop_on_eof,
            purpose=purpose if isinstance(purpose, str) else None,
        )

    from nbtools.cli.app import NbtoolsCliError
    from nbtools.errors import NbtoolsError

    try:
        code = command.main(args=argv, obj=CliContext(), standalone_mode=False)
    except NbtoolsError as error:
        NbtoolsCliError(error).show()
        return error.exit_code
    except click.ClickException as error:
        error.show()
        return error.exit_code
    return code if isinstance(code, int) else 0
