"""A service preview's output: its last lines, each cut to a bound, and what they say of why
the preview ended (:meth:`OutputLog.told`)."""

from __future__ import annotations

import collections
import threading
from typing import IO

#: Lines of a preview's output kept (the oldest are dropped), and the longest line kept.
LOG_LINES = 2000
LOG_LINE_CHARS = 4000
#: How a refused or failed start-up is told in the log: ``nbtools serve``'s own refusals
#: (exit 2 before anything starts) and the one entry of a start-up that failed or was refused.
CLI_ERROR = "Error: "
START_UP_FAILED = "start-up of {} failed: "
#: How that entry begins for data the service's purpose does not allow.
DATA_REFUSED = "data use refused: "


class OutputLog:
    """A process's output, line by line, at most :data:`LOG_LINES` lines."""

    def __init__(self) -> None:
        self._lines: collections.deque[str] = collections.deque(maxlen=LOG_LINES)
        self._lock = threading.Lock()
        self.dropped = 0

    def follow(self, stream: IO[str]) -> threading.Thread:
        """Read ``stream`` to its end in a daemon thread."""

        def read() -> None:
            for line in stream:
                self.append(line.rstrip("\n")[:LOG_LINE_CHARS])
            stream.close()

        thread = threading.Thread(target=read, name="nbtools-preview-log", daemon=True)
        thread.start()
        return thread

    def append(self, line: str) -> None:
        with self._lock:
            if len(self._lines) == self._lines.maxlen:
                self.dropped += 1
            self._lines.append(line)

    def text(self) -> str:
        with self._lock:
            return "\n".join(self._lines)

    def told(self, package: str) -> str:
        """What the output says of why ``package``'s preview ended: its start-up's entry, or
        ``nbtools serve``'s own refusal, else its last line."""
        lines = [line.strip() for line in self.text().splitlines() if line.strip()]
        entry = START_UP_FAILED.format(package)
        for line in reversed(lines):
            if entry in line:
                return line.split(entry, 1)[1]
            if line.startswith(CLI_ERROR):
                return line.removeprefix(CLI_ERROR)
        return lines[-1] if lines else "it printed nothing"
