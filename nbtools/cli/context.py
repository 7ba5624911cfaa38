"""State shared by every command: the project root and the store location."""

from __future__ import annotations

import functools
from pathlib import Path

from nbtools.errors import InvalidInputError
from nbtools.project import Project


class CliContext:
    """Global options of ``nbtools``, with the project opened lazily."""

    def __init__(self, root: Path, db_url: str) -> None:
        self.root = root
        self.db_url = db_url

    @functools.cached_property
    def project(self) -> Project:
        if self.root.exists() and not self.root.is_dir():
            raise InvalidInputError(f"--root {self.root} is a file; give the project directory.")
        return Project(self.root, db_url=self.db_url)

    def close(self) -> None:
        """Release the store if a command opened it."""
        if "project" in self.__dict__:
            self.project.close()
