"""Connecting to a Dask scheduler within a deadline, and naming what answers at a wrong address.

Dask's client waits for the handshake of whatever accepted its connection without a limit (a
web server holds it until it closes the connection), and reads a peer's bytes as Dask frames
(an HTTP error page became a request for exabytes of memory). So the address is asked first,
in an event loop of its own under one deadline, who listens there (Dask's ``identity``
request); only a Dask scheduler's answer lets the client connect. A stop (the scheduler's
SIGTERM) ends the attempt at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

from nbtools.jobs.errors import ExecutorUnavailableError

if TYPE_CHECKING:
    from distributed import Client

#: Seconds a connection to the Dask scheduler may take unless told otherwise
#: (``JobsSettings.dask_connect_timeout_seconds``), its answer included: a refused connection
#: is tried again meanwhile, as Dask does; a client that lost its scheduler reconnects as long.
CONNECT_TIMEOUT_SECONDS = 10.0
#: The share of them kept for what accepted the connection to answer as a Dask scheduler.
ANSWER_SHARE = 0.3
#: A Dask scheduler's port unless told otherwise, and its dashboard's (a web server).
SCHEDULER_PORT, DASHBOARD_PORT = 8786, 8787
#: Seconds between two looks at the stop event while connecting.
STOP_CHECK_SECONDS = 0.05

T = TypeVar("T")


def connect(
    address: str,
    stop: threading.Event | None = None,
    timeout: float = CONNECT_TIMEOUT_SECONDS,
) -> Client | None:
    """A client of the Dask scheduler at ``address``, connected within ``timeout`` seconds,
    or None once ``stop`` is set (it ends the attempt at once);
    :class:`ExecutorUnavailableError` (field ``dask_address``) saying why not: nothing
    reachable there, or no Dask scheduler."""
    identity = asyncio.run(_unless_stopped(_identity(address, timeout), stop))
    if stop is not None and stop.is_set():
        return None
    kind = identity.get("type") if isinstance(identity, dict) else None
    if kind != "Scheduler":
        raise _not_a_scheduler(address, identity, kind)
    from distributed import Client

    try:
        return Client(address, timeout=timeout, set_as_default=False)
    except Exception as error:  # the scheduler went away since it answered
        raise _unreachable(address, error) from None


async def _unless_stopped(work: Coroutine[Any, Any, T], stop: threading.Event | None) -> T | None:
    """``work``'s result, or None: cancelled once ``stop`` is set."""
    task = asyncio.ensure_future(work)
    while not task.done():
        if stop is not None and stop.is_set():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):  # moot now
                await task
            return None
        await asyncio.wait({task}, timeout=STOP_CHECK_SECONDS)
    return task.result()


async def _identity(address: str, timeout: float) -> Any:
    """What listens at ``address`` says it is (a Dask server's ``identity``), within
    ``timeout`` seconds."""
    from distributed.comm.core import FatalCommClosedError
    from distributed.comm.core import connect as open_comm
    from distributed.core import send_recv
    from distributed.security import Security

    async def ask() -> Any:
        arguments = Security().get_connection_args("client")
        reach = timeout * (1 - ANSWER_SHARE)
        comm = await open_comm(address, timeout=reach, **arguments)
        try:
            return await send_recv(comm, op="identity")  # any Dask server answers it
        finally:
            comm.abort()

    try:
        # Dask gives up reaching the address before the deadline: a wait past it is the
        # answer's (Dask's handshake, then the identity)
        return await asyncio.wait_for(ask(), timeout)
    except asyncio.TimeoutError:
        silent = (
            f"it accepted the connection but gave no Dask answer within {timeout:g} s "
            "(JobsSettings.dask_connect_timeout_seconds)"
        )
        raise _not_a_scheduler(address, silent, None) from None
    except FatalCommClosedError as error:  # TLS refused
        raise _unreachable(address, error) from None
    except OSError as error:
        if type(error) is OSError:  # Dask's "Timed out trying to connect …": nothing answered
            raise _unreachable(address, error) from None
        raise _not_a_scheduler(address, _described(error), None) from None
    except Exception as error:  # its answer is no Dask message (a numpy MemoryError, say)
        raise _not_a_scheduler(address, _described(error), None) from None


def _described(error: BaseException) -> str:
    text = f"{type(error).__name__}: {error}"
    return f"its answer is not Dask's ({text[:200]})"


def _unreachable(address: str, error: BaseException) -> ExecutorUnavailableError:
    return ExecutorUnavailableError(
        f"Cannot reach the Dask scheduler at {address}: {error}. Start it (`dask scheduler`) "
        "or correct its address (JobsSettings.dask_address).",
        field="dask_address",
        dask_address=address,
    )


def _not_a_scheduler(address: str, answer: Any, kind: Any) -> ExecutorUnavailableError:
    if kind in ("Worker", "Nanny"):
        scheduler = answer.get("scheduler") if isinstance(answer, dict) else None
        whose = f", {scheduler}" if isinstance(scheduler, str) else ""
        return ExecutorUnavailableError(
            f"{address} is a Dask {kind.lower()}, not the Dask scheduler: give the address of "
            f"the scheduler it works for{whose} (JobsSettings.dask_address).",
            field="dask_address",
            dask_address=address,
        )
    if isinstance(answer, str):
        what = answer
    else:
        what = f"it answered as a Dask {kind}" if kind else "its answer is not Dask's"
    return ExecutorUnavailableError(
        f"{address} is not a Dask scheduler: {what}. Check the address and its port "
        f"(JobsSettings.dask_address): a Dask scheduler listens on port {SCHEDULER_PORT} "
        f"unless told otherwise, and its dashboard, a web page, on another port "
        f"({DASHBOARD_PORT} by default).",
        field="dask_address",
        dask_address=address,
    )
