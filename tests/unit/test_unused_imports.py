"""Processes nbtools owns skip optional imports it never uses, and still work."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import run_python

CHECK = """
from nbtools.unused_imports import skip_unused_imports
skip_unused_imports()
import sys
import jsonschema, nbformat, papermill
nbformat.validate(nbformat.v4.new_notebook())  # what a run's output notebook goes through
checker = jsonschema.FormatChecker()
assert checker.conforms("2026-11-25T10:00:00Z", "date-time")
assert not checker.conforms("yesterday", "date-time")
print(sorted(name for name in ("rfc3987_syntax", "pyarrow", "numpy") if sys.modules.get(name)))
"""


def test_papermill_and_nbformat_work_without_them() -> None:
    result = subprocess.run(
        [sys.executable, "-c", CHECK], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


WORKER = """
from nbtools.unused_imports import FORMAT_CHECKS, lighten_worker_imports
lighten_worker_imports()
import sys
import jsonschema, nbformat, papermill, papermill.iorw
nbformat.validate(nbformat.v4.new_notebook())
assert not jsonschema.FormatChecker().conforms("not a date", "date")  # checks needing no library
loaded = lambda names: sorted(name for name in names if sys.modules.get(name) is not None)
stand_in = papermill.iorw.requests
print(loaded(FORMAT_CHECKS), loaded(["requests", "urllib3", "click"]), stand_in.__name__)
import requests.api  # imported as usual: one package, one of each submodule
print(sys.modules["requests"] is not stand_in, requests.get is requests.api.get is stand_in.get)
print(stand_in.Session is requests.Session, loaded(["requests", "urllib3"]))
"""


def test_a_worker_skips_the_format_check_libraries_and_loads_requests_only_when_read() -> None:
    result = run_python(WORKER)
    assert result.stdout.splitlines() == [
        "[] [] requests",
        "True True",
        "True ['requests', 'urllib3']",
    ]


READS = """
import sys, threading
from nbtools.unused_imports import deferring
with deferring(["requests"]):
    import requests
    stand_in = sys.modules["requests"]
    start, got = threading.Barrier(4), []
    def read():
        start.wait()
        got.append(requests.Session)
    threads = [threading.Thread(target=read) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
real = sys.modules["requests"]
print(len(got), len(set(got)), real is not stand_in, real.Session is got[0])
"""


def test_reads_inside_the_block_at_once_load_the_module_once() -> None:
    result = run_python(READS)
    assert result.stdout.split() == ["4", "1", "True", "True"]


def test_a_stand_in_leaves_sys_modules_with_the_block_and_nothing_else_is_deferred() -> None:
    code = (
        "import sys, json\n"
        "from nbtools.unused_imports import deferring\n"
        "before = sys.modules['json']\n"
        "with deferring(['json', 'no_such_module_here', 'requests']):\n"
        "    inside = sorted(n for n in ('json', 'no_such_module_here', 'requests') if n in sys.modules)\n"
        "    import requests\n"
        "print(sys.modules['json'] is before, inside, 'requests' in sys.modules, 'urllib3' in sys.modules)\n"
        "session = requests.Session  # the stand-in, read after the block: the module loads\n"
        "print(sys.modules['requests'].Session is session, 'urllib3' in sys.modules)\n"
    )
    result = run_python(code)
    assert result.stdout.splitlines() == ["True ['json', 'requests'] False False", "True True"]


TOOLKIT = """
import sys
from nbtools.unused_imports import TOOLKIT_DEFERRED, deferring
with deferring(TOOLKIT_DEFERRED):
    from nbtools.cli.app import cli  # click, pathlib: what the console script imports
    from nbtools.config import NbtoolsSettings  # traitlets: the group's flags, the settings
loaded = lambda: sorted(name for name in TOOLKIT_DEFERRED if name in sys.modules)
print(loaded())
import inspect, pathlib, urllib.parse
from traitlets.utils import decorators
import probe  # a module in the working directory, read back by inspect
print(inspect.getsource(probe.answer).splitlines()[0], loaded())
print(urllib.parse.urlsplit("http://[::1]:8888/lab").hostname, loaded())
print(pathlib.PurePosixPath("a/b.py").match("*.py"), loaded())
print(decorators.copy.copy([1]), loaded())
from traitlets import traitlets
print(isinstance(1.5, traitlets.numbers.Real), loaded())
import copy, fnmatch, linecache, numbers, tokenize
print(
    inspect.linecache.getlines is linecache.getlines,
    inspect.tokenize.TokenError is tokenize.TokenError,
    decorators.copy.copy is copy.copy,
    pathlib.fnmatch.translate is fnmatch.translate,
    traitlets.numbers.Real is numbers.Real,
)
"""


def test_the_toolkit_s_deferred_modules_load_when_read(tmp_path: Path) -> None:
    """click, traitlets and pathlib imported with :data:`TOOLKIT_DEFERRED` deferred, as the
    console script does: none is loaded by the imports, and what reads one (``inspect``
    reading source, ``urllib.parse`` a bracketed host, ``pathlib`` a pattern, traitlets a
    copy or a number's type) loads the real module, the one that a later ``import`` finds."""
    (tmp_path / "probe.py").write_text("def answer():\n    return 42\n")
    result = run_python(TOOLKIT, cwd=tmp_path)
    assert result.stdout.splitlines() == [
        "[]",
        "def answer(): ['linecache', 'token', 'tokenize']",
        "::1 ['ipaddress', 'linecache', 'token', 'tokenize']",
        "True ['fnmatch', 'ipaddress', 'linecache', 'token', 'tokenize']",
        "[1] ['copy', 'fnmatch', 'ipaddress', 'linecache', 'token', 'tokenize']",
        "True ['copy', 'fnmatch', 'ipaddress', 'linecache', 'numbers', 'token', 'tokenize']",
        "True True True True True",
    ]


def test_a_later_block_places_the_same_stand_in_again() -> None:
    """A module's stand-in is made once (one search of ``sys.path`` for its spec): the group
    defers the toolkit's modules again for a command's imports (traitlets' with the settings
    classes, when a command reads them), at no second search."""
    code = (
        "import sys\n"
        "from nbtools.unused_imports import deferring\n"
        "with deferring(['numbers']):\n"
        "    first = sys.modules['numbers']\n"
        "print('numbers' in sys.modules)\n"
        "with deferring(['numbers']):\n"
        "    print(sys.modules['numbers'] is first)\n"
        "    import numbers\n"
        "print(numbers.Real.__name__, sys.modules['numbers'] is not first)\n"
    )
    assert run_python(code).stdout.splitlines() == ["False", "True", "Real True"]
