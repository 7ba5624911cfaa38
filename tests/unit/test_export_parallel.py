"""Parsing a big notebook in two processes (nbtools/export/parallel.py).

Each case runs in a new interpreter: forking is only done by a process with one thread, which
pytest's worker is not. ``os.register_at_fork`` counts the forks; a watcher process signals the
forked child or the parent while the child works.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil

from tests.conftest import make_notebook

#: Cells the child analyses in the big notebook (they come last among the exported cells):
#: every kind of result it has to send back.
SPECIAL = [
    ("code", "def broken(:\n    pass", ["export"]),  # a syntax error
    ("code", "%time x = 1\ny = 2", ["export"]),  # an IPython magic
    ("code", "def shown(x):\n    display(x)", ["export"]),  # a name only IPython has
    ("code", "deep = " + "+".join(["1"] * 2000), ["export"]),  # too deep to analyse
    ("code", "from os.path import *\nfrom pkg.util import helper\n_all_ = ['_x']", ["export"]),
    ("code", "from __future__ import annotations\nimport json as j\nlate = j.dumps(1)", ["export"]),
    ("code", "@patch\ndef patched(self): ...\nclass Late: ...\na, b = 1, 2", ["export"]),
    ("code", "def helper() -> int:\n    return basename('x') and 1", ["export:util"]),
]
#: Cells the parent keeps: they need their syntax tree.
TAIL = [
    ("code", "def served(x: int) -> int:\n    return x + 1", ["export", "serve"]),
    ("code", "record('late', late)\nprint(served(1))", ["main"]),
    ("code", "assert helper() == 1", ["test"]),
]


def big_notebook(path: Path, cells: int) -> Path:
    """A notebook of ``cells`` exported functions, then :data:`SPECIAL` and :data:`TAIL`."""
    body = [
        ("markdown", "# Big\n> A notebook to split.", []),
        ("code", "n = 3", ["parameters"]),
        *(
            (
                "code",
                f"def step_{i}(text: str) -> int:\n    '''Step {i}.'''\n"
                f"    words = text.split()\n    return len(words) + {i} + n\n\nLIMIT_{i} = {i}",
                ["export"],
            )
            for i in range(cells)
        ),
        *SPECIAL,
        *TAIL,
    ]
    path.write_text(json.dumps(make_notebook(body)))
    return path


#: The start of every case: extract a notebook with 1 or 2 processes, counting the forks.
PRELUDE = """
import json, os, sys, signal, subprocess, threading, time
import psutil
from nbtools.export import parallel
from nbtools.export.build import ExtractOptions, extract
from nbtools.export.cells import classify

forks = []
os.register_at_fork(after_in_parent=lambda: forks.append(1))
nb = json.loads(open(sys.argv[1]).read())

def extracted(processes):
    found = extract(nb, "big.ipynb", ExtractOptions("pkg"), processes=processes)
    return {"files": found.files, "problems": [list(p) for p in found.problems]}

def left():
    return [p.pid for p in psutil.Process().children() if p.pid != getattr(watcher, "pid", 0)]

watcher = None
"""

#: A process that sends a signal, once the case's process has forked, to the forked child
#: (``child``) or to the case's process itself (``parent``).
WATCHER = """
import os, signal, sys, time
import psutil
case = psutil.Process(int(sys.argv[1]))
sig, whom = getattr(signal, sys.argv[2]), sys.argv[3]
print("ready", flush=True)
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    forked = [p for p in case.children() if p.pid != os.getpid()]
    if forked:
        os.kill(forked[0].pid if whom == "child" else case.pid, sig)
        print("sent", flush=True)
        break
    time.sleep(0.001)
"""


def run_case(notebook: Path, code: str) -> dict[str, Any]:
    """Run PRELUDE + ``code`` on ``notebook``; the case prints one JSON object last."""
    result = subprocess.run(
        [sys.executable, "-c", PRELUDE + code, str(notebook)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    found: dict[str, Any] = json.loads(result.stdout.splitlines()[-1])
    return found


def test_two_processes_give_the_same_package_and_problems_as_one(tmp_path: Path) -> None:
    notebook = big_notebook(tmp_path / "big.ipynb", 600)
    found = run_case(
        notebook,
        """
one = extracted(1)
assert forks == []
two = extracted(2)
cells = classify(nb).cells
share = parallel._child_share(cells)
print(json.dumps({"same": one == two, "forks": len(forks), "left": left(),
                  "child": [cells[i].code[:12] for i in share],
                  "problems": two["problems"], "core": two["files"]["src/pkg/core.py"]}))
""",
    )
    assert found["same"]
    assert found["forks"] == 1
    assert found["left"] == []  # the child was reaped
    child = found["child"]
    assert all(any(code.startswith(c[1][:12]) for code in child) for c in SPECIAL)
    assert not any(code.startswith("def served") for code in child)  # kept: it needs its tree
    codes = {problem[3] for problem in found["problems"]}
    assert {"syntax-error", "notebook-only", "too-deep"} <= codes
    core = found["core"]
    assert "from .util import helper" in core  # rewritten from the child's outline
    assert "from pkg.util" not in core
    exported = core[core.index("__all__ = [") : core.index("]", core.index("__all__ = ["))]
    assert '"Late"' in exported
    assert '"_x"' in exported
    assert '"patched"' not in exported
    assert core.index("from __future__ import annotations") < core.index("__all__")


def test_a_child_killed_by_a_signal_leaves_its_cells_to_the_parent(tmp_path: Path) -> None:
    notebook = big_notebook(tmp_path / "big.ipynb", 600)
    found = run_case(
        notebook,
        f"""
one = extracted(1)
os.register_at_fork(after_in_child=lambda: threading.Event().wait())  # never done: killed
watcher = subprocess.Popen([sys.executable, "-c", {WATCHER!r}, str(os.getpid()), "SIGKILL",
                            "child"], stdout=subprocess.PIPE, text=True)
assert watcher.stdout.readline() == "ready\\n"
two = extracted(2)
sent = watcher.stdout.read()
watcher.wait()
print(json.dumps({{"same": one == two, "forks": len(forks), "sent": sent, "left": left()}}))
""",
    )
    assert found["sent"] == "sent\n"
    assert found["forks"] == 1
    assert found["same"]
    assert found["left"] == []  # and the package is whole though the child never ended its work


def test_ctrl_c_in_the_parent_kills_the_child(tmp_path: Path) -> None:
    notebook = big_notebook(tmp_path / "big.ipynb", 3000)
    found = run_case(
        notebook,
        f"""
os.register_at_fork(after_in_child=lambda: threading.Event().wait())  # never done
watcher = subprocess.Popen([sys.executable, "-c", {WATCHER!r}, str(os.getpid()), "SIGINT",
                            "parent"], stdout=subprocess.PIPE, text=True)
assert watcher.stdout.readline() == "ready\\n"
try:
    extracted(2)
    interrupted = False
except KeyboardInterrupt:
    interrupted = True
watcher.wait()
print(json.dumps({{"interrupted": interrupted, "forks": len(forks), "left": left()}}))
""",
    )
    assert found["interrupted"]
    assert found["forks"] == 1
    assert found["left"] == []  # killed and reaped, not waited for: it would never have ended


def test_one_process_when_forking_is_unsafe_or_does_not_pay(tmp_path: Path) -> None:
    big = big_notebook(tmp_path / "big.ipynb", 600)
    found = run_case(
        big,
        f"TAIL = {len(SPECIAL) + len(TAIL)}\n"
        """
counts = {}
one = extracted(1)
gate = threading.Event()
thread = threading.Thread(target=gate.wait)
thread.start()
counts["another thread"] = (extracted(2) == one, len(forks))
gate.set()
thread.join()
cpus = os.sched_getaffinity(0)
os.sched_setaffinity(0, {min(cpus)})
counts["one cpu"] = (extracted(2) == one, len(forks))
os.sched_setaffinity(0, cpus)
nb["cells"] = nb["cells"][:40] + nb["cells"][-TAIL:]  # little code
counts["small"] = (extracted(2) == extracted(1), len(forks))
print(json.dumps(counts))
""",
    )
    assert found == {
        "another thread": [True, 0],
        "one cpu": [True, 0],
        "small": [True, 0],
    }


def test_a_child_whose_parent_is_killed_ends_by_itself(tmp_path: Path) -> None:
    """SIGKILL of the extracting process while its child works: the child finds no reader
    for its results and ends, within its own work's time."""
    notebook = big_notebook(tmp_path / "big.ipynb", 6000)
    case = subprocess.Popen(
        [sys.executable, "-c", PRELUDE + "while True:\n    extracted(2)\n", str(notebook)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    forked: list[psutil.Process] = []
    try:
        parent = psutil.Process(case.pid)
        deadline = time.monotonic() + 60
        while not forked and time.monotonic() < deadline:
            forked = parent.children()
            time.sleep(0.001)
        assert forked, "the extraction never forked"
        case.kill()
        case.wait()
        psutil.wait_procs(forked, timeout=10)  # init reaps it once it has ended
        assert not any(child.is_running() for child in forked)
    finally:
        case.kill()
        case.wait()
        for child in forked:  # only if the test failed: a child that did not end
            with contextlib.suppress(psutil.NoSuchProcess):
                child.kill()
