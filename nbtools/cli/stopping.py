"""A command stopped by Ctrl-C (SIGINT) or SIGTERM (a CI job's time limit, ``kill``).

The command unwinds (what it started is stopped, its temporary files removed); then the group
says so on standard error and, with ``--json``, prints the stop as the command's error when it
had printed no answer (:meth:`Stopped.to_dict`), and exits 128 + the signal's number. A command
that leaves something going on when it is stopped (``--wait``: the run it queued) says what in
the stop's message and ``details``.
"""

from __future__ import annotations

import _signal  # the C module behind `signal`: loaded already, no enums built
from typing import Any

#: How a message names each stop signal, and how ``--json``'s ``details.signal`` does.
_SAID = {_signal.SIGINT: "Ctrl-C", _signal.SIGTERM: "SIGTERM"}
_NAMES = {_signal.SIGINT: "SIGINT", _signal.SIGTERM: "SIGTERM"}


class Stopped(BaseException):
    """A stop signal, raised where the command was (SIGTERM's handler raises it; the group
    and ``--wait`` make one of Ctrl-C's ``KeyboardInterrupt``). Like ``KeyboardInterrupt``,
    it is no ``Exception`` (nothing that handles errors, a config file's ``sys.exit()``
    included, takes it for one); the process exits with its :attr:`code` even when it comes
    before or after the command (the console script then says so)."""

    def __init__(self, signum: int, message: str | None = None, **details: Any) -> None:
        super().__init__(signum)
        self.signum = signum
        #: The exit code: 128 + the signal's number (130, 143), as shells report it.
        self.code = 128 + signum
        self.message = message or f"nbtools: stopped by {_SAID[signum]}."
        self.details = details

    @classmethod
    def of(cls, interruption: BaseException, message: str | None = None, **details: Any) -> Stopped:
        """The stop ``interruption`` stands for (a :class:`Stopped`, or Ctrl-C's
        ``KeyboardInterrupt``), with ``message`` and ``details`` if given."""
        signum = interruption.signum if isinstance(interruption, Stopped) else _signal.SIGINT
        if isinstance(interruption, Stopped) and message is None and not details:
            return interruption
        return cls(signum, message, **details)

    def to_dict(self) -> dict[str, Any]:
        """The stop as ``--json`` prints an error: ``{"error", "message", "details"}``."""
        details = {"signal": _NAMES[self.signum], **self.details}
        return {"error": "Stopped", "message": self.message, "details": details}
