"""Killing a process tree and its groups; starting nbtools' own modules without the working
directory on their path; giving a long-lived process's freed memory back to the system."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import psutil
import pytest

from nbtools.processes import (
    kill_tree,
    own_module_command,
    release_free_memory,
    run_watched,
    supervised_command,
)
from tests.conftest import plant

ROLLUP = Path("/proc/self/smaps_rollup")


def private_dirty() -> int:
    """Bytes of this process's memory written by it alone."""
    for line in ROLLUP.read_text().splitlines():
        if line.startswith("Private_Dirty:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no Private_Dirty line")


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or not ROLLUP.exists(), reason="glibc and /proc only"
)
def test_memory_freed_between_live_blocks_goes_back_to_the_system() -> None:
    # 2 KiB blocks come from malloc (not Python's small-object arenas); keeping every 64th
    # pins the heap, so freeing the rest leaves ~50 MiB free inside it, which glibc keeps.
    blocks = [bytes(2048) for _ in range(25_000)]
    kept = blocks[::64]
    del blocks
    before = private_dirty()
    release_free_memory()
    assert before - private_dirty() > 20 * 2**20
    assert len(kept) == 391  # the live blocks are still there


def test_kill_tree_returns_once_a_groups_orphaned_members_are_gone() -> None:
    """A process of a killed group that is no one's descendant any more (its parent, the
    kernel, died first) is ended before kill_tree returns, not merely signalled."""
    marker = f"nbtools-test-{uuid.uuid4().hex}"
    leader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import subprocess, sys\n"
            "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)', "
            f"{marker!r}])\n"
            "print(child.pid, flush=True)",
        ],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert leader.stdout is not None
    child = int(leader.stdout.readline())
    assert leader.wait(timeout=30) == 0  # the leader is gone: its child is an orphan
    try:
        kill_tree(None, [leader.pid])
        assert not running(child)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signal.SIGKILL)


def test_kill_tree_of_a_child_reaps_it_and_leaves_this_process_group_alone() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
    kill_tree(child.pid, [os.getpgrp(), 0, 1])
    assert not psutil.pid_exists(child.pid)


def running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


SLEEPER = """\
import os, subprocess, sys, time
from pathlib import Path
child = subprocess.Popen(["sleep", "60"])
Path(sys.argv[1]).write_text(f"{os.getpid()} {child.pid}")
time.sleep(60)
"""


def started_sleeper(tmp_path: Path, parent: str) -> tuple[subprocess.Popen[bytes], list[int]]:
    """A process running ``parent`` (which calls run_watched on the sleeper module), and the
    pids of the watched child and of the process that child started."""
    (tmp_path / "sleeper.py").write_text(SLEEPER)
    pids = tmp_path / "pids"
    process = subprocess.Popen([sys.executable, "-c", parent, str(pids)], cwd=tmp_path)
    deadline = time.monotonic() + 60
    while not pids.exists() or len(pids.read_text().split()) < 2:
        assert process.poll() is None, "the parent ended before the sleeper started"
        assert time.monotonic() < deadline, "the sleeper never started"
        time.sleep(0.05)
    return process, [int(pid) for pid in pids.read_text().split()]


def gone(pids: list[int], within: float) -> bool:
    deadline = time.monotonic() + within
    while any(running(pid) for pid in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


WATCHING = (
    "import sys\n"
    "from nbtools.processes import run_watched\n"
    "run_watched([sys.executable, '-m', 'sleeper', sys.argv[1]], cwd='.', timeout={timeout})\n"
)


def test_a_watched_module_runs_as_with_dash_m() -> None:
    done = run_watched([sys.executable, "-m", "calendar", "2026", "12"])
    assert (done.returncode, done.args[:2]) == (0, [sys.executable, "-m"])
    assert "December 2026" in done.stdout
    failed = run_watched([sys.executable, "-m", "json.tool", "/nonexistent"])
    assert failed.returncode != 0
    assert "No such file" in failed.stderr
    with pytest.raises(ValueError, match="not a 'python -m' command"):
        run_watched([sys.executable, "-c", "pass"])
    with pytest.raises(ValueError, match="not a 'python -m' command"):
        run_watched([sys.executable, "-m"])
    # the interpreter's own options stay before the module (a kernel spec's -Xfrozen_modules=off)
    flagged = run_watched([sys.executable, "-X", "utf8", "-I", "-m", "calendar", "2026", "12"])
    assert (flagged.returncode, flagged.args[-3:]) == (0, ["calendar", "2026", "12"])
    assert "December 2026" in flagged.stdout


def test_what_a_watched_child_started_goes_when_its_parent_is_killed(tmp_path: Path) -> None:
    parent, pids = started_sleeper(tmp_path, WATCHING.format(timeout=None))
    parent.send_signal(signal.SIGKILL)  # no clean-up of its own: the child watches for it
    parent.wait()
    assert gone(pids, within=10), "the watched child or its own child outlived the parent"


def test_a_timeout_kills_everything_the_child_started_before_it_is_raised(tmp_path: Path) -> None:
    parent, pids = started_sleeper(tmp_path, WATCHING.format(timeout=3))
    assert parent.wait(timeout=60) != 0  # TimeoutExpired, raised on
    assert not any(map(running, pids))  # gone before it was raised, not merely signalled


#: A tool that removes its temporary folder as it unwinds, as pip and pytest do on Ctrl-C;
#: with ``ignore``, one that ignores Ctrl-C. It records in ``got`` each SIGINT it gets (SIGKILL
#: it cannot: that one shows as the clean-up that never ran).
CLEANER = """\
import os, signal, sys, tempfile, time
from pathlib import Path
got = Path(sys.argv[1], "got")

def record(number, frame):
    with got.open("a") as file:
        file.write("INT\\n")
    if sys.argv[2] != "ignore":
        raise KeyboardInterrupt

signal.signal(signal.SIGINT, record)
scratch = tempfile.mkdtemp(prefix="tool-", dir=sys.argv[1])
Path(sys.argv[1], "pid").write_text(str(os.getpid()))
try:
    time.sleep(60)
finally:
    os.rmdir(scratch)
"""


@pytest.mark.parametrize("behaviour", ["cleans", "ignore"])
def test_a_stopped_tool_gets_ctrl_c_and_a_grace_to_clean_up_then_it_is_killed(
    tmp_path: Path, behaviour: str
) -> None:
    """A tool was killed outright (SIGKILL) when the command running it was stopped, leaving
    its temporary files (pip's pip-build-env-*, pip-unpack-*, …); now it gets SIGINT first,
    and what ignores it is killed :data:`CLEAN_UP_SECONDS` later; the stop is raised only once
    the tool is gone."""
    (tmp_path / "cleaner.py").write_text(CLEANER)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    with pytest.raises(subprocess.TimeoutExpired):  # stopped as Ctrl-C or SIGTERM stop it
        run_watched(
            [sys.executable, "-m", "cleaner", str(scratch), behaviour], cwd=tmp_path, timeout=5
        )
    tool = int((scratch / "pid").read_text())  # it ran to its sleep
    assert not running(tool)  # gone before the stop was raised
    got = (scratch / "got").read_text().splitlines()
    if behaviour == "cleans":
        assert got == ["INT"]  # SIGINT, and nothing before it
        assert sorted(path.name for path in scratch.iterdir()) == ["got", "pid"]  # cleaned up
    else:
        assert got == ["INT"]  # SIGINT first, which it outlived (its grace)
        # then SIGKILL: no clean-up ran, its folder is left
        assert sorted(path.name[:5] for path in scratch.iterdir()) == ["got", "pid", "tool-"]


def test_a_tool_stopped_by_ctrl_c_is_reaped_before_the_interrupt_goes_on(tmp_path: Path) -> None:
    """Ctrl-C while a tool that ignores it runs: the tool is killed after its grace, and
    reaped before the KeyboardInterrupt goes on. It was left a zombie (``subprocess`` waits
    for a child a quarter of a second only on Ctrl-C), so ``nbtools extract --test`` stopped
    by Ctrl-C exited before its tests' process was reaped: one check of that process found it
    a zombie, the next found it gone (reaped by init meanwhile), and raised."""
    (tmp_path / "cleaner.py").write_text(CLEANER)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    pid, ended = scratch / "pid", threading.Event()

    def interrupt_once_it_runs() -> None:  # as Ctrl-C interrupts this process's main thread
        while not pid.exists() or not pid.read_text():  # (made, then written)
            if ended.wait(0.05):
                return
        signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)

    interrupting = threading.Thread(target=interrupt_once_it_runs)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)  # xdist's may differ
    try:
        interrupting.start()
        with pytest.raises(KeyboardInterrupt):
            run_watched([sys.executable, "-m", "cleaner", str(scratch), "ignore"], cwd=tmp_path)
    finally:
        ended.set()
        interrupting.join()
        signal.signal(signal.SIGINT, previous)
    with pytest.raises(ChildProcessError):  # not a zombie of this process's: reaped
        os.waitpid(int(pid.read_text()), os.WNOHANG)


def test_a_supervised_command_ends_as_its_command_does() -> None:
    """A command that runs no Python module (a kernel spec's wrapper script) runs under a
    supervisor that its caller sees end as the command itself would."""
    done = subprocess.run(
        supervised_command(["/bin/sh", "-c", "echo out; exit 3"]), capture_output=True, text=True
    )
    assert (done.returncode, done.stdout) == (3, "out\n")
    killed = subprocess.run(supervised_command(["/bin/sh", "-c", "kill -USR1 $$"]))
    assert killed.returncode == -signal.SIGUSR1
    missing = subprocess.run(
        supervised_command(["/nonexistent/kernel", "-f", "x"]), capture_output=True, text=True
    )
    assert missing.returncode == 127
    assert missing.stderr == "/nonexistent/kernel: No such file or directory\n"


def wait_for_file(path: Path, process: subprocess.Popen[bytes]) -> None:
    """Wait until ``path`` exists, ``process`` still running (within a minute)."""
    deadline = time.monotonic() + 60
    while not path.exists():
        assert process.poll() is None, f"ended before {path.name} was written"
        assert time.monotonic() < deadline, f"{path.name} was never written"
        time.sleep(0.05)


def test_signals_to_a_supervised_group_reach_the_command_not_its_supervisor(
    tmp_path: Path,
) -> None:
    """jupyter_client interrupts and stops a kernel by signalling its process group: the
    command gets SIGINT and SIGTERM, its supervisor ignores them and ends as the command."""
    script = "trap 'echo interrupted > got' INT; echo ready > ready; while :; do sleep 0.05; done"
    supervised = subprocess.Popen(
        supervised_command(["/bin/sh", "-c", script]), cwd=tmp_path, start_new_session=True
    )
    wait_for_file(tmp_path / "ready", supervised)
    os.killpg(supervised.pid, signal.SIGINT)
    wait_for_file(tmp_path / "got", supervised)
    assert supervised.poll() is None  # the command handled the interrupt and goes on
    os.killpg(supervised.pid, signal.SIGTERM)
    assert supervised.wait(timeout=60) == -signal.SIGTERM


SUPERVISING = (
    "import subprocess, sys, time\n"
    "from nbtools.processes import supervised_command\n"
    "script = 'sleep 60 & echo $$ $! > ' + sys.argv[1] + '; wait'\n"
    "subprocess.Popen(supervised_command(['/bin/sh', '-c', script]), start_new_session=True)\n"
    "time.sleep(60)\n"
)


def test_what_a_supervised_command_started_goes_when_its_parent_is_killed(
    tmp_path: Path,
) -> None:
    parent, pids = started_sleeper(tmp_path, SUPERVISING)
    assert all(os.getpgid(pid) != os.getpgid(parent.pid) for pid in pids)  # a session apart
    parent.send_signal(signal.SIGKILL)  # no clean-up of its own: the supervisor watches it
    parent.wait()
    assert gone(pids, within=10), "the command or what it started outlived the parent"


#: A module that says how it runs: its arguments, name and import path (JSON, one line), after
#: importing ``json`` (which a ``json.py`` where it starts would replace).
WHERE = "import os, threading\nprint(os.getcwd())\n"


def test_a_watched_tool_starts_in_a_new_empty_directory_unless_told_where(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``python -m venv``, pip: a ``threading.py`` a user saved where the server runs (its
    working directory, often the project root) is never imported by a tool nbtools runs,
    which starts in a new empty directory of its own, removed when it ends."""
    started_in, on_path = tmp_path / "root", tmp_path / "lib"
    on_path.mkdir()
    started_in.mkdir()
    (on_path / "where.py").write_text(WHERE)
    ran = plant(started_in, "threading")  # run_watched's own program imports threading
    monkeypatch.chdir(started_in)
    env = {**os.environ, "PYTHONPATH": str(on_path)}

    done = run_watched([sys.executable, "-m", "where"], env=env)
    assert done.returncode == 0, done.stderr
    ran_in = Path(done.stdout.strip())
    assert ran_in.name.startswith("nbtools-")
    assert ran_in.parent == Path(tempfile.gettempdir())
    assert not ran_in.exists()  # removed
    assert not ran.exists(), ran.read_text()

    told = run_watched([sys.executable, "-m", "where"], env=env, cwd=started_in)
    assert Path(told.stdout.strip()) == started_in
    assert ran.exists()  # where it was told: the directory's modules come first


REPORTER = """\
import sys
import json
print(json.dumps({"argv": sys.argv, "name": __name__, "path": sys.path}))
"""


@pytest.mark.parametrize("safe_path", ["", "1"])
def test_an_own_module_runs_as_with_dash_m_minus_the_directory_it_starts_in(
    tmp_path: Path, safe_path: str
) -> None:
    """A ``json.py`` written where nbtools starts a process of its own (a server's directory,
    often the project root) is never imported by it; ``PYTHONPATH`` (and whatever else ``-m``
    puts on the path: the user's site-packages) still is, in the same order. Also under
    ``PYTHONSAFEPATH`` (Python 3.11+: no working directory on the path to remove)."""
    started_in, on_path, elsewhere = tmp_path / "root", tmp_path / "lib", tmp_path / "clean"
    for directory in (started_in, on_path, elsewhere):
        directory.mkdir()
    (started_in / "json.py").write_text("raise SystemExit('the json.py of the root ran')\n")
    (on_path / "reporter.py").write_text(REPORTER)
    # no empty entry: PYTHONPATH's empty entry names the working directory, as the user asks
    python_path = os.pathsep.join(filter(None, [str(on_path), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": python_path, "PYTHONSAFEPATH": safe_path}

    def report(command: list[str], cwd: Path) -> dict[str, object]:
        done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        reported: dict[str, object] = json.loads(done.stdout)
        return reported

    own = report(own_module_command("reporter", "a", "-m", "b"), started_in)
    with_m = report([sys.executable, "-m", "reporter", "a", "-m", "b"], elsewhere)
    assert own["argv"] == with_m["argv"] == [str(on_path / "reporter.py"), "a", "-m", "b"]
    assert own["name"] == with_m["name"] == "__main__"
    assert isinstance(with_m["path"], list)
    expected = with_m["path"] if safe_path else with_m["path"][1:]  # -m's first: `elsewhere`
    assert own["path"] == expected
    assert str(on_path) in expected
    assert str(started_in) not in expected
