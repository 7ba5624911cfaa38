"""The papermill anchor, as installed and "lean", and the trivial notebook the run benchmarks use.

nbtools' own processes skip two optional imports, jsonschema's ``rfc3987_syntax`` and
papermill's ``pyarrow`` (:mod:`nbtools.unused_imports`). papermill run from the same venv pays
for both (about a second). So every benchmark anchored on papermill measures it twice: as
installed, and "lean": the same papermill CLI started by an interpreter that first calls
nbtools' own ``skip_unused_imports()`` (nothing is changed in papermill's install). Goals are
judged against the lean one.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

BIN = Path(sys.executable).parent

#: The papermill CLI behind the same two skipped imports as nbtools' processes.
_LEAN = (
    "import sys\n"
    "from nbtools.unused_imports import skip_unused_imports\n"
    "skip_unused_imports()\n"
    "from papermill.__main__ import papermill\n"
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
