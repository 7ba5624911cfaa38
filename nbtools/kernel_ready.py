"""A started kernel's first answer: :func:`until_ready` waits for it, and fails the start
(:class:`KernelStartError`) if the kernel exits first or stays silent too long."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Awaitable, Iterator
from typing import TYPE_CHECKING, TypeVar

from nbtools.errors import NbtoolsError
from nbtools.kernel_files import last_line
from nbtools.processes import LIMIT_ERRORS, START_ADVICE

if TYPE_CHECKING:
    import asyncio

    from jupyter_client.asynchronous.client import AsyncKernelClient
    from jupyter_client.manager import AsyncKernelManager

T = TypeVar("T")

#: Seconds at most between two looks at a starting kernel: its request for an answer sent
#: again, its life checked (:func:`until_ready`).
READY_POLL_SECONDS = 1.0


class KernelStartError(NbtoolsError):
    """A kernel that was started never answered, or died before it did."""


def _why(said: str | None) -> str:
    """The end of the error of a kernel that exited having said ``said`` last, with what to do
    when that names a limit of the machine (libzmq's ``Too many open files (src/….cpp:N)``)."""
    if not said:
        return "."
    limit = any(os.strerror(code) in said for code in LIMIT_ERRORS)
    return f" (its last line: {said})." + (f" {START_ADVICE}" if limit else "")


def died_saying(said: str | None) -> str:
    """The error of a run whose kernel died as it ran, having said ``said`` last meanwhile
    (:func:`~nbtools.kernel_files.last_line` of what it wrote since the run started; None:
    nothing): "kernel died", with that line."""
    return "kernel died" + (_why(said) if said else "")


async def until_ready(
    name: str,
    km: AsyncKernelManager,
    kc: AsyncKernelClient,
    timeout: float,
    setting: str | None = None,
) -> None:
    """Wait until kernel ``name`` (its manager ``km``, its client ``kc``) answers on shell and
    its IOPub subscription delivers.

    Like ``wait_for_ready`` without its fixed 0.2 s IOPub drain: one IOPub message (the
    status of our own request) proves the subscription is live, so no output can be lost.
    The request is sent again every :data:`READY_POLL_SECONDS`, when the kernel's life is
    checked too: a kernel that exits meanwhile (killed: a stop of ``nbtools run``, a cancel;
    or crashed at start) ends the wait then, or at once where its exit can be watched
    (:func:`_exit_watched`); one still silent at ``timeout`` (no wait lasts past it) fails
    the wait, its error naming the ``setting`` that gives it longer, if any.
    """
    from queue import Empty

    deadline = time.monotonic() + timeout

    def left() -> float:  # each wait ends at the deadline at the latest
        return max(0.0, min(READY_POLL_SECONDS, deadline - time.monotonic()))

    with _exit_watched(km) as exited:
        while True:
            kc.kernel_info()
            try:
                await _unless_exited(kc.get_shell_msg(timeout=left()), exited)
                await _unless_exited(kc.get_iopub_msg(timeout=left()), exited)
                return
            except Empty:
                if not await km.is_alive():
                    said = last_line(km.connection_file)
                    raise KernelStartError(
                        f"kernel `{name}` exited before it answered{_why(said)}",
                        kernel=name,
                        output=said,
                    ) from None
                if time.monotonic() >= deadline:
                    longer = f"; give it longer with {setting}" if setting else ""
                    raise KernelStartError(
                        f"kernel `{name}` did not start within {timeout:g} s{longer}.",
                        kernel=name,
                        timeout=timeout,
                    ) from None


@contextlib.contextmanager
def _exit_watched(km: AsyncKernelManager) -> Iterator[asyncio.Future[None] | None]:
    """A future of the running loop done once the kernel's process has exited (Linux: its
    pidfd, which the loop reads), so that a wait for the kernel ends then rather than at its
    next look; None where the exit cannot be watched (no pidfd: macOS; no pid)."""
    import asyncio

    pid = getattr(km.provisioner, "pid", None) if km.provisioner is not None else None
    pidfd_open = getattr(os, "pidfd_open", None)
    fd: int | None = None
    gone = False
    if isinstance(pid, int) and pidfd_open is not None:
        try:
            fd = pidfd_open(pid)
        except ProcessLookupError:  # killed and reaped already
            gone = True
        except OSError:  # no pidfd in this system's kernel
            pass
    if fd is None and not gone:
        yield None
        return
    loop = asyncio.get_running_loop()
    exited: asyncio.Future[None] = loop.create_future()
    if fd is None:
        exited.set_result(None)
        yield exited
        return

    def readable() -> None:  # it stays readable: read once
        loop.remove_reader(fd)
        exited.set_result(None)

    loop.add_reader(fd, readable)
    try:
        yield exited
    finally:
        loop.remove_reader(fd)
        os.close(fd)


async def _unless_exited(waiting: Awaitable[T], exited: asyncio.Future[None] | None) -> T:
    """What ``waiting`` gives; ``queue.Empty`` (as a wait that timed out) if ``exited`` is
    done first, ``waiting`` then cancelled."""
    import asyncio
    from queue import Empty

    if exited is None:
        return await waiting
    task = asyncio.ensure_future(waiting)
    await asyncio.wait((task, exited), return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        return task.result()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    raise Empty
