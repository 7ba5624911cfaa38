"""Ctrl-C at the question a command asks before it deletes: the command stops as it does
anywhere else (exit 130, ``nbtools: stopped by Ctrl-C.``), nothing deleted. Typed at a real
terminal: the terminal sends the command SIGINT."""

from __future__ import annotations

import json
import os
import pty
import select
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import NotebookFactory, nbtools


def at_a_terminal(*args: str, ctrl_c_after: bytes) -> tuple[int, str]:
    """``nbtools ARGS`` in a fresh interpreter whose terminal is a pty; once it wrote
    ``ctrl_c_after``, Ctrl-C is typed. Its exit code and everything it wrote."""
    pid, terminal = pty.fork()
    if pid == 0:  # the command: the pty is its controlling terminal, its group the foreground
        try:
            command = "from nbtools.cli.main import main; main()"
            os.execv(sys.executable, [sys.executable, "-c", command, *args])
        finally:
            os._exit(127)
    written, typed = b"", False
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            if not typed and ctrl_c_after in written and waiting_for_input(pid):
                os.write(terminal, b"\x03")  # Ctrl-C, as typed
                typed = True
            if not select.select([terminal], [], [], 1)[0]:
                continue
            try:
                chunk = os.read(terminal, 4096)
            except OSError:  # EIO: the command ended, and the terminal with it
                break
            if not chunk:
                break
            written += chunk
    finally:
        os.close(terminal)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), written.decode(errors="replace")


#: Where the kernel has a process wait for a terminal's input: reading it (``n_tty_read``),
#: or a ``select``/``poll`` on it (GNU readline's).
WAITS_FOR_INPUT = ("wait_woken", "poll", "select")


def waiting_for_input(pid: int) -> bool:
    """Whether process ``pid`` waits for its answer, as a person typing at the question finds
    it: Python runs a signal's handler when the signal interrupts that wait, so one coming in
    the instant between the question and the wait would be seen only with the next key."""
    waiting = Path(f"/proc/{pid}/wchan").read_text()
    return any(kind in waiting for kind in WAITS_FOR_INPUT)


@pytest.mark.parametrize("as_json", [False, True])
def test_ctrl_c_at_the_question_stops_the_command_with_130_and_deletes_nothing(
    tmp_path: Path, notebook_factory: NotebookFactory, as_json: bool
) -> None:
    """click read Ctrl-C there as a "no": ``Aborted!``, exit 1, a failed check's code (a
    script could not tell it from a declined question), where anywhere else it is 130."""
    notebook_factory("nb.ipynb", [("code", "days = 1", ["parameters"])])
    added = nbtools(tmp_path, "schedule", "add", "nb.ipynb", "--json")
    job = json.loads(added.stdout)["id"]
    flags = ["--json"] if as_json else []
    code, written = at_a_terminal(
        "--root", str(tmp_path), "schedule", "remove", str(job), *flags, ctrl_c_after=b"[y/N]: "
    )
    assert code == 130, written
    lines = written.replace("\r\n", "\n").splitlines()
    question = next(line for line in lines if "[y/N]: " in line)
    assert question.startswith(f"Delete (archive) job {job} ('nb')? [y/N]: "), written
    assert "nbtools: stopped by Ctrl-C." in lines, written  # on a line of its own
    assert "Aborted!" not in written
    if as_json:
        answer = json.loads(written[written.index("{") :])
        assert answer["error"] == "Stopped"
        assert answer["details"] == {"signal": "SIGINT"}
    listed = json.loads(nbtools(tmp_path, "schedule", "list", "--json").stdout)
    assert [item["id"] for item in listed] == [job]  # nothing deleted
