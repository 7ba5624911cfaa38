"""The command's fast exit: output flushed, exit handlers run, the code kept; a running
thread that is not a daemon is waited for as usual; a stop while it starts up."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import exit_on_signal

#: The console script, as a user runs it.
NBTOOLS = str(Path(sys.executable).parent / "nbtools")

SCRIPT = """
import atexit, sys, threading, time
from nbtools.exiting import exit_now
if sys.argv[1] != "quiet":
    atexit.register(lambda: print("handler ran", flush=True))
print("buffered output", end=" ")
sys.stderr.write("to stderr")
if sys.argv[1] == "thread":
    threading.Thread(target=lambda: (time.sleep(0.2), print("thread done", end=" "))).start()
exit_now(int(sys.argv[2]) if sys.argv[2].isdigit() else sys.argv[2])
print("returned", end=" ")
sys.exit(4)
"""


#: Output buffered as a command's is (pytest may run with PYTHONUNBUFFERED set).
BUFFERED = {name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", SCRIPT, *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=BUFFERED,
    )


def test_the_code_output_and_exit_handlers_survive_the_fast_exit() -> None:
    done = run("none", "3")
    assert (done.returncode, done.stdout, done.stderr) == (
        3,
        "buffered output handler ran\n",
        "to stderr",
    )


def test_a_message_as_the_code_goes_to_stderr_with_exit_1() -> None:
    done = run("none", "stopped")
    assert (done.returncode, done.stderr) == (1, "to stderrstopped\n")


def test_a_thread_still_running_makes_it_return_and_the_usual_exit_waits() -> None:
    done = run("thread", "0")
    assert done.returncode == 4
    assert done.stdout == "buffered output returned thread done handler ran\n"


def test_a_closed_pipe_does_not_turn_into_a_traceback() -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # whoever read the output is gone (`nbtools runs list | head -0`)
    try:
        done = subprocess.run(
            [sys.executable, "-c", SCRIPT, "quiet", "0"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            env=BUFFERED,
        )
    finally:
        os.close(write_end)
    assert (done.returncode, done.stderr) == (0, "to stderr")


#: Holds ``nbtools`` where it starts up: Python imports this first (``sitecustomize``, from
#: $PYTHONPATH), and it waits at the named pipe $HOLD_FIFO when the console script first
#: imports the module $HOLD_IMPORT (an audit hook: the code under test runs unchanged).
HOLD = """\
import os, sys
held = os.environ["HOLD_IMPORT"]
def hold(event, args):
    global held
    if event == "import" and held and args[0] == held:
        held = ""
        with open(os.environ["HOLD_FIFO"], "rb") as fifo:
            fifo.read()
sys.addaudithook(hold)
"""


@pytest.mark.parametrize(
    ("signum", "said"), [(signal.SIGTERM, "SIGTERM"), (signal.SIGINT, "Ctrl-C")]
)
@pytest.mark.parametrize(
    "held",
    [
        "nbtools.cli.app",  # the console script imports the command table
        "nbtools.cli.decorators",  # click reads the group's options (--root's check)
    ],
)
def test_a_stop_while_nbtools_starts_up_exits_with_its_code_and_one_line(
    tmp_path: Path, signum: int, said: str, held: str
) -> None:
    """Before the command runs, SIGTERM gave a traceback ending ``Stopped: 15`` and exit 1,
    Ctrl-C a KeyboardInterrupt traceback, or click's "Aborted!" and exit 1."""
    hold = tmp_path / "hold"
    hold.mkdir()
    (hold / "sitecustomize.py").write_text(HOLD)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    path = os.pathsep.join(filter(None, [str(hold), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path, "HOLD_FIFO": str(fifo), "HOLD_IMPORT": held}
    with (tmp_path / "err.txt").open("wb") as err:
        process = subprocess.Popen(
            [NBTOOLS, "--root", str(tmp_path), "runs", "list"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    assert exit_on_signal(fifo, process, signum) == 128 + signum
    assert (tmp_path / "err.txt").read_text().strip() == f"nbtools: stopped by {said}."
