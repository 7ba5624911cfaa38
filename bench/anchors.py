"""The papermill anchor, as installed and "lean", run one or several at a time, and the trivial
notebook the run benchmarks use.

nbtools' own processes skip two optional imports, jsonschema's ``rfc3987_syntax`` and
papermill's ``pyarrow`` (:mod:`nbtools.unused_imports`). papermill run from the same venv pays
for both (about a second). So every benchmark anchored on papermill measures it twice: as
installed, and "lean": the same papermill CLI started by an interpreter that first keeps out
what a process of nbtools executing notebooks keeps out (nothing is changed in papermill's
install): those two, the libraries of jsonschema's format checks (``skip_format_checks()``),
and ``requests`` and ``click`` until papermill reads them (``deferring(DEFERRED)``; its
command line reads click at once). Goals are judged against the lean one.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

BIN = Path(sys.executable).parent

#: The papermill CLI behind the same skipped and deferred imports as nbtools' processes.
_LEAN = (
    "import sys\n"
    "from nbtools.unused_imports import (\n"
    "    DEFERRED, deferring, skip_format_checks, skip_unused_imports,\n"
    ")\n"
    "skip_unused_imports()\n"
    "skip_format_checks()\n"
    "with deferring(DEFERRED):\n"
    "    from papermill.__main__ import papermill\n"
    "sys.exit(papermill())\n"
)

PAPERMILL = "papermill"
PAPERMILL_LEAN = "papermill-lean"

NOTEBOOK = {
    "nbformat": 4,
    "nbformat_minor": 5,
    "metadata": {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
    },
    "cells": [
        {
            "id": "p",
            "cell_type": "code",
            "metadata": {"tags": ["parameters"]},
            "source": "x = 1",
            "outputs": [],
            "execution_count": None,
        },
        {
            "id": "w",
            "cell_type": "code",
            "metadata": {},
            "source": "y = x * 2\nprint(y)",
            "outputs": [],
            "execution_count": None,
        },
    ],
}


def papermill_command(flavour: str, *args: str) -> list[str]:
    """The papermill CLI (``PAPERMILL`` or ``PAPERMILL_LEAN``) with ``args``."""
    if flavour == PAPERMILL:
        return [str(BIN / "papermill"), *args]
    return [sys.executable, "-c", _LEAN, *args]


def papermill_run(flavour: str, notebook: str, output: str, *parameters: str) -> list[str]:
    """One papermill run of ``notebook``; ``parameters`` as ``name value`` pairs."""
    pairs = [part for i in range(0, len(parameters), 2) for part in ("-p", *parameters[i : i + 2])]
    return papermill_command(flavour, notebook, output, *pairs, "--no-progress-bar")


def workdir(notebook: dict[str, object] | None = None, name: str = "bench.ipynb") -> Path:
    """A new temporary directory holding ``notebook`` (default: the trivial one)."""
    root = Path(tempfile.mkdtemp(prefix="nbtools-bench-"))
    (root / name).write_text(json.dumps(notebook or NOTEBOOK))
    return root


#: What jupyter_client says when two kernels started at once raced for the same free ports.
PORT_RACE = "Kernel died before replying to kernel_info"


class PortRace(RuntimeError):
    """A papermill run lost the port race of two kernels starting at once: not its speed."""


def papermill_parallel(
    flavour: str, root: Path, count: int, parameter: str = "x", parallel: int = 2
) -> float:
    """Seconds for ``count`` papermill CLI runs of ``root/bench.ipynb`` (``parameter`` set to
    the run's index), ``parallel`` at a time. A batch in which a kernel lost the port race is
    measured again from the start (and said so), so a failure neither stops the benchmark nor
    adds a retry's time to papermill's figure."""

    def one(index: int) -> None:
        command = papermill_run(flavour, "bench.ipynb", f"out-{index}.ipynb", parameter, str(index))
        done = subprocess.run(command, cwd=root, capture_output=True, text=True)
        if done.returncode and PORT_RACE in done.stderr:
            raise PortRace(f"{flavour} run {index}: {PORT_RACE}")
        if done.returncode:
            raise RuntimeError(f"{flavour} run {index} failed:\n{done.stderr[-3000:]}")

    for _attempt in range(3):
        start = time.perf_counter()
        try:
            with ThreadPoolExecutor(parallel) as pool:
                list(pool.map(one, range(count)))
        except PortRace as race:
            print(f"  ({race}: that batch is measured again)", flush=True)
            continue
        return time.perf_counter() - start
    raise RuntimeError(f"{flavour}: three batches in a row lost the kernels' port race")
