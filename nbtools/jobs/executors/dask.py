"""The Dask executor: each run executes on a worker of a Dask distributed cluster.

The scheduler claims a run and submits one task per claim; the task (:mod:`.dask_task`)
starts the run in the store, executes it with papermill on a kernel on the worker's machine,
beats its heart and checks for a cancel there, and records the result. Nothing needs the
scheduler while a run executes, so each task is published as a Dask dataset: it stays on the
cluster if its scheduler stops, and a restarted scheduler resumes tracking it.

A worker lost mid-run makes Dask run the task again elsewhere; that second execution ends the
lost attempt as ``WorkerLost`` and the job's retry policy queues the next attempt (or the run
stays failed, with the cause, when retries are exhausted).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Collection
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from nbtools.errors import InvalidInputError
from nbtools.jobs.errors import ExecutorUnavailableError
from nbtools.jobs.executors.base import UNTRACKED, DoneCallback, Executor, RunRequest
from nbtools.jobs.executors.dask_connect import CONNECT_TIMEOUT_SECONDS, connect
from nbtools.store.url import store_identity

if TYPE_CHECKING:
    from distributed import Client, Future

log = logging.getLogger(__name__)

T = TypeVar("T")


def check_address(address: str) -> None:
    """Refuse ``address`` unless it is a Dask scheduler's address, ``[SCHEME://]HOST:PORT``
    (``tcp://10.0.0.5:8786``), read as Dask reads it: Dask would raise a bare error deep in
    its client for one without a port or with an unknown scheme, and its client then waits
    20 s to close. Whether a scheduler answers there is known when connecting."""
    try:
        from distributed.comm.addressing import get_address_host_port
    except ImportError:  # the executor says what to install
        return
    try:
        port = get_address_host_port(address)[1]
        if not 0 < port < 65536:
            raise ValueError(f"port {port} is not from 1 to 65535")
    except ValueError as error:
        raise InvalidInputError(
            f"{address!r} is not a Dask scheduler address, [tcp://]HOST:PORT: {error}.",
            field="dask_address",
            reason=str(error),
        ) from None


def task_prefix(db_url: str) -> str:
    """Key prefix of the tasks of the store at ``db_url``, so stores can share a cluster: the
    same for every spelling of its URL (:func:`~nbtools.store.url.store_identity`), so that
    a scheduler restarted with the URL written another way resumes the tasks left."""
    digest = hashlib.sha256(store_identity(db_url).encode()).hexdigest()[:10]
    return f"nbtools-run-{digest}-"


def _run_id(key: str) -> int:
    """The run id in a task key ``nbtools-run-<store>-<run id>-<claim token>``."""
    return int(key.split("-")[3])


def _token(key: str) -> str:
    """The claim token a task key names (``<owner>/<n>``)."""
    return key.split("-", 4)[4]


class DaskExecutor(Executor):
    """Submits runs to the Dask scheduler at ``dask_address``, connecting within
    ``dask_connect_timeout`` seconds.

    ``size`` bounds the runs in flight; by default it follows the cluster: the total number
    of worker threads, read at every tick (so it grows and shrinks with the cluster).
    """

    options: ClassVar[tuple[str, ...]] = ("dask_address", "dask_connect_timeout")

    def __init__(
        self,
        size: int | None = None,
        on_done: DoneCallback | None = None,
        *,
        cwd: Path | None = None,
        dask_address: str = "",
        dask_connect_timeout: float = CONNECT_TIMEOUT_SECONDS,
    ) -> None:
        if not dask_address:
            raise InvalidInputError(
                "The dask executor needs the Dask scheduler's address, tcp://HOST:PORT "
                "(JobsSettings.dask_address).",
                field="dask_address",
            )
        check_address(dask_address)
        try:
            import distributed  # noqa: F401
        except ImportError:
            raise InvalidInputError(
                "The dask executor needs Dask distributed: pip install 'jupyter-nbtools[dask]'."
            ) from None
        super().__init__(size, on_done, cwd=cwd)
        self.fixed_size, self.address = size, dask_address
        self.connect_timeout = dask_connect_timeout
        self._client: Client | None = None
        self._futures: dict[int, Future[Any]] = {}
        self._lock = threading.Lock()
        #: Held while connecting (never ``_lock``: done callbacks take it meanwhile).
        self._connecting = threading.Lock()
        #: The scheduler was lost and not yet connected to again (each said once).
        self._lost = False

    @property
    def client(self) -> Client:
        """The connected client: connected first if it is not (:meth:`start`)."""
        self.start()
        with self._lock:
            client = self._client
        if client is None:  # stopped while connecting
            raise ExecutorUnavailableError(
                f"Stopped while connecting to the Dask scheduler at {self.address}.",
                field="dask_address",
                dask_address=self.address,
            )
        return client

    def start(self, stop: threading.Event | None = None) -> None:
        """Connect to the Dask scheduler, unless connected; a stop (``stop``, else the one of
        :meth:`stop_with`) ends a connection attempt at once. A client that lost its scheduler
        is replaced once Dask gave up reconnecting it (the scheduler restarted, or was down
        longer than the connect timeout); until it is back, this raises
        :class:`ExecutorUnavailableError`, which a scheduler's tick reports in one line."""
        stop = stop if stop is not None else self.stop_event
        with self._connecting:
            with self._lock:
                client = self._client
            if client is not None and self._connected(client):
                return
            if stop is not None and stop.is_set():
                return
            client = connect(self.address, stop, self.connect_timeout)
            if client is None:
                return
            with self._lock:
                self._client = client
            self._found()

    def _found(self) -> None:
        """Say that the scheduler lost is connected to again."""
        if self._lost:
            self._lost = False
            log.warning("nbtools: connected to the Dask scheduler at %s again", self.address)

    def _connected(self, client: Client) -> bool:
        """Whether ``client`` serves: connected (said once after it was lost), or False when
        Dask gave up reconnecting it (it is dropped: a new one connects). Raises
        :class:`ExecutorUnavailableError` while Dask reconnects it."""
        if client.status == "running":
            self._found()
            return True
        if not self._lost:
            self._lost = True
            log.warning(
                "nbtools: lost the Dask scheduler at %s; runs in flight go on on the cluster, "
                "new ones wait until it is back",
                self.address,
            )
        if client.status == "connecting":  # Dask's own reconnection, for its timeout
            raise ExecutorUnavailableError(
                f"The connection to the Dask scheduler at {self.address} was lost; Dask is "
                "reconnecting.",
                field="dask_address",
                dask_address=self.address,
            )
        with self._lock:  # closed: its futures were cancelled (reported untracked)
            self._client = None
            self._futures.clear()
        return False

    def _asked(self, question: Callable[[], T]) -> T:
        """``question()`` to the cluster; a connection lost meanwhile is
        :class:`ExecutorUnavailableError` (the next tick reconnects)."""
        from distributed.client import ClosedClientError

        try:
            return question()
        except (OSError, TimeoutError, ClosedClientError) as exc:
            raise ExecutorUnavailableError(
                f"Lost the Dask scheduler at {self.address} ({type(exc).__name__}: {exc}).",
                field="dask_address",
                dask_address=self.address,
            ) from exc

    def resume(
        self, db_url: str, others: Callable[[], Collection[str]] = frozenset
    ) -> dict[int, str]:
        """Track the store's tasks left on the cluster by scheduler processes that are gone:
        a task's key names its claim's token, whose owner may be one of ``others()`` (the
        other schedulers alive): those are theirs."""
        prefix, client = task_prefix(db_url), self.client
        with self._lock:
            tracked = set(self._futures)
        keys = [str(key) for key in self._asked(client.list_datasets)]
        left = [key for key in keys if key.startswith(prefix) and _run_id(key) not in tracked]
        if not left:
            return {}
        alive = set(others())
        resumed = {}
        for key in left:
            if _token(key).rpartition("/")[0] in alive:
                continue
            future = self._asked(partial(client.get_dataset, key, default=None))
            if future is not None:  # else done and unpublished meanwhile
                self._track(_run_id(key), future)
                resumed[_run_id(key)] = _token(key)
        return resumed

    def submit(self, request: RunRequest) -> None:
        from nbtools.jobs.executors.dask_task import run_on_worker

        key = f"{task_prefix(request.db_url)}{request.run_id}-{request.token}"
        client = self.client
        future = self._asked(partial(client.submit, run_on_worker, request, key=key, pure=False))
        # Published, the task is kept by the Dask scheduler if this scheduler stops, and a
        # restarted one finds it (list_datasets) instead of orphaning the run.
        self._asked(partial(client.publish_dataset, future, name=key))
        self._track(request.run_id, future)

    def _track(self, run_id: int, future: Future[Any]) -> None:
        with self._lock:
            self._futures[run_id] = future
        future.add_done_callback(self._done)

    def _done(self, future: Future[Any]) -> None:
        run_id = _run_id(str(future.key))
        with self._lock:
            if self._futures.get(run_id) is not future:
                return
            client = self._client
        if client is not None:
            try:
                client.unpublish_dataset(future.key)
            except Exception:  # already unpublished by another scheduler, or disconnected
                log.debug("nbtools: cannot unpublish %s", future.key, exc_info=True)
        with self._lock:  # tracked until unpublished: :meth:`resume` never takes it again
            if self._futures.get(run_id) is future:
                del self._futures[run_id]
        status: str | None
        error = future.exception() if future.status == "error" else None
        if future.status == "finished":
            status = future.result() or UNTRACKED
        elif type(error).__name__ == "KilledWorker":
            status, error = None, None  # every worker that tried it died: the run is lost
        elif error is not None:  # the run fails with it, unless it recorded its end
            status = UNTRACKED
            log.warning(
                "nbtools: Dask task of run %s failed: %s: %s", run_id, type(error).__name__, error
            )
        else:
            status = UNTRACKED  # e.g. the Dask scheduler restarted; the run's lease decides
            log.warning("nbtools: Dask task of run %s ended %s", run_id, future.status)
        self._report(run_id, status, error)

    def pending(self) -> set[int]:
        with self._lock:
            return set(self._futures)

    def free_slots(self) -> int:
        client = self.client  # also with a fixed size: no run is claimed while Dask is away
        size = self.fixed_size or sum(self._asked(client.nthreads).values())
        return max(0, size - len(self.pending()))

    def shutdown(self) -> None:
        """Disconnect; runs in flight go on on the cluster (and are adopted on restart)."""
        with self._lock:
            client, self._client = self._client, None
            self._futures.clear()
        if client is not None:
            client.close()
