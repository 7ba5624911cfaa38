"""Waking schedulers in other processes when a run is queued, so it starts at once.

A scheduler wakes (:meth:`~nbtools.jobs.scheduler.Scheduler.wake`) when a run is queued in
its own process or one of its runs ends. A run queued by another process (the ``nbtools``
CLI, a script calling :func:`~nbtools.jobs.submit.queue_run`, another server) reaches it
through the store:

- PostgreSQL: ``NOTIFY`` on :data:`CHANNEL`, sent in the transaction that inserts the run
  (delivered at its commit, never for a rolled-back run) to every scheduler that ``LISTEN`` s
  on the database, on any host.
- SQLite: a one-byte datagram to every scheduler's UNIX socket in the directory beside the
  database file (``.nbtools/nbtools.db-wake/``), sent after the commit. A socket file left by a
  scheduler that died is removed by the next sender.

Queueing never fails because of a wake-up: a scheduler that misses one (none listening, a
full socket buffer, a lost database connection) sees the run at its next poll
(``JobsSettings.poll_seconds``), the fallback.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import URL, event, text

from nbtools.durations import doubling_wait
from nbtools.store.database import store_failure

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from nbtools.store.database import Store

log = logging.getLogger(__name__)

#: The PostgreSQL notification channel schedulers listen on.
CHANNEL = "nbtools_runs_queued"
#: Suffix of the directory, beside a SQLite database file, holding its schedulers' sockets.
SOCKET_DIR_SUFFIX = "-wake"
#: Seconds between a PostgreSQL listener's checks of its stop flag and of its connection. A
#: stop also notifies the listener on a channel of its own, which ends its wait at once; the
#: check is for a stop whose notification could not be sent (the database away).
LISTEN_CHECK_SECONDS = 1.0
#: Seconds a PostgreSQL listener that lost its connection waits before its first attempt to
#: connect again (a connection cut while the database runs is back at once); the wait doubles
#: after each failed attempt, up to :data:`RECONNECT_MAX_SECONDS` (a database down for longer).
RECONNECT_FIRST_SECONDS = 0.1
RECONNECT_MAX_SECONDS = 5.0


def announce(session: Session) -> None:
    """Wake every listening scheduler once ``session``'s transaction (queueing runs) commits."""
    url = session.get_bind().engine.url
    if url.get_backend_name() == "postgresql":
        session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})
        return
    directory = socket_dir(url)
    if directory is not None:
        event.listen(session, "after_commit", lambda _: send(directory), once=True)


def socket_dir(url: URL) -> Path | None:
    """The wake-up socket directory of a SQLite database file (None: another database, one
    in memory, or no UNIX sockets here)."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    if not hasattr(socket, "AF_UNIX"):
        return None
    return Path(f"{url.database}{SOCKET_DIR_SUFFIX}").resolve()


def send(directory: Path) -> None:
    """One datagram to every socket in ``directory``; stale ones are removed, errors ignored."""
    try:
        names = [entry.name for entry in os.scandir(directory) if entry.name.endswith(".sock")]
    except OSError:
        return  # no scheduler ever listened here
    try:
        with (
            short_dir(directory) as short,
            socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as out,
        ):
            out.setblocking(False)
            for name in names:
                _send_one(out, directory, short, name)
    except OSError as error:
        log.debug("nbtools: cannot wake the schedulers in %s: %s", directory, error)


def _send_one(out: socket.socket, directory: Path, short: str, name: str) -> None:
    try:
        out.sendto(b"!", f"{short}/{name}")
    except (ConnectionRefusedError, FileNotFoundError):
        with contextlib.suppress(OSError):  # its scheduler died: nobody reads it
            (directory / name).unlink()
    except BlockingIOError:
        pass  # its buffer is full of earlier wake-ups: that scheduler wakes anyway
    except OSError as error:
        log.debug("nbtools: cannot wake the scheduler at %s: %s", name, error)


#: Longest directory path used as such in a socket address (the limit is 107 bytes in all).
MAX_DIRECT_PATH = 80


@contextlib.contextmanager
def short_dir(directory: Path) -> Iterator[str]:
    """``directory`` as a path short enough for a socket address: through an open descriptor
    (``/proc/self/fd/N``, Linux) when the path itself is too long."""
    if len(os.fsencode(directory)) <= MAX_DIRECT_PATH or not Path("/proc/self/fd").is_dir():
        yield str(directory)
        return
    descriptor = os.open(directory, os.O_PATH | os.O_DIRECTORY)
    try:
        yield f"/proc/self/fd/{descriptor}"
    finally:
        os.close(descriptor)


class Listener:
    """A thread calling ``wake`` whenever another process queues a run in ``store``."""

    def __init__(self, store: Store, wake: Callable[[], None]) -> None:
        self.engine, self.url, self.wake = store.engine, store.engine.url, wake
        self._stop = threading.Event()
        #: The PostgreSQL channel :meth:`stop` notifies this listener on (names are folded to
        #: lower case: the token is hex).
        self._stop_channel = f"{CHANNEL}_stop_{secrets.token_hex(8)}"
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self._path: Path | None = None

    def start(self) -> None:
        """Listen from now on (a failure to listen is logged: the poll still finds runs)."""
        directory = socket_dir(self.url)
        if self.url.get_backend_name() == "postgresql":
            target: Callable[[], None] = self._listen_postgres
        elif directory is not None:
            try:
                self._socket = self._bind(directory)
            except OSError as error:
                log.warning(
                    "nbtools: no wake-up socket (%s): runs queued by other processes start "
                    "at the next poll",
                    error,
                )
                return
            target = self._listen_socket
        else:
            return
        self._thread = threading.Thread(target=target, name="nbtools-wakeups", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop listening and remove this listener's socket."""
        self._stop.set()
        if self._thread is not None and self.url.get_backend_name() == "postgresql":
            self._notify_stop()
        if self._socket is not None and self._path is not None:
            send_one = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            with send_one, contextlib.suppress(OSError), short_dir(self._path.parent) as short:
                send_one.sendto(b"", f"{short}/{self._path.name}")  # unblock the reader
        if self._thread is not None:
            self._thread.join(timeout=LISTEN_CHECK_SECONDS * 5)
        if self._path is not None:
            with contextlib.suppress(OSError):
                self._path.unlink()
        if self._socket is not None:
            self._socket.close()

    def _notify_stop(self) -> None:
        """End the PostgreSQL listener's wait now (if this fails, its next check ends it)."""
        try:
            with self.engine.connect() as connection:
                connection.execute(
                    text("SELECT pg_notify(:channel, '')"), {"channel": self._stop_channel}
                )
                connection.commit()
        except Exception as error:  # any failure: the check is the fallback
            log.debug("nbtools: cannot notify the listener to stop: %s", error)

    def _bind(self, directory: Path) -> socket.socket:
        directory.mkdir(parents=True, exist_ok=True)
        name = f"{os.getpid()}-{secrets.token_hex(4)}.sock"
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            with short_dir(directory) as short:
                sock.bind(f"{short}/{name}")
        except OSError:
            sock.close()
            raise
        self._path = directory / name
        return sock

    def _listen_socket(self) -> None:
        assert self._socket is not None
        while not self._stop.is_set():
            try:
                self._socket.recv(64)
            except OSError as error:
                if not self._stop.is_set():
                    log.warning(
                        "nbtools: stopped listening for queued runs (%s): the poll finds them",
                        error,
                    )
                return
            if not self._stop.is_set():
                self.wake()

    def _listen_postgres(self) -> None:
        try:
            import psycopg
        except ImportError:
            log.warning("nbtools: psycopg 3 is missing: queued runs start at the next poll")
            return
        dsn = self.url.set(drivername="postgresql").render_as_string(hide_password=False)
        failures = 0  # in a row
        while not self._stop.is_set():
            try:
                with psycopg.connect(dsn, autocommit=True) as connection:
                    connection.execute(f"LISTEN {CHANNEL}")
                    connection.execute(f"LISTEN {self._stop_channel}")
                    if failures:
                        log.warning("nbtools: listening for queued runs again")
                        failures = 0
                    self.wake()  # runs queued while not listening
                    while not self._stop.is_set():
                        for note in connection.notifies(timeout=LISTEN_CHECK_SECONDS, stop_after=1):
                            if note.channel == self._stop_channel:
                                return
                            self.wake()
            except psycopg.Error as error:
                failures += 1
                pause = doubling_wait(RECONNECT_FIRST_SECONDS, failures, RECONNECT_MAX_SECONDS)
                (log.debug if failures > 1 else log.warning)(
                    "nbtools: not listening for queued runs (%s): the poll finds them; "
                    "reconnecting in %g s (each wait twice the last, up to %g s)",
                    store_failure(error),
                    pause,
                    RECONNECT_MAX_SECONDS,
                )
                self._stop.wait(pause)
