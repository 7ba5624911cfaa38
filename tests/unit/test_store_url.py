"""A store URL read as SQLAlchemy reads it and checked as the settings are read, without
SQLAlchemy (nbtools.store.url): the reasons are the store's own when it opens, and a URL
SQLAlchemy can use is never refused."""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
from pathlib import Path

import pytest
from sqlalchemy import dialects
from sqlalchemy.dialects import registry
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from nbtools.errors import StoreError
from nbtools.store.database import Store, create_store_engine
from nbtools.store.url import read_url, store_identity, url_problem
from tests.conftest import run_python

#: URLs nbtools can use.
ACCEPTED = [
    "sqlite://",
    "sqlite:////srv/a@b/nbtools.db",
    "postgresql+psycopg://nbtools:s3cr%40t@db.example.org:5432/nbtools",
    "postgresql://u@db@x/y",  # SQLAlchemy's user is 'u@db'
    "postgresql+psycopg://u:p@[::1]:5432/d?application_name=a@b",
    "mariadb+pymysql://db/x",
    "postgresql+psycopg2://db/x",  # the driver's package is looked for when the store opens
]

#: URLs nbtools cannot use, for each reason a check as the settings are read can give.
REFUSED = [
    "notaurl",
    "sqlite:/relative.db",
    "nosuchdialect://db/x",
    "postgres://db/x",  # SQLAlchemy's name is postgresql
    "SQLite:///x.db",  # dialect names are lower case
    "postgresql+nodriver://me:s3cret@db/x",
    "postgresql+://db/x",
    "postgresql+psycopg://me:s3cret@db:5432x/x",
    "postgresql+psycopg://me:s3cret@db:/x",
    "postgresql+psycopg://me:p@ss:w@db/x",
    "postgresql+psycopg://nbtools:s3cr@tPass@127.0.0.1:1/nbtools",
]

#: Database URLs, well and badly formed: those above, and each part's edges (a bare ``@`` or
#: ``:`` in a login, a ``/`` in a password, an empty or unreadable port, IPv6, an ``@`` in a path
#: or an option).
DATABASE_URLS = [
    *ACCEPTED,
    *REFUSED,
    "postgresql+psycopg://nbtools:s3cr@tPass@db/nbtools",
    "postgresql://u:a/b@db/x",
    "postgresql://:pw@db/x",
    "postgresql://u:p@@h/x",
    "postgresql://u:p@[::1]:5432/d",
    "postgresql://[::1/x",
    "postgresql://db:/x",
    "postgresql://db:",
    "postgresql://db: 5432/x",
    "postgresql://db:-1/x",
    "postgresql://h:1:2/x",
    "postgresql://db?host=/run/postgresql",
    "mysql+pymysql://u:p@h/d?charset=utf8mb4&to=a@b",
    "ibm_db_sa+pyodbc://h/d",
    "+://h",
    "sqlite:/x",
    "post-gres://h/d",
    "://h",
]


@pytest.mark.parametrize("url", DATABASE_URLS)
def test_a_url_is_read_as_sqlalchemy_reads_it(url: str) -> None:
    """Its driver name, host and port, or that it is no URL at all, as ``make_url`` finds them
    (a port ``int()`` cannot read: a ``ValueError`` there), so that it is checked without
    importing SQLAlchemy."""
    parts = read_url(url)
    try:
        expected = make_url(url)
    except ArgumentError:
        assert parts is None
        return
    except ValueError:
        assert parts is not None
        assert parts.port is not None
        with pytest.raises(ValueError):
            int(parts.port)
        return
    assert parts is not None
    port = None if parts.port is None else int(parts.port)
    assert (parts.drivername, parts.host or None, port) == (
        expected.drivername,
        expected.host,
        expected.port,
    )


@pytest.mark.parametrize("url", REFUSED)
def test_a_refusal_gives_the_reason_the_store_gives_when_it_opens(url: str) -> None:
    """Where SQLAlchemy has words for it ("Could not parse SQLAlchemy URL…", "Can't load
    plugin: sqlalchemy.dialects:postgresql.nodriver"), they are the reason."""
    with pytest.raises(StoreError) as info:
        create_store_engine(url)
    assert url_problem(url) == info.value.details["reason"]
    assert "s3cret" not in info.value.message


@pytest.mark.parametrize(
    ("url", "meant"),
    [
        ("postgres://me:s3cret@db/x", "postgresql+psycopg://"),
        ("postgres+psycopg2://db/x", "postgresql+psycopg2://"),
    ],
)
def test_postgres_is_refused_saying_what_to_write(url: str, meant: str) -> None:
    """``NBTOOLS_DB_URL=postgres://…`` (libpq's spelling) was refused with SQLAlchemy's
    ``Can't load plugin: sqlalchemy.dialects:postgres`` alone."""
    problem = url_problem(url)
    assert problem is not None
    assert problem.endswith(
        f"; SQLAlchemy calls PostgreSQL 'postgresql': write the URL as {meant}…, the rest unchanged"
    )
    with pytest.raises(StoreError) as info:
        create_store_engine(url)
    assert info.value.details["reason"] == problem  # the settings' check and the store's
    assert "s3cret" not in info.value.message


def test_a_driver_name_of_two_plus_signs_is_no_plugin() -> None:
    """Where the store's opening called it a part of the wrong form (SQLAlchemy splits the
    name in two and fails with a ValueError)."""
    assert url_problem("postgresql+psycopg+x://db/x") == (
        "Can't load plugin: sqlalchemy.dialects:postgresql.psycopg.x"
    )


@pytest.mark.parametrize("url", ACCEPTED)
def test_a_url_sqlalchemy_reads_as_written_is_accepted(url: str) -> None:
    assert url_problem(url) is None


def _driver_names() -> set[str]:
    """Every name SQLAlchemy's own dialects answer to, and names near them: each dialect
    alone, with each module and attribute of its package as the driver (``psycopg_async``
    is an attribute, ``json`` a module that is no driver), MariaDB with MySQL's."""
    names = set()
    for dialect in dialects.__all__:
        package = importlib.import_module(f"sqlalchemy.dialects.{dialect}")
        drivers = {module.name for module in pkgutil.iter_modules(package.__path__)}
        drivers |= {name for name in dir(package) if not name.startswith("__")}
        drivers |= {"nodriver", "base_async"}
        for name in ("mariadb", dialect) if dialect == "mysql" else (dialect,):
            names |= {name, *(f"{name}+{driver}" for driver in drivers)}
    return names


def test_no_dialect_and_driver_sqlalchemy_has_is_refused() -> None:
    """Found by the import system without running SQLAlchemy, checked here against its
    registry: whatever it loads is accepted, and what the check refuses it cannot load."""
    loaded = refused = 0
    for drivername in sorted(_driver_names()):
        problem = url_problem(f"{drivername}://db/x")
        try:
            registry.load(drivername.replace("+", "."))
        except NoSuchModuleError as error:
            said = str(error)
        except (AttributeError, ImportError):  # a module that is no driver (json, dml, ...)
            continue
        else:
            assert problem is None, drivername
            loaded += 1
            continue
        if problem is not None:
            assert problem == said
            refused += 1
    assert loaded > 20  # psycopg, psycopg_async, pysqlite, pymysql, oracledb, ...
    assert refused > 5  # nodriver in each


def test_a_dialect_an_installed_package_adds_is_accepted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As SQLAlchemy finds third-party dialects: entry points of ``sqlalchemy.dialects``."""
    info = tmp_path / "fakedb_dialect-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: fakedb-dialect\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[sqlalchemy.dialects]\n"
        "fakedb = fakedb_dialect:FakeDialect\n"
        "fakedb.native = fakedb_dialect:FakeDialect\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    assert url_problem("fakedb://db/x") is None
    assert url_problem("fakedb+native://db/x") is None
    assert url_problem("fakedb+other://db/x") == (
        "Can't load plugin: sqlalchemy.dialects:fakedb.other"
    )


def test_a_driver_whose_package_is_missing_is_refused_when_the_store_opens() -> None:
    """Which package a driver imports is known only to SQLAlchemy's dialect: the store's
    opening refuses it, naming the package, as bad input (exit 2)."""
    candidates = {"postgresql+psycopg2": "psycopg2", "mysql+pymysql": "pymysql"}
    missing = [name for name, module in candidates.items() if not importlib.util.find_spec(module)]
    if not missing:
        pytest.skip("every candidate driver's package is installed here")
    url = f"{missing[0]}://me:s3cret@db/x"
    assert url_problem(url) is None
    with pytest.raises(StoreError, match="No module named") as info:
        Store.open(url)
    assert info.value.exit_code == 2
    assert "s3cret" not in info.value.message


def test_the_check_imports_no_sqlalchemy() -> None:
    """Neither for a URL it accepts nor for one it refuses (form, dialect, driver)."""
    urls = ["postgresql+psycopg://nbtools@db.example.org/nbtools", "sqlite://", *REFUSED]
    code = (
        "import sys\n"
        "from nbtools.store.url import read_url, url_problem\n"
        f"for url in {urls!r}:\n"
        "    url_problem(url)\n"
        "print([m for m in ('sqlalchemy', 'psycopg') if m in sys.modules])"
    )
    assert run_python(code).stdout.strip() == "[]"


#: Spellings of one PostgreSQL database: the driver named or not, the host's case, the default
#: port given or not, the options in another order, a password or none (``~/.pgpass``).
ONE_DATABASE = [
    "postgresql://nbtools@DB.Example.org/nbtools?sslmode=require&application_name=a",
    "postgresql+psycopg://nbtools:s3cret@db.example.org:5432/nbtools"
    "?application_name=a&sslmode=require",
]

#: Each names another database (or schema) than :data:`ONE_DATABASE`'s.
OTHER_DATABASES = [
    "postgresql://nbtools@db.example.org:5433/nbtools?sslmode=require&application_name=a",
    "postgresql://nbtools@db.example.org/other?sslmode=require&application_name=a",
    "postgresql://nbtools@db2.example.org/nbtools?sslmode=require&application_name=a",
    "postgresql://alice@db.example.org/nbtools?sslmode=require&application_name=a",
    "postgresql://nbtools@db.example.org/nbtools?sslmode=require&application_name=a"
    "&options=-csearch_path%3Dalice",
]


def test_every_spelling_of_a_database_has_one_identity() -> None:
    identity = store_identity(ONE_DATABASE[0])
    assert {store_identity(url) for url in ONE_DATABASE} == {identity}
    assert "s3cret" not in identity
    others = {store_identity(url) for url in OTHER_DATABASES}
    assert identity not in others
    assert len(others) == len(OTHER_DATABASES)


def test_a_sqlite_file_has_one_identity_however_its_path_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    monkeypatch.chdir(tmp_path)
    spellings = [
        f"sqlite:///{tmp_path}/real/nbtools.db",
        "sqlite:///real/nbtools.db",
        "sqlite+pysqlite:///link/../real/nbtools.db",
        f"sqlite:///{tmp_path}/link/nbtools.db",
    ]
    assert len({store_identity(url) for url in spellings}) == 1
    assert store_identity("sqlite:///real/other.db") != store_identity(spellings[0])
