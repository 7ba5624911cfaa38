"""State shared by every command: the project root and the store location."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import click

from nbtools.project import Project


@dataclass
class CliContext:
    """Global options of ``nbtools``, with the project opened lazily."""

    root: Path
    db_url: str

    @functools.cached_property
    def project(self) -> Project:
        return Project(self.root, db_url=self.db_url)

    def close(self) -> None:
        """Release the store if a command opened it."""
        if "project" in self.__dict__:
            self.project.close()


pass_cli = click.make_pass_decorator(CliContext)
