"""A store URL read and checked before any engine is made, without importing SQLAlchemy or
the driver (psycopg: together ≈ 0.3 s of CPU at a command's start-up): reading the settings
checks it, and most commands never open the store (docs/performance.md).

:func:`read_url` is nbtools' one parser of store URLs: their parts as SQLAlchemy's
``make_url`` reads them. :func:`url_problem` is the settings' check
(``NbtoolsSettings.db_url``, ``ServeSettings.record_to``): the URL's form
(:func:`form_problem`, which :func:`nbtools.store.database.create_store_engine` checks first
too), then whether the installed SQLAlchemy or a plugin has its dialect and driver, found by
the import system without running them. Whether the driver's own package (psycopg, ...) is
installed and the store opens is known when the store is opened. :func:`store_identity` tells
which database a URL names, whatever its spelling (it reads the URL with SQLAlchemy, imported
then: only the Dask executor asks).
"""

from __future__ import annotations

import importlib.util
import os
import re
from importlib.machinery import PathFinder

#: How to write a login holding characters that a URL's syntax reserves.
ENCODE_LOGIN = "a password holding @, : or / must be percent-encoded (@ as %40)"
#: A part SQLAlchemy cannot read (its own error would show the text: a password's, if the
#: password holds an ``@`` or ``:``).
BAD_PART = f"a port or an option in it has the wrong form; {ENCODE_LOGIN}"
#: The group of entry points through which packages add SQLAlchemy dialects.
DIALECT_PLUGINS = "sqlalchemy.dialects"
#: The suffix of the names SQLAlchemy gives a driver's asyncio flavour (``psycopg_async``),
#: which are attributes of the dialect's package rather than modules of their own.
ASYNC_FLAVOUR = "_async"
#: The port a dialect's driver connects to when a URL gives none.
DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306, "mariadb": 3306, "mssql": 1433, "oracle": 1521}
#: A store URL as SQLAlchemy's ``make_url`` reads one, up to its port: a driver name of word
#: characters and ``+``; a login whose user ends at ``:`` or ``/`` and whose password ends at
#: its first ``@`` (so a bare ``@`` in a password leaves the rest in the host); a host in
#: brackets (IPv6) or up to ``/``, ``:`` or ``?``; a port up to ``/`` or ``?``.
_URL = re.compile(
    r"(?P<drivername>[\w+]+)://"
    r"(?:[^:/]*(?::[^@]*)?@)?"
    r"(?:(?:\[(?P<ipv6host>[^/?]+)\]|(?P<ipv4host>[^/:?]+))?(?::(?P<port>[^/?]*))?)?"
)


class UrlParts:
    """The parts of a store URL that say how SQLAlchemy reads it, as written (a plain class:
    creating a ``NamedTuple`` class costs a command's start-up more than reading the URL)."""

    __slots__ = ("drivername", "host", "port")

    def __init__(self, drivername: str, host: str, port: str | None) -> None:
        #: ``dialect`` or ``dialect+driver`` (``postgresql+psycopg``).
        self.drivername = drivername
        #: The host, ``""`` for none (a SQLite file's URL).
        self.host = host
        #: The port (``""`` after a bare ``:``), ``None`` for none.
        self.port = port


def read_url(url: str) -> UrlParts | None:
    """``url``'s parts as SQLAlchemy reads a store URL (``dialect+driver://user:password@host:
    port/database?options``), ``None`` for text it cannot read as one (no ``name://``)."""
    match = _URL.match(url)
    if match is None:
        return None
    return UrlParts(
        match["drivername"], match["ipv4host"] or match["ipv6host"] or "", match["port"]
    )


def url_problem(url: str) -> str | None:
    """Why nbtools cannot use the store URL ``url`` (SQLAlchemy's words where it has them),
    ``None`` where it may: its form, then its dialect and driver."""
    parts = read_url(url)
    problem = _form_problem(parts)
    if parts is None or problem is not None:
        return problem
    name = parts.drivername.replace("+", ".")  # SQLAlchemy's name of its dialect plugin
    if _built_in(name) or _plugged_in(name):
        return None
    return f"Can't load plugin: {DIALECT_PLUGINS}:{name}{misnamed_dialect(url)}"


def misnamed_dialect(url: str) -> str:
    """What to write for a dialect SQLAlchemy knows under another name, to end the reason
    it refuses ``url`` with: ``postgres://`` (libpq's and many providers' spelling, which
    SQLAlchemy dropped) is ``postgresql+psycopg://``, the driver nbtools installs. ``""`` for
    any other URL."""
    parts = read_url(url)
    dialect, plus, driver = parts.drivername.partition("+") if parts else ("", "", "")
    if dialect != "postgres":
        return ""
    meant = f"postgresql+{driver if plus else 'psycopg'}://"
    return (
        f"; SQLAlchemy calls PostgreSQL 'postgresql': write the URL as {meant}…, the rest unchanged"
    )


def form_problem(url: str) -> str | None:
    """Why SQLAlchemy would not read ``url`` as its writer meant, ``None`` if it would: no
    ``name://``, a port that is not a number, or a login holding a bare ``@`` (SQLAlchemy ends
    the password at its first ``@``: the rest would be the host, shown by every error of the
    driver, "failed to resolve host 'tPass@db'")."""
    return _form_problem(read_url(url))


def _form_problem(parts: UrlParts | None) -> str | None:
    if parts is None:
        return "Could not parse SQLAlchemy URL from given URL string"
    if parts.port is not None:
        try:
            int(parts.port)  # as SQLAlchemy reads it
        except ValueError:
            return BAD_PART
    if "@" in parts.host:
        return f"its login holds an @ that is not percent-encoded; {ENCODE_LOGIN}"
    return None


def _built_in(name: str) -> bool:
    """Whether SQLAlchemy's own dialects include ``name`` (``dialect`` or ``dialect.driver``):
    a package ``sqlalchemy.dialects.<dialect>`` holding the driver's module (``base`` for
    none; MariaDB's drivers are MySQL's)."""
    dialect, dot, driver = name.partition(".")
    if not dialect or (dot and not driver) or "." in driver:
        return False
    package = "mysql" if dialect == "mariadb" else dialect
    module = driver or "base"
    if dialect != "mariadb":
        module = module.removesuffix(ASYNC_FLAVOUR) or module
    return _findable(("sqlalchemy", "dialects", package, module))


def _findable(names: tuple[str, ...]) -> bool:
    """Whether the module ``".".join(names)`` can be imported, found without importing it or
    its packages (finding ``sqlalchemy.dialects`` by importing it would import SQLAlchemy)."""
    spec = importlib.util.find_spec(names[0])  # a top-level name is found, not imported
    for depth in range(2, len(names) + 1):
        if spec is None or not spec.submodule_search_locations:
            return False
        spec = PathFinder.find_spec(".".join(names[:depth]), spec.submodule_search_locations)
    return spec is not None


def _plugged_in(name: str) -> bool:
    """Whether an installed package adds the dialect ``name`` to SQLAlchemy (an entry point
    of :data:`DIALECT_PLUGINS`: ``snowflake``, ``databricks``, ...)."""
    from importlib.metadata import entry_points  # ≈ 10 ms: only for a dialect not built in

    return any(point.name == name for point in entry_points(group=DIALECT_PLUGINS))


def store_identity(url: str) -> str:
    """Which database the store URL ``url`` names, the same text for every spelling of it: the
    dialect without its driver (``postgresql+psycopg`` and ``postgresql`` alike), the user,
    the host in lower case, the port (the dialect's default when the URL gives none), the
    database (a SQLite file's absolute path, its symbolic links resolved) and the query's
    options in the order of their names. The password is left out (moving it to
    ``~/.pgpass`` or changing it names the same database); the user and the options are
    kept, as they may choose the schema, and so the store (PostgreSQL's ``search_path``
    defaults to the user's schema)."""
    from sqlalchemy import make_url

    parsed = make_url(url)
    backend = parsed.get_backend_name()
    database = parsed.database or ""
    if backend == "sqlite" and database and database != ":memory:":
        database = os.path.realpath(database)
    port = parsed.port or DEFAULT_PORTS.get(backend)
    query = "&".join(
        f"{name}={value}"
        for name, values in sorted(parsed.query.items())
        for value in ((values,) if isinstance(values, str) else values)
    )
    host = (parsed.host or "").lower()
    return f"{backend}://{parsed.username or ''}@{host}:{port or ''}/{database}?{query}"
