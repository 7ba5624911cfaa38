"""A throw-away PostgreSQL server on loopback for the test suite (Debian's binaries)."""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def find_bindir() -> Path | None:
    """Directory holding ``initdb`` and ``postgres``, or None when PostgreSQL is missing."""
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(candidate, "postgres").exists() and Path(candidate, "initdb").exists():
            return Path(candidate)
    found = shutil.which("postgres")
    return Path(found).parent if found else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PostgresServer:
    """initdb + postgres in a temporary directory; ``stop()`` removes everything."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.port = free_port()
        self.workdir = Path(tempfile.mkdtemp(prefix="nbtools-pg-"))
        self.user = "postgres" if os.geteuid() == 0 else os.environ.get("USER", "postgres")
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def admin_url(self) -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"

    def _as_user(self) -> dict[str, str]:
        return {"user": self.user} if os.geteuid() == 0 else {}

    def start(self) -> None:
        """Start the server (creating its data directory the first time)."""
        data = self.workdir / "data"
        if not data.exists():
            if os.geteuid() == 0:
                shutil.chown(self.workdir, user="postgres", group="postgres")
            subprocess.run(
                [self.bindir / "initdb", "-D", data, "-N", "-A", "trust", "-E", "UTF8",
                 "--locale=C.UTF-8", "-U", self.user],
                check=True, capture_output=True, **self._as_user(),
            )  # fmt: skip
        log = (self.workdir / "postgres.log").open("ab")
        self.process = subprocess.Popen(
            [self.bindir / "postgres", "-D", data, "-p", str(self.port), "-k", self.workdir,
             "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
             "-c", "synchronous_commit=off", "-c", "full_page_writes=off"],
            stdout=log, stderr=subprocess.STDOUT, **self._as_user(),
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            ready = subprocess.run(
                [self.bindir / "pg_isready", "-h", "127.0.0.1", "-p", str(self.port)],
                capture_output=True, check=False,
            )  # fmt: skip
            if ready.returncode == 0:
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"PostgreSQL did not start: {(self.workdir / 'postgres.log')}")

    def create_database(self, name: str, template: str = "template1") -> str:
        """Create a database, empty or a copy of ``template`` (which nobody may be connected
        to), and return its SQLAlchemy URL."""
        self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop a database, ending the sessions still connected to it."""
        self._execute(f'DROP DATABASE "{name}" WITH (FORCE)')

    def _execute(self, statement: str) -> None:
        import psycopg

        dsn = f"host=127.0.0.1 port={self.port} user={self.user} dbname=postgres"
        with psycopg.connect(dsn, autocommit=True) as connection:
            connection.execute(statement)

    def shutdown(self) -> None:
        """Stop the server, keeping its data (``start()`` brings it back on the same port)."""
        self._signal(signal.SIGINT)  # a fast shutdown: it writes a checkpoint, then exits

    def stop(self) -> None:
        """Stop the server and remove its files. An immediate shutdown: the checkpoint a
        fast one writes first would be thrown away with the data."""
        self._signal(signal.SIGQUIT)
        shutil.rmtree(self.workdir, ignore_errors=True)

    def _signal(self, signum: signal.Signals) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signum)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
