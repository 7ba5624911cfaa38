"""The time limit of one delivery attempt, over all of it: connecting, sending, and waiting
for the answer.

A socket's timeout bounds each read or write alone, so an endpoint that sends a byte every few
seconds could keep an attempt going for as long as it liked. Here a watchdog thread shuts the
attempt's socket down when the time is up, whatever the attempt is waiting for: the attempt
then fails at once, and :attr:`AttemptDeadline.expired` says why.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable
from types import TracebackType

#: Seconds between two shutdowns once the time is up: a connection made after that moment
#: (its address took long to resolve) is shut down too.
_AGAIN_SECONDS = 0.05


class AttemptDeadline:
    """``with AttemptDeadline(seconds) as deadline:`` around an attempt, which calls
    :meth:`watch` with a way to find each connection's socket."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        #: Whether the time was up before the attempt ended.
        self.expired = False
        self._sockets: list[Callable[[], socket.socket | None]] = []
        self._ended = threading.Event()
        self._watchdog = threading.Thread(target=self._watch, name="nbtools-deadline", daemon=True)

    def watch(self, current: Callable[[], socket.socket | None]) -> None:
        """Shut down, when the time is up, the socket ``current()`` returns then (None before
        it connects; TLS may replace it by another)."""
        self._sockets.append(current)

    def exceeded(self, who: str) -> str:
        """Why an attempt stopped at its time limit, ``who`` being the endpoint."""
        return (
            f"{who} did not answer in time: an attempt may take {self.seconds:g} s "
            "(c.NotificationSettings.timeout_seconds)."
        )

    def __enter__(self) -> AttemptDeadline:
        self._watchdog.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._ended.set()
        self._watchdog.join()

    def _watch(self) -> None:
        if self._ended.wait(self.seconds):
            return
        self.expired = True
        while True:
            for current in list(self._sockets):
                connection = current()
                if connection is not None:
                    # the socket's own shutdown, not TLS's: the descriptor, whoever reads it
                    with contextlib.suppress(OSError):
                        socket.socket.shutdown(connection, socket.SHUT_RDWR)
            if self._ended.wait(_AGAIN_SECONDS):
                return
