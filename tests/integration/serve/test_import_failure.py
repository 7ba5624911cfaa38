"""A served package whose import fails, started each way a service is started: ``nbtools
serve``, ``python -m PACKAGE serve`` and the package's console script ``PACKAGE serve``.

Python imports a package before its ``__main__`` or console script runs, so the notebook's
module-level code fails before any code of the command: each way exits 3 with one log entry,
the reason (with what to do) and the package's own lines, where ``python -m`` and the
console script printed Python's traceback and exited 1. A package that imports fine serves
from its console script as it does from the others.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.conftest import NotebookFactory
from tests.integration.serve.conftest import RunningService, extract
from tests.unit.export_helpers import install_console_scripts

Serve = Callable[..., RunningService]

#: A served function and a pipeline (so the package has a console script), after ``first``.
SERVED = [
    ("code", "n = 1", ["parameters"]),
    ("code", "def f(x: int) -> int:\n    return x", ["export", "serve"]),
    ("code", "y = n", ["main"]),
]
#: What the reason of a failed start-up by ``SystemExit`` adds to it.
ENDED = (
    "(the package's module-level code ended the process: sys.exit(), or argparse's "
    "parse_args() reading the service's command line; do that only under `if __name__ == "
    '"__main__":`)'
)
#: The cause of the failure → the notebook's first exported cell, and what the entry says:
#: its reason, and the line of the package's code shown last in its traceback.
CAUSES = {
    "raises": (
        "raise FileNotFoundError('model.bin is missing')",
        "FileNotFoundError: model.bin is missing",
        "raise FileNotFoundError('model.bin is missing')",
    ),
    "missing dependency": (
        "import surely_not_installed_module",
        "ModuleNotFoundError: No module named 'surely_not_installed_module' (install the "
        "package's dependencies: pip install <package dir>)",
        "import surely_not_installed_module",
    ),
    "sys.exit(0)": (
        "import sys\nsys.exit(0)",
        "SystemExit: 0 " + ENDED,
        "sys.exit(0)",
    ),
    "syntax error": (
        "import os",  # the module then edited by hand: a line that does not compile
        "SyntaxError: invalid syntax (core.py, line {line}) (Python {python} cannot compile "
        "the package's code: extract it again from its notebook, or serve it with the Python "
        "the notebook's code is written for)",
        "def broken(:",
    ),
}


def broken_package(notebook_factory: NotebookFactory, tmp_path: Path, cause: str) -> Path:
    first, _, _ = CAUSES[cause]
    notebook = notebook_factory("broken.ipynb", [("code", first, ["export"]), *SERVED])
    package = extract(notebook, tmp_path / "broken-pkg")
    if cause == "syntax error":
        with (package / "src" / "broken" / "core.py").open("a") as core:
            core.write("\ndef broken(:\n")
    return package


def started_by(entry: str, package: Path, tmp_path: Path) -> dict[str, object]:
    """The ``serve`` fixture's arguments starting ``package``'s service by ``entry``."""
    if entry == "nbtools serve":
        return {}
    site = install_console_scripts(package, tmp_path / "installed")
    path = [str(site), str(package / "src"), os.environ.get("PYTHONPATH", "")]
    name = package.name.removesuffix("-pkg")
    command = (
        [sys.executable, "-m", name, "serve"]
        if entry == "python -m"
        else [str(tmp_path / "installed" / "bin" / name), "serve"]
    )
    return {"env": {"PYTHONPATH": os.pathsep.join(path)}, "command": command}


ENTRIES = ["nbtools serve", "python -m", "console script"]


@pytest.mark.parametrize(
    ("entry", "cause", "workers"),
    [
        *((entry, cause, "1") for entry in ENTRIES for cause in CAUSES),
        *((entry, cause, "2") for entry in ENTRIES for cause in ("raises", "sys.exit(0)")),
    ],
)
def test_a_package_whose_import_fails_exits_3_with_the_reason_and_its_own_traceback(
    notebook_factory: NotebookFactory,
    tmp_path: Path,
    serve: Serve,
    entry: str,
    cause: str,
    workers: str,
) -> None:
    """The module-level code runs when uvicorn imports the service (the package's __init__
    imports its modules), or, for ``python -m`` and the console script, as Python imports
    the package before their command: a failure there is a start-up failure, told once with
    the lines of the package where it failed, not a traceback through uvicorn, runpy or the
    launcher; with several workers uvicorn stops them all, where each died and was started
    again for ever. ``sys.exit()`` there is such a failure too, where it ended the service
    with its own code (0: as if stopped) without a word, or with several workers was
    started again for ever."""
    package = broken_package(notebook_factory, tmp_path, cause)
    service = serve(package, "--workers", workers, **started_by(entry, package, tmp_path))
    output = service.stop()
    assert service.process.returncode == 3, output
    _, told, line = CAUSES[cause]
    compiled = (package / "src" / "broken" / "core.py").read_text().splitlines()
    told = told.format(line=len(compiled), python="{}.{}".format(*sys.version_info))
    entries = re.findall(r"^ERROR: nbtools\.serve: start-up of broken failed: (.*)$", output, re.M)
    # one entry; with --workers 2 under nbtools serve, one for each worker that failed
    assert entries == [told] * len(entries), output
    assert len(entries) == 1 or (entry == "nbtools serve" and len(entries) <= 2), output
    assert output.count("Traceback") == len(entries), output  # each entry's own, no other
    frames = re.findall(r'File "([^"]+)", line \d+', output)
    assert frames, output
    assert all(frame.startswith(str(package / "src" / "broken")) for frame in frames), output
    assert f"    {line}\n" in output, output  # the line of the package's code that failed
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{service.url}/ready", timeout=5)


def test_a_package_that_imports_serves_from_its_console_script(
    scorer_package: Path, serve: Serve, tmp_path: Path
) -> None:
    """``scorer serve``, as ``python -m scorer serve``: the module-level code runs once (one
    worker), calls are answered, a stop is exit 0. What it prints as it is imported comes
    after nbtools' first lines, as for ``nbtools serve``, where it came before them."""
    started = started_by("console script", scorer_package, tmp_path)
    service = serve(scorer_package, "--timeout", "5", **started)
    with service.client() as client:
        assert client.post("/predict", json={"x": 4}).json() == {"score": 8.0}
    output = service.stop()
    assert output.count("model loaded in") == 1, output
    assert output.index("nbtools.serve: listening on") < output.index("model loaded in"), output
    assert service.process.returncode == 0, output
    assert "Traceback" not in output


PARSE_ARGS = "import argparse\nargparse.ArgumentParser().parse_args()"


@pytest.mark.parametrize(
    ("where", "code", "workers", "exit_code", "entry"),
    [
        # the default module, imported with the package: argparse reads `nbtools serve …`
        ("export", PARSE_ARGS, "1", "2", "nbtools serve"),
        ("export", PARSE_ARGS, "2", "2", "nbtools serve"),
        ("export other", PARSE_ARGS, "1", "2", "nbtools serve"),
        # a module only the app's start-up (its lifespan) imports: the served function's
        ("export other", "import sys\nsys.exit('bye')", "1", "bye", "nbtools serve"),
        # imported by Python before the package's own serve command runs
        ("export", PARSE_ARGS, "1", "2", "python -m"),
        ("export", PARSE_ARGS, "2", "2", "console script"),
    ],
)
def test_module_code_ending_the_process_is_a_failed_start_up_told_once(
    notebook_factory: NotebookFactory,
    tmp_path: Path,
    serve: Serve,
    where: str,
    code: str,
    workers: str,
    exit_code: str,
    entry: str,
) -> None:
    """argparse's ``parse_args()`` at module level reads the service's own command line and
    exits 2 (after its usage message); ``sys.exit`` in a module the lifespan imports was
    uvicorn's "Exception in 'lifespan' protocol" traceback. Each is one entry, exit 3, and
    no worker started again. argparse's usage message, another program's, came before that
    entry, as if nbtools' own: it is in the entry, after its first line, indented (under
    ``python -m PACKAGE serve`` and the console script too, where it came first)."""
    cells = [
        ("code", f"#| {where}\n{code}\ndef f(x: int) -> int:\n    return x", ["serve"]),
        ("code", "n = 1", ["export"]),
        ("code", "y = n", ["main"]),  # a pipeline: the package has a console script
    ]
    package = extract(notebook_factory("broken.ipynb", cells), tmp_path / "broken-pkg")
    service = serve(package, "--workers", workers, **started_by(entry, package, tmp_path))
    output = service.stop()
    assert service.process.returncode == 3, output
    entries = re.findall(r"^ERROR: nbtools\.serve: start-up of broken failed: (.*)$", output, re.M)
    assert entries, output
    assert entries == [f"SystemExit: {exit_code} {ENDED}"] * len(entries), output
    assert len(entries) <= int(workers), output  # each worker once: none started again
    assert " died" not in output, output  # uvicorn's word for a worker it starts again
    assert "lifespan" not in output, output  # uvicorn's traceback of a failed lifespan
    if "argparse" in code:
        assert not re.search(r"^\S*(usage|error):", output, re.M), output  # none on its own
        printed = re.findall(
            r"^ERROR: nbtools\.serve: start-up of broken failed: .*\n"
            r"  broken printed as it was imported:\n"
            r"    usage: \S+ \[-h\]\n"
            rf"    \S+: error: unrecognized arguments: serve .*--workers {workers}\b.*\n"
            r"Traceback ",
            output,
            re.M,
        )
        assert len(printed) == len(entries), output
