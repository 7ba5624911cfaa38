"""Entry point of the ``nbtools`` command."""

from __future__ import annotations

from nbtools.unused_imports import skip_unused_imports


def main() -> None:
    """Console-script entry point: the click group, commands imported when they run."""
    skip_unused_imports()
    from nbtools.cli.app import cli

    cli(prog_name="nbtools")


if __name__ == "__main__":
    main()
