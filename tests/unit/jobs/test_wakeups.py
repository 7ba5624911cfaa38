"""Wake-ups of schedulers in other processes: sent at commit, never failing the queueing."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import make_url

from nbtools.jobs import wakeups
from nbtools.jobs.submit import queue_run
from nbtools.project import Project
from tests.conftest import NotebookFactory

#: Seconds a test waits for a wake-up that should come at once before it fails.
PATIENCE = 30.0


@pytest.fixture
def quick(notebook_factory: NotebookFactory) -> str:
    notebook_factory("quick.ipynb", [("code", "n = 1", ["parameters"])])
    return "quick.ipynb"


def wake_dir(project: Project) -> Path:
    directory = wakeups.socket_dir(project.store.engine.url)
    assert directory == project.store_dir / "nbtools.db-wake"
    return directory


@pytest.fixture
def reader(project: Project) -> Iterator[socket.socket]:
    """A scheduler's socket that the test reads itself (non-blocking)."""
    directory = wake_dir(project)
    directory.mkdir()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    with wakeups.short_dir(directory) as short:  # pytest's folders can be too long for it
        sock.bind(f"{short}/reader.sock")
    sock.setblocking(False)
    yield sock
    sock.close()


def fill(path: Path) -> int:
    """Send to ``path`` until its queue of datagrams is full; how many were sent."""
    sent = 0
    with (
        socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as filler,
        wakeups.short_dir(path.parent) as short,
    ):
        filler.setblocking(False)
        try:
            while True:
                filler.sendto(b"!", f"{short}/{path.name}")
                sent += 1
        except BlockingIOError:
            return sent


def announce_then_fail(project: Project) -> None:
    """A transaction that announces queued runs, then rolls back."""
    with project.store.session(write=True) as session:
        wakeups.announce(session)
        raise RuntimeError("the insert failed")


def test_queueing_without_any_scheduler_listening_creates_nothing(
    project: Project, quick: str
) -> None:
    assert queue_run(project, quick, {}).status == "queued"
    assert not wake_dir(project).exists()


def test_a_stale_socket_is_removed_and_the_live_one_still_woken(
    project: Project, quick: str, reader: socket.socket
) -> None:
    stale = wake_dir(project) / "123-dead.sock"
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    with wakeups.short_dir(stale.parent) as short:
        dead.bind(f"{short}/{stale.name}")
    dead.close()  # its scheduler was killed: the file stays, nobody reads it
    (wake_dir(project) / "not-a-socket.sock").write_text("")

    assert queue_run(project, quick, {}).status == "queued"

    assert reader.recv(8) == b"!"
    assert sorted(p.name for p in wake_dir(project).iterdir()) == ["reader.sock"]


def test_a_scheduler_that_reads_nothing_does_not_block_queueing(
    project: Project, quick: str, reader: socket.socket
) -> None:
    assert fill(wake_dir(project) / "reader.sock") > 0

    assert [queue_run(project, quick, {}).status for _ in range(3)] == ["queued"] * 3
    assert (wake_dir(project) / "reader.sock").exists()  # full, not stale


def test_the_wake_up_is_sent_at_commit_and_never_for_a_rolled_back_transaction(
    project: Project, reader: socket.socket
) -> None:
    with pytest.raises(RuntimeError):
        announce_then_fail(project)
    with pytest.raises(BlockingIOError):
        reader.recv(8)
    with project.store.session(write=True) as session:
        wakeups.announce(session)
        with pytest.raises(BlockingIOError):
            reader.recv(8)  # not before the commit
    assert reader.recv(8) == b"!"


def test_listeners_wake_on_a_long_store_path_and_remove_their_socket(
    tmp_path: Path, notebook_factory: NotebookFactory
) -> None:
    notebook_factory("quick.ipynb", [("code", "n = 1", ["parameters"])])
    store_dir = tmp_path / ("deep-" * 20) / ".nbtools"  # longer than a socket address allows
    project = Project(tmp_path, store_dir)
    woken = [threading.Event(), threading.Event()]
    listeners = [wakeups.Listener(project.store, event.set) for event in woken]
    for listener in listeners:
        listener.start()
    try:
        assert len(list((store_dir / "nbtools.db-wake").iterdir())) == 2
        queue_run(project, "quick.ipynb", {})
        assert all(event.wait(PATIENCE) for event in woken)  # both schedulers
    finally:
        for listener in listeners:
            listener.stop()
        project.close()
    assert list((store_dir / "nbtools.db-wake").iterdir()) == []


def test_a_listener_whose_socket_fails_says_so_and_stops(
    project: Project, quick: str, caplog: pytest.LogCaptureFixture
) -> None:
    listener = wakeups.Listener(project.store, lambda: None)
    listener.start()
    try:
        assert listener._socket is not None
        assert listener._thread is not None
        # its next read fails (a timeout): the one in progress, if any, ends at this wake-up
        listener._socket.settimeout(0.01)
        queue_run(project, quick, {})
        listener._thread.join(PATIENCE)
        assert not listener._thread.is_alive()
    finally:
        listener.stop()
    assert "stopped listening for queued runs" in caplog.text
    assert "the poll finds them" in caplog.text


def test_a_stopped_listener_logs_nothing(
    project: Project, caplog: pytest.LogCaptureFixture
) -> None:
    listener = wakeups.Listener(project.store, lambda: None)
    listener.start()
    listener.stop()
    assert listener._thread is not None
    assert not listener._thread.is_alive()
    assert "stopped listening" not in caplog.text


def test_postgresql_notifies_at_commit_only(
    tmp_path: Path, postgres_url: str, notebook_factory: NotebookFactory
) -> None:
    notebook_factory("quick.ipynb", [("code", "n = 1", ["parameters"])])
    project = Project(tmp_path, db_url=postgres_url)
    dsn = postgres_url.replace("postgresql+psycopg", "postgresql")
    try:
        with psycopg.connect(dsn, autocommit=True) as listening:
            listening.execute(f"LISTEN {wakeups.CHANNEL}")
            with pytest.raises(RuntimeError):
                announce_then_fail(project)
            queue_run(project, "quick.ipynb", {})
            with psycopg.connect(dsn, autocommit=True) as other:
                other.execute(f"NOTIFY {wakeups.CHANNEL}, 'marker'")
            payloads = [note.payload for note in listening.notifies(timeout=PATIENCE, stop_after=2)]
            assert payloads == ["", "marker"]  # the queued run's, then the marker: no other
    finally:
        project.close()


def test_a_postgresql_listener_wakes_its_scheduler_and_survives_a_lost_connection(
    tmp_path: Path,
    postgres_url: str,
    notebook_factory: NotebookFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Its connection cut while the database runs, it connects again 0.1 s later, where it
    waited 5 s (the wait doubles while the database stays away)."""
    notebook_factory("quick.ipynb", [("code", "n = 1", ["parameters"])])
    project = Project(tmp_path, db_url=postgres_url)
    woken = threading.Event()
    listener = wakeups.Listener(project.store, woken.set)
    listener.start()
    try:
        assert woken.wait(PATIENCE)  # on connecting: runs queued while it was not listening
        woken.clear()
        queue_run(project, "quick.ipynb", {})
        assert woken.wait(PATIENCE)

        woken.clear()  # its connection is lost: it reconnects, and wakes for what it missed
        with psycopg.connect(postgres_url.replace("+psycopg", ""), autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE "
                "'LISTEN%' AND datname = current_database() AND pid <> pg_backend_pid()"
            )
        assert woken.wait(PATIENCE)
        woken.clear()
        queue_run(project, "quick.ipynb", {})
        assert woken.wait(PATIENCE)
    finally:
        listener.stop()
        project.close()
    assert (
        "the poll finds them; reconnecting in 0.1 s (each wait twice the last, up to 5 s)"
    ) in caplog.text
    assert "nbtools: listening for queued runs again" in caplog.text


def test_a_postgresql_listener_stops_at_once_not_at_its_next_check(
    tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its stop notifies it on a channel of its own: the wait ends then, not at the next
    check of the stop flag (made an hour away here)."""
    monkeypatch.setattr(wakeups, "LISTEN_CHECK_SECONDS", 3600.0)
    project = Project(tmp_path, db_url=postgres_url)
    woken, stopped = threading.Event(), threading.Event()
    listener = wakeups.Listener(project.store, woken.set)
    listener.start()
    try:
        assert woken.wait(PATIENCE)  # connected and listening
        threading.Thread(target=lambda: (listener.stop(), stopped.set()), daemon=True).start()
        assert stopped.wait(PATIENCE)
        assert listener._thread is not None
        assert not listener._thread.is_alive()
    finally:
        project.close()


@pytest.mark.parametrize(
    "url", ["sqlite://", "sqlite:///:memory:", "postgresql+psycopg://db/nbtools", "mysql://db/nb"]
)
def test_only_a_sqlite_file_has_a_socket_directory(url: str) -> None:
    assert wakeups.socket_dir(make_url(url)) is None
