"""A project: the root directory, its ``.nbtools`` state directory and its store."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from nbtools.paths import resolve_inside

if TYPE_CHECKING:
    from nbtools.config import NbtoolsSettings
    from nbtools.notebooks import Notebook
    from nbtools.store.database import Store


class Project:
    """Entry point to everything nbtools keeps for one root directory."""

    def __init__(self, root: Path, store_dir: Path | None = None, db_url: str = "") -> None:
        self.root = root.resolve()
        self.store_dir = (store_dir or self.root / ".nbtools").resolve()
        self.db_url = db_url or f"sqlite:///{self.store_dir / 'nbtools.db'}"

    @classmethod
    def from_settings(cls, settings: NbtoolsSettings, default_root: Path) -> Project:
        """Build a project from traitlets settings, falling back to ``default_root``. A root
        that is set must be an existing directory: a mistyped one is refused
        (:class:`~nbtools.errors.InvalidInputError`, field ``root_dir``), never made into an
        empty project."""
        from nbtools.errors import InvalidInputError

        root = Path(settings.root_dir or default_root).expanduser().resolve()
        if not root.is_dir():
            problem = "is a file" if root.exists() else "does not exist"
            raise InvalidInputError(
                f"The project root {root} {problem}: name the project's directory.",
                field="root_dir",
            )
        store_dir = Path(settings.store_dir).expanduser()
        return cls(
            root, store_dir if store_dir.is_absolute() else root / store_dir, settings.db_url
        )

    @functools.cached_property
    def store(self) -> Store:
        """The project's database, opened (and migrated) on first use."""
        from nbtools.store.database import Store

        if not self.db_url.startswith("sqlite"):  # e.g. a Dask worker on another machine
            return Store.open(self.db_url)
        self.store_dir.mkdir(parents=True, exist_ok=True)
        return Store.open(self.db_url, lock_dir=self.store_dir)

    def resolve(self, user_path: str) -> Path:
        """Resolve a root-relative path from a user or a request, refusing escapes."""
        return resolve_inside(self.root, user_path)

    def user_file(self, user_path: str) -> Path:
        """Resolve a root-relative path to one of the user's files (a notebook) as
        :meth:`resolve` does; a path in the store directory, even through a symbolic link, is
        refused (:class:`~nbtools.errors.HiddenPathError`): nothing there is the user's."""
        from nbtools.errors import HiddenPathError

        target = self.resolve(user_path)
        if self.in_store(target):
            raise HiddenPathError(
                f"{user_path!r} is in the nbtools store directory, which holds nbtools' own "
                "files, not notebooks: choose a path outside it.",
                path=user_path,
            )
        return target

    def read_notebook(self, user_path: str) -> Notebook:
        """The notebook at root-relative ``user_path`` (:meth:`user_file`), read and checked;
        an error names it by ``user_path``, as the store and the REST API do, never by its
        absolute path."""
        from nbtools.notebooks import read_notebook

        return read_notebook(self.user_file(user_path), name=user_path)

    def contains(self, path: Path) -> bool:
        """Whether ``path`` (resolved) is inside the root."""
        return path.resolve().is_relative_to(self.root)

    def in_store(self, path: Path) -> bool:
        """Whether ``path`` (resolved) is the store directory or inside it: nbtools' own
        files, which are neither served nor versioned."""
        return path.resolve().is_relative_to(self.store_dir)

    def relative(self, path: Path) -> str:
        """The root-relative ``/`` form of an absolute path inside the root."""
        return path.resolve().relative_to(self.root).as_posix()

    def close(self) -> None:
        """Release the database connections, if the store was opened."""
        if "store" in self.__dict__:
            self.store.close()


def project_from_environment() -> Project:
    """The project of code running without a CLI or server: a notebook's kernel, an
    extracted package, a service. It is ``$NBTOOLS_ROOT``, else the nearest directory above
    the working directory that holds ``.nbtools/``; its store is ``$NBTOOLS_DB_URL`` or the
    project's SQLite file. One project per process and location (its store stays open)."""
    root = os.environ.get("NBTOOLS_ROOT", "")
    db_url = os.environ.get("NBTOOLS_DB_URL", "")
    return _located(root, db_url, "" if root else os.getcwd())


@functools.cache
def _located(root: str, db_url: str, cwd: str) -> Project:
    from nbtools.errors import NotFoundError

    if root:
        return Project(Path(root), db_url=db_url)
    start = Path(cwd).resolve()
    found = nearest_root(start)
    if found is None:
        raise NotFoundError(
            f"No nbtools project above {start}: set NBTOOLS_ROOT to the project's root.",
            cwd=str(start),
        )
    return Project(found, db_url=db_url)


def nearest_root(start: Path) -> Path | None:
    """The nearest directory at or above ``start`` that holds ``.nbtools/`` (a project's
    state directory), as git finds ``.git/``; None if there is none."""
    return _nearest(start, lambda directory: (directory / ".nbtools").is_dir())


def nearest_repository(start: Path) -> Path | None:
    """The top of the git repository holding ``start``: the nearest directory at or above it
    holding ``.git`` (a directory, or a file in a worktree or submodule); None outside one."""
    return _nearest(start, lambda directory: (directory / ".git").exists())


def _nearest(start: Path, holds: Callable[[Path], bool]) -> Path | None:
    start = start.resolve()
    return next((d for d in (start, *start.parents) if holds(d)), None)
