"""Optional imports nbtools' own processes never need, kept out of them.

Libraries nbtools uses import some packages only for features nbtools does not use, and two of
them cost a lot when they are installed: jsonschema imports ``rfc3987_syntax`` for its "iri"
format check, which builds a Lark grammar at import time (about a second; nbformat imports
jsonschema, papermill imports nbformat), and papermill imports ``pyarrow`` (with numpy, about
40 MiB) for hdfs:// paths. Both imports are optional there: the libraries expect and handle the
ImportError. Only processes nbtools owns skip them (its command line, its local workers); a
Jupyter server or a Dask worker, which run other code too, never do, and ``nbtools serve``
allows them again before it imports the package it serves. Notebooks run in kernels, which are
other processes.

A local worker, which lives as long as its executor and only executes runs, keeps out a few
more (:func:`lighten_worker_imports`: ≈ 8 MiB of each worker's PSS, 62 → 54 MiB): the
libraries of jsonschema's other format checks, and papermill's ``requests`` and ``click``
until papermill reads from them. ``nbtools run``, which executes one notebook, skips the same
format checks, and every process registering nbtools' papermill engine defers ``requests``
and ``click`` (≈ 0.14 s of a one-shot run's imports).

The console script imports its own toolkit (click, traitlets) with the few standard-library
modules they import for functions a command rarely calls deferred (:data:`TOOLKIT_DEFERRED`).
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import sys
import threading
import types
from collections.abc import Iterable, Iterator
from typing import Any

UNUSED = ("rfc3987_syntax", "pyarrow")

#: Libraries jsonschema imports (each optional) for its format checks: "hostname", "date-time",
#: "color", "json-pointer", "uri-template", "duration", …. Only a validator given a
#: ``FormatChecker`` runs them; nbformat gives none, and a worker validates with fastjsonschema.
FORMAT_CHECKS = (
    "fqdn",
    "isoduration",
    "jsonpointer",
    "rfc3339_validator",
    "rfc3986_validator",
    "uri_template",
    "webcolors",
)

#: Modules papermill imports at import time for features a run never reaches: ``requests``
#: reads and writes http(s):// notebook paths (a run hands papermill the notebook's content and
#: a local output path), ``click`` prints a notebook's parameters for papermill's command line.
DEFERRED = ("requests", "click")

#: Standard-library modules that the CLI's toolkit imports at import time for functions a
#: command rarely calls: ``inspect`` (which click and traitlets import) reads source code with
#: ``linecache``, ``tokenize`` and ``token``; ``pathlib`` matches patterns with ``fnmatch``,
#: handles Windows paths with ``ntpath`` and checks a bracketed host in a URL with
#: ``ipaddress`` (through ``urllib.parse``); traitlets copies a signature's parameters with
#: ``copy`` and tests a float setting's value against ``numbers``. The console script imports
#: click and the settings with them deferred (:func:`deferring`), so that a command reading
#: none of them loads none (with ``tokenize`` imported where read, 13.4 M of the 387 M
#: instructions of ``nbtools extract``; docs/performance.md).
TOOLKIT_DEFERRED = (
    "copy",
    "fnmatch",
    "ipaddress",
    "linecache",
    "ntpath",
    "numbers",
    "token",
    "tokenize",
)


def skip_unused_imports() -> None:
    """Make importing the :data:`UNUSED` modules raise ImportError in this process."""
    for name in UNUSED:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]


def allow_unused_imports() -> None:
    """Undo :func:`skip_unused_imports` in this process: a command about to run the user's own
    code in it (``nbtools serve`` imports the package it serves) lets that code import them,
    as it can everywhere else (a model reading Parquet needs ``pyarrow``)."""
    for name in UNUSED:
        if name in sys.modules and sys.modules[name] is None:
            del sys.modules[name]


def skip_format_checks() -> None:
    """Make importing the :data:`FORMAT_CHECKS` libraries raise ImportError in this process:
    a process that only executes notebooks (a local worker, ``nbtools run``), whose JSON is
    validated without a ``FormatChecker``."""
    for name in FORMAT_CHECKS:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]


def lighten_worker_imports() -> None:
    """In a local worker, before its imports: skip :data:`UNUSED` and :data:`FORMAT_CHECKS`,
    and import papermill with :data:`DEFERRED` deferred (:func:`deferring`)."""
    skip_unused_imports()
    skip_format_checks()
    with deferring(DEFERRED):
        importlib.import_module("papermill")


@contextlib.contextmanager
def deferring(names: Iterable[str]) -> Iterator[None]:
    """Inside the block, ``import name`` binds a stand-in that loads the module on first use.

    The stand-in has the module's spec and nothing else; the first attribute read from it
    (``requests.get``) imports the real module and returns the attribute, and every read is
    forwarded to it. It is in ``sys.modules`` only inside the block: afterwards, importing
    the module or one of its submodules anywhere imports the real one as usual (importing a
    submodule under the stand-in would load the package through its ``__path__`` and then make
    the submodule a second time). Nothing is deferred of a module already imported or not
    installed. A module's stand-in is made once (its spec looked up once): a later block
    places the same one again while the module is still not imported (the console script's
    group defers the toolkit's modules again for what it imports after its start-up).
    """
    stand_ins = {name: _stand_in(name) for name in names if name not in sys.modules}
    placed = {name: module for name, module in stand_ins.items() if module is not None}
    sys.modules.update(placed)
    try:
        yield
    finally:
        for name, module in placed.items():
            if sys.modules.get(name) is module:
                del sys.modules[name]


@functools.cache
def _stand_in(name: str) -> types.ModuleType | None:
    import importlib.util  # not at import: the console script needs skip_unused_imports only

    spec = importlib.util.find_spec(name)
    if spec is None:
        return None
    stand_in = types.ModuleType(name)
    stand_in.__spec__ = spec
    lock = threading.Lock()

    def load(attribute: str) -> Any:
        with lock:  # a first read inside the block takes the stand-in out (not the import)
            if sys.modules.get(name) is stand_in:
                del sys.modules[name]
        return getattr(importlib.import_module(name), attribute)

    stand_in.__getattr__ = load  # type: ignore[method-assign]
    return stand_in
