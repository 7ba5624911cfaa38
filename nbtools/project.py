"""A project: the root directory, its ``.nbtools`` state directory and its store."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from nbtools.paths import DEFAULT_STORE_DIR, real_path, resolve_inside

if TYPE_CHECKING:
    from nbtools.config import NbtoolsSettings
    from nbtools.notebooks import Notebook
    from nbtools.store.database import Store

#: The file of a store directory outside its project's root that names the root (one line).
ROOT_RECORD = "project-root"
#: The variables naming the project to code run without a CLI or server
#: (:func:`project_from_environment`): its root, store directory and store.
ROOT_VARIABLE, STORE_DIR_VARIABLE, DB_URL_VARIABLE = (
    "NBTOOLS_ROOT",
    "NBTOOLS_STORE_DIR",
    "NBTOOLS_DB_URL",
)
#: The store a reader's project reads where its own does not exist yet: SQLite in memory.
IN_MEMORY_URL = "sqlite://"


class Project:
    """Entry point to everything nbtools keeps for one root directory."""

    def __init__(
        self,
        root: Path,
        store_dir: Path | None = None,
        db_url: str = "",
        *,
        creates_store: bool = True,
    ) -> None:
        self.root = root.resolve()
        self.store_dir = (store_dir or self.root / DEFAULT_STORE_DIR).resolve()
        self.db_url = db_url or f"sqlite:///{self.store_dir / 'nbtools.db'}"
        #: False for a reader (a command that only reads): a SQLite store that does not exist
        #: yet is not made (:attr:`store_exists`), :attr:`store` is then an empty one in memory.
        self.creates_store = creates_store
        #: Whether a store that needs migrating is migrated by a child process
        #: (:mod:`nbtools.store.migrations.apart`): set by a process that lives long (the
        #: Jupyter server, ``nbtools scheduler``), which would otherwise keep Alembic's ≈ 18 MiB
        #: from the one migration until it stops.
        self.migrates_apart = False

    @classmethod
    def from_settings(
        cls,
        settings: NbtoolsSettings,
        default_root: Path,
        *,
        discover: bool = False,
        creates_store: bool = True,
    ) -> Project:
        """Build a project from traitlets settings, falling back to ``default_root`` (with
        ``discover``: to the root of the project holding it, :func:`nearest_root`, found by
        the store directory the settings name). A root that is set must be an existing
        directory: a mistyped one is refused (:class:`~nbtools.errors.InvalidInputError`,
        field ``root_dir``), never made into an empty project. A store directory outside the
        root belongs to one root, recorded in it (:func:`claim_store`), unless the project is a
        reader's (``creates_store=False``, :attr:`creates_store`), which writes nothing."""
        return cls.located(
            settings.root_dir,
            settings.store_dir,
            settings.db_url,
            default_root,
            discover=discover,
            creates_store=creates_store,
        )

    @classmethod
    def located(
        cls,
        root_dir: str,
        store_dir: str,
        db_url: str,
        default_root: Path,
        *,
        discover: bool = False,
        creates_store: bool = True,
    ) -> Project:
        """:meth:`from_settings` given the values of those settings (``NbtoolsSettings``'
        options of the same names)."""
        from nbtools.errors import InvalidInputError

        found = None
        if discover and not root_dir:
            found = nearest_root(default_root, store_dir)
        root = Path(root_dir or found or default_root).expanduser().resolve()
        if not root.is_dir():
            problem = "is a file" if root.exists() else "does not exist"
            raise InvalidInputError(
                f"The project root {root} {problem}: name the project's directory.",
                field="root_dir",
            )
        guessed = discover and not root_dir and not found
        claimed = claim_store(root, store_dir, guessed=guessed, record=creates_store)
        return cls(root, claimed, db_url, creates_store=creates_store)

    @functools.cached_property
    def store(self) -> Store:
        """The project's database, opened (and migrated) on first use; for a reader, where
        it does not exist yet (:attr:`store_exists`), an empty one in memory: the reader shows
        an empty project and leaves no store behind."""
        from nbtools.store.database import Store, made_store_dir

        apart = self.migrates_apart
        if not self.db_url.startswith("sqlite"):  # e.g. a Dask worker on another machine
            return Store.open(self.db_url, migrate_apart=apart)
        if not self.store_exists:
            return Store.open(IN_MEMORY_URL)
        made_store_dir(self.store_dir)
        return Store.open(self.db_url, lock_dir=self.store_dir, migrate_apart=apart)

    def has_store(self) -> bool:
        """Whether the project's store exists: opened, a database server's, or a SQLite file
        that exists (or an in-memory one). What only reads the store, such as the data check
        of ``nbtools extract``, reads nothing where this is False, and makes no store."""
        if "store" in self.__dict__ or not self.db_url.startswith("sqlite"):
            return True
        database = self.db_url.partition(":///")[2].partition("?")[0]
        return database in ("", ":memory:") or Path(database).exists()

    @property
    def store_exists(self) -> bool:
        """Whether the store is there to read, or is made when first read: False only for a
        reader's project (:attr:`creates_store`) whose store does not exist yet."""
        return self.creates_store or self.has_store()

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

    def read_notebook(self, user_path: str, field: str = "path") -> Notebook:
        """The notebook at root-relative ``user_path`` (:meth:`user_file`), read and checked;
        an error names it by ``user_path``, as the store and the REST API do, never by its
        absolute path, and names the input ``field`` it came from."""
        from nbtools.notebooks import read_notebook

        return read_notebook(self.user_file(user_path), name=user_path, field=field)

    def closest_notebook(self, user_path: str) -> str | None:
        """The root-relative path of the notebook in root-relative ``user_path``'s folder whose
        name is closest to its name (``forcast.ipynb``: ``forecast.ipynb``), for the message
        about a notebook that does not exist; None if none is close (or the folder cannot be
        read)."""
        import difflib

        from nbtools.errors import NbtoolsError

        wanted = PurePosixPath(user_path)
        try:
            folder = self.resolve(wanted.parent.as_posix())
            names = sorted(path.name for path in folder.glob("*.ipynb") if path.is_file())
        except (NbtoolsError, OSError):
            return None
        close = difflib.get_close_matches(wanted.name, names, n=1)
        return (wanted.parent / close[0]).as_posix() if close else None

    def nested_root(self, path: Path) -> Path | None:
        """The root of another project holding ``path`` (absolute) inside this one: the
        nearest directory at or above it, below this root, that holds a store directory of
        this project's name (``.nbtools/``), where a command run there would find its own
        project. None if there is none, or if this project's store is outside its root."""
        if not self.store_dir.is_relative_to(self.root):
            return None
        marker = self.store_dir.relative_to(self.root)
        for directory in (path, *path.parents):
            if directory == self.root or not directory.is_relative_to(self.root):
                return None
            if os.path.isdir(directory / marker):  # a name too long holds none: no OSError
                return directory
        return None

    def contains(self, path: Path) -> bool:
        """Whether ``path`` (resolved: a NUL byte or a loop of symbolic links is
        :class:`~nbtools.errors.InvalidInputError`, :func:`~nbtools.paths.real_path`) is
        inside the root."""
        return real_path(path, str(path)).is_relative_to(self.root)

    def in_store(self, path: Path) -> bool:
        """Whether ``path`` (resolved, as :meth:`contains` does) is the store directory or
        inside it: nbtools' own files, which are neither served nor versioned."""
        return real_path(path, str(path)).is_relative_to(self.store_dir)

    def relative(self, path: Path) -> str:
        """The root-relative ``/`` form of an absolute path inside the root (resolved, as
        :meth:`contains` does)."""
        return real_path(path, str(path)).relative_to(self.root).as_posix()

    def environment(self) -> dict[str, str]:
        """The variables by which code running for this project (a run's kernel, what it
        starts) finds this very project and store: :func:`project_from_environment` reads
        them. The store directory is given as its setting would name it: relative to the
        root when inside it."""
        store_dir = self.store_dir
        if store_dir.is_relative_to(self.root):
            store_dir = store_dir.relative_to(self.root)
        return {
            ROOT_VARIABLE: str(self.root),
            STORE_DIR_VARIABLE: str(store_dir),
            DB_URL_VARIABLE: self.db_url,
        }

    @property
    def store_opened(self) -> bool:
        """Whether this process has opened :attr:`store` (reading it opens, or makes, it)."""
        return "store" in self.__dict__

    def close(self) -> None:
        """Release the database connections, if the store was opened."""
        if self.store_opened:
            self.store.close()


def project_from_environment() -> Project:
    """The project of code running without a CLI or server: a notebook's kernel, an
    extracted package, a service. It is ``$NBTOOLS_ROOT``, else the project holding the
    working directory (:func:`nearest_root`, by ``$NBTOOLS_STORE_DIR``); its store is
    ``$NBTOOLS_DB_URL`` or the project's SQLite file. One project per process and location
    (its store stays open). A variable holding bytes that are not UTF-8 is refused naming it,
    as the CLI refuses it (:func:`~nbtools.text.require_utf8`)."""
    from nbtools.text import require_utf8

    for variable in (ROOT_VARIABLE, DB_URL_VARIABLE, STORE_DIR_VARIABLE):
        require_utf8(
            f"${variable}", os.environ.get(variable, ""), "the environment", variable=variable
        )
    root = os.environ.get(ROOT_VARIABLE, "")
    db_url = os.environ.get(DB_URL_VARIABLE, "")
    store_dir = os.environ.get(STORE_DIR_VARIABLE, "") or DEFAULT_STORE_DIR
    return _located(root, store_dir, db_url, "" if root else os.getcwd())


@functools.cache
def _located(root: str, store_dir: str, db_url: str, cwd: str) -> Project:
    from nbtools.errors import NotFoundError

    if not root:
        start = Path(cwd).resolve()
        found = nearest_root(start, store_dir)
        if found is None:
            raise NotFoundError(
                f"No nbtools project above {start}: set NBTOOLS_ROOT to the project's root.",
                cwd=str(start),
            )
        root = str(found)
    located = Path(root).resolve()
    return Project(located, store_location(located, store_dir), db_url=db_url)


def store_location(root: Path, store_dir: str) -> Path:
    """The store directory a ``store_dir`` setting names for the project at ``root``:
    relative to the root unless absolute."""
    named = Path(store_dir or DEFAULT_STORE_DIR).expanduser()
    return (named if named.is_absolute() else root / named).resolve()


def nearest_root(start: Path, store_dir: str = DEFAULT_STORE_DIR) -> Path | None:
    """The root of the project holding ``start``, found by its store directory (the
    ``store_dir`` setting); None if there is none.

    A store directory named relative to the root (``.nbtools``, ``state``) marks its root: the
    nearest directory at or above ``start`` holding it, as git finds ``.git/``. An absolute one
    (``/var/lib/nbtools``) names its root in :data:`ROOT_RECORD`: that root, if ``start`` is
    at or below it.
    """
    named = Path(store_dir or DEFAULT_STORE_DIR).expanduser()
    if not named.is_absolute():
        return _nearest(start, lambda directory: (directory / named).is_dir())
    recorded = recorded_root(named.resolve())
    return recorded if recorded is not None and start.resolve().is_relative_to(recorded) else None


def recorded_root(store_dir: Path) -> Path | None:
    """The root recorded in ``store_dir`` (:func:`claim_store`), if any."""
    try:
        text = (store_dir / ROOT_RECORD).read_text(encoding="utf-8").strip()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except (OSError, UnicodeDecodeError) as error:
        from nbtools.errors import StoreError

        raise StoreError(
            f"Cannot read {store_dir / ROOT_RECORD}, which names the project's root: {error}.",
            path=str(store_dir / ROOT_RECORD),
        ) from None
    return Path(text)


def claim_store(root: Path, store_dir: str, *, guessed: bool = False, record: bool = True) -> Path:
    """The store directory that the ``store_dir`` setting names for the project at ``root``,
    made sure to serve that root alone.

    A relative setting that stays inside the root (``.nbtools``) marks the root by its
    presence. Any other (absolute, or leading out of the root) leaves nothing inside the root
    to find it by, and two roots sharing it would keep one notebook under two names: such a
    store records its root in :data:`ROOT_RECORD` when first used, and another root is
    refused (:class:`~nbtools.errors.InvalidInputError`, field ``root_dir``). ``guessed``:
    ``root`` is only the working directory (no root set, no project found); a store already in
    use that records no root (made before roots were recorded) is then refused rather than
    given it. ``record=False`` (a reader's project) checks the same and makes no store: it
    only records the root of a store in use.
    """
    from nbtools.errors import InvalidInputError

    location = store_location(root, store_dir)
    named = Path(store_dir or DEFAULT_STORE_DIR).expanduser()
    if not named.is_absolute() and location.is_relative_to(root):
        return location
    recorded = recorded_root(location)
    if recorded == root:
        return location
    record_file = location / ROOT_RECORD
    if recorded is not None:
        raise InvalidInputError(
            f"The store directory {location} belongs to the project at {recorded}, and "
            f"{root} is not inside it: work inside {recorded} or set the root to it, or give "
            f"this project a store directory of its own. If the project moved to {root}, "
            f"delete {record_file}: the next command records the new root.",
            field="root_dir",
            root=str(root),
            project=str(recorded),
            store=str(location),
        )
    in_use = location.is_dir() and any(location.iterdir())
    if guessed and in_use:
        raise InvalidInputError(
            f"The store directory {location} holds a project but not its root (it was made "
            f"by an earlier nbtools): set the root to that project's directory once, and it "
            "is recorded.",
            field="root_dir",
            store=str(location),
        )
    if not record and not in_use:  # a reader makes no store; it records one's root
        return location
    from nbtools.atomic import atomic_write
    from nbtools.store.database import made_store_dir

    made_store_dir(location)
    atomic_write(record_file, f"{root}\n".encode())
    return location


def nearest_repository(start: Path) -> Path | None:
    """The top of the git repository holding ``start``: the nearest directory at or above it
    holding ``.git`` (a directory, or a file in a worktree or submodule); None outside one."""
    return _nearest(start, lambda directory: (directory / ".git").exists())


def _nearest(start: Path, holds: Callable[[Path], bool]) -> Path | None:
    start = start.resolve()
    return next((d for d in (start, *start.parents) if holds(d)), None)
