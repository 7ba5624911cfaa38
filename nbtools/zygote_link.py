"""One kernel zygote shared by the local executor's workers.

The executor owns a :class:`~nbtools.zygote.Zygote` (a child of the executor's process, so
it ends with it) and gives each worker one end of a socket pair: the worker's
:class:`ZygoteLink` asks for kernels over it, and a thread of the executor answers
(:func:`answer`), telling the executor of each kernel it forked before the worker learns its
pid, so a worker killed at any moment leaves no kernel the executor does not know of.
Replacing a dead or outdated zygote, retiring it and forking one kernel at a time stay the
:class:`~nbtools.zygote.Zygote`'s (docs/performance.md, "The kernel zygote").

Protocol (JSON lines, one reply per request): ``{"argv", "env", "cwd", "output"}`` reads
``{"pid"}`` or ``{"error"}``; ``{"exit": PID, "zygote": PID}`` reads ``{"code"}`` (null if
unknown).
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Callable, Mapping
from typing import Any

from nbtools.zygote import Zygote


class ZygoteLink:
    """A worker's side of its executor's zygote (a :class:`~nbtools.zygote.Forker`)."""

    def __init__(self, fd: int) -> None:
        self._socket = socket.socket(fileno=fd)
        self._replies = self._socket.makefile("rb")
        self._lock = threading.Lock()

    def _ask(self, request: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            try:
                self._socket.sendall(json.dumps(request).encode() + b"\n")
                reply = self._replies.readline()
            except OSError as error:
                raise OSError(f"the executor's kernel zygote is unreachable: {error}") from None
        if not reply:
            raise OSError("the executor's kernel zygote is unreachable")
        answer: dict[str, Any] = json.loads(reply)
        return answer

    def fork(self, argv: list[str], env: Mapping[str, str], cwd: str, output: str) -> int:
        """Fork a kernel as :meth:`Zygote.fork <nbtools.zygote.Zygote.fork>` does."""
        reply = self._ask({"argv": argv, "env": dict(env), "cwd": cwd, "output": output})
        if "pid" in reply:
            return int(reply["pid"])
        raise OSError(reply["error"])

    def exit_code(self, zygote: int, pid: int) -> int | None:
        """The exit code of kernel ``pid`` as reaped by zygote ``zygote`` (None: unknown)."""
        try:
            code = self._ask({"exit": pid, "zygote": zygote}).get("code")
        except OSError:
            return None
        return int(code) if code is not None else None

    def close(self) -> None:
        """Close the link (the executor's zygote goes on serving the other workers)."""
        self._replies.close()
        self._socket.close()


def answer(zygote: Zygote, link: socket.socket, forked: Callable[[int], None]) -> None:
    """Answer one worker's requests on ``link`` until the worker closes it (or dies);
    ``forked`` is told each kernel's pid before the worker is."""
    with link, link.makefile("rb") as requests, contextlib.suppress(OSError):
        for line in requests:
            request = json.loads(line)
            reply: dict[str, Any]
            if "exit" in request:
                reply = {"code": zygote.exit_code(int(request["zygote"]), int(request["exit"]))}
            else:
                try:
                    pid = zygote.fork(
                        request["argv"], request["env"], request["cwd"], request["output"]
                    )
                except OSError as error:
                    reply = {"error": str(error)}
                else:
                    forked(pid)
                    reply = {"pid": pid}
            with contextlib.suppress(OSError):
                link.sendall(json.dumps(reply).encode() + b"\n")
