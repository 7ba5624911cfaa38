"""Running ``nbtools`` with a terminal as its standard input, for tests of the questions it
asks there (click's ``CliRunner`` gives a command no terminal)."""

from __future__ import annotations

import os
import pty
import subprocess
import sys


def answer_at_a_terminal(answer: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``nbtools ARGS`` in a fresh interpreter whose stdin is a terminal holding ``answer``
    (``"y\\n"``) waiting to be read; stdout and stderr are captured apart."""
    terminal, stdin = pty.openpty()
    try:
        os.write(terminal, answer.encode())
        return subprocess.run(
            [sys.executable, "-c", "from nbtools.cli.main import main; main()", *args],
            stdin=stdin,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
    finally:
        os.close(stdin)
        os.close(terminal)
