"""The shape of ``nbtools``: packages import downward only, and never the Jupyter server.

The layer order is the one ``docs/architecture.md`` states (its ``layers`` block, read here).
Imports are read from the source with ``ast`` (imports inside functions and under
``TYPE_CHECKING`` count too); each test also shows on a copy of the package, with a
temporary module added, that it would catch a violation.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import run_python

REPO = Path(__file__).resolve().parents[2]
ROOT = "nbtools"  # the top-level package; modules directly in it are a layer item each
SERVER = ("jupyter_server", "tornado", "jupyter_nbtools")


def layers() -> list[set[str]]:
    """The packages of each layer, lowest first, from docs/architecture.md."""
    text = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    block = text.split("<!-- layers -->", 1)[1].split("```", 2)[1]
    lines = [line.split("#", 1)[0].split() for line in block.splitlines()[1:]]
    return [set(names) for names in reversed(lines) if names]


def modules(root: Path) -> Iterator[tuple[str, Path]]:
    """(dotted name, file) of every module of the package under ``root``."""
    for path in sorted((root / ROOT).rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield ".".join(parts), path


def item(module: str) -> str:
    """The layer item a module belongs to: ``nbtools.jobs.runs`` → ``jobs``; the package's
    own ``__init__`` is ``nbtools``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ROOT


def imports(module: str, path: Path, known: set[str]) -> Iterator[tuple[int, str]]:
    """(line, imported module) of every import of an ``nbtools`` module in the file;
    ``known``: the dotted names of the package's modules."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            # ``from nbtools import versioning`` imports the module nbtools.versioning
            names = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                for alias in node.names
            ]
        else:
            continue
        for name in names:
            if name == ROOT or name.startswith(ROOT + "."):
                yield node.lineno, name


def violations(root: Path) -> list[str]:
    """Imports from a higher layer, imports of items no layer lists, and cycles between items."""
    order = {name: level for level, names in enumerate(layers()) for name in names}
    found: list[str] = []
    graph: dict[str, set[str]] = {}
    found_modules = list(modules(root))
    known = {name for name, _ in found_modules}
    for module, path in found_modules:
        source = item(module)
        if source not in order:
            found.append(f"{module}: {source!r} is in no layer of docs/architecture.md")
            continue
        for line, target in imports(module, path, known):
            dest = item(target)
            if dest == source:
                continue
            graph.setdefault(source, set()).add(dest)
            if order.get(dest, len(order)) > order[source]:
                rel = path.relative_to(root)
                found.append(f"{rel}:{line} imports {target} from a higher layer ({dest})")
    found += [f"import cycle: {' -> '.join(cycle)}" for cycle in cycles(graph)]
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle through each strongly connected group of items (depth-first search)."""
    found: list[list[str]] = []
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> None:
        if node in path:
            found.append([*path[path.index(node) :], node])
            return
        if node in done:
            return
        for dest in sorted(graph.get(node, ())):
            visit(dest, [*path, node])
        done.add(node)

    for node in sorted(graph):
        visit(node, [])
    return found


def copy_with(tmp_path: Path, module: str, source: str) -> Path:
    """A copy of the ``nbtools`` package with one more module; returns the copy's root."""
    shutil.copytree(REPO / ROOT, tmp_path / ROOT, ignore=shutil.ignore_patterns("__pycache__"))
    path = tmp_path.joinpath(*module.split(".")).with_suffix(".py")
    path.write_text(source, encoding="utf-8")
    return tmp_path


def test_every_layer_item_exists_and_is_listed_once() -> None:
    listed = [name for names in layers() for name in names]
    assert len(listed) == len(set(listed))
    present = {item(module) for module, _ in modules(REPO)}
    assert present == set(listed)


def test_packages_import_only_downward_and_without_cycles() -> None:
    assert violations(REPO) == []


def test_an_upward_import_inside_a_function_is_caught(tmp_path: Path) -> None:
    probe = "def describe() -> None:\n    from nbtools.lineage.runs import runs_lineage\n"
    root = copy_with(tmp_path, "nbtools.jobs.probe", probe)
    assert violations(root) == [
        "nbtools/jobs/probe.py:2 imports nbtools.lineage.runs from a higher layer (lineage)",
        "import cycle: jobs -> lineage -> jobs",
    ]


def test_a_cycle_within_a_layer_is_caught(tmp_path: Path) -> None:
    root = copy_with(tmp_path, "nbtools.metrics.probe", "from nbtools.lineage import runs\n")
    (root / "nbtools" / "lineage" / "probe.py").write_text("from ..metrics import values\n")
    assert violations(root) == ["import cycle: lineage -> metrics -> lineage"]


IMPORT_ALL = """
import importlib, json, pkgutil, sys
import nbtools
failed = {}
for info in pkgutil.walk_packages(nbtools.__path__, "nbtools."):
    if info.name == "nbtools.store.migrations.env":  # Alembic's script: runs a migration
        continue
    try:
        importlib.import_module(info.name)
    except Exception as error:
        failed[info.name] = repr(error)
print(json.dumps({"failed": failed, "server": [m for m in SERVER if m in sys.modules]}))
"""


def import_everything(root: Path) -> dict[str, object]:
    """Import every module of the ``nbtools`` under ``root`` in a fresh interpreter."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    code = f"SERVER = {SERVER!r}\n{IMPORT_ALL}"
    result = run_python(code, env=env, cwd=root)
    report: dict[str, object] = json.loads(result.stdout.splitlines()[-1])
    return report


def test_no_module_imports_the_jupyter_server() -> None:
    assert import_everything(REPO) == {"failed": {}, "server": []}


@pytest.mark.parametrize("name", ["tornado", "jupyter_server"])
def test_a_module_importing_the_server_is_caught(tmp_path: Path, name: str) -> None:
    root = copy_with(tmp_path, "nbtools.export.probe", f"import {name}\n")
    assert import_everything(root)["server"] == [name]


def test_no_module_names_the_server_in_an_import() -> None:
    """Imports inside functions, which importing every module does not run, count too."""
    named = [
        f"{path.relative_to(REPO)}:{node.lineno}"
        for _, path in modules(REPO)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Import | ast.ImportFrom)
        for name in (
            [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
        )
        if name and name.split(".")[0] in SERVER
    ]
    assert named == []


#: Handlers and commands that reach these features only through the packages' faces.
FACES = ("envsnap", "lineage", "data", "jobs", "export", "versioning", "metrics")
FACE_CALLERS = (
    "server/jupyter_nbtools/handlers/env.py",
    "server/jupyter_nbtools/handlers/lineage.py",
    "server/jupyter_nbtools/handlers/datasets.py",
    "server/jupyter_nbtools/handlers/job_inputs.py",
    "server/jupyter_nbtools/handlers/extract.py",
    "server/jupyter_nbtools/handlers/versions.py",
    "server/jupyter_nbtools/handlers/jobs.py",
    "server/jupyter_nbtools/handlers/runs.py",
    "server/jupyter_nbtools/handlers/alerts.py",
    "server/jupyter_nbtools/handlers/metrics.py",
    "nbtools/cli/env.py",
    "nbtools/cli/data.py",
    "nbtools/cli/extract.py",
    "nbtools/cli/version.py",
    "nbtools/cli/schedule.py",
    "nbtools/cli/alerts.py",
    "nbtools/cli/metrics.py",
    "nbtools/cli/init.py",
    "nbtools/cli/run.py",
    "nbtools/cli/reproduce.py",
    "nbtools/cli/runs.py",
    "nbtools/cli/scheduler.py",
    "nbtools/cli/serve.py",
    "nbtools/cli/presence.py",
    "nbtools/cli/store.py",
    "nbtools/status.py",
)


def behind_faces(path: Path) -> list[str]:
    """``file:line module`` of each import of a module inside one of :data:`FACES`."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if len(parts) > 2 and parts[0] == ROOT and parts[1] in FACES:
                found.append(f"{path.name}:{node.lineno} {name}")
    return found


def test_handlers_and_commands_call_the_faces_only() -> None:
    assert [hit for caller in FACE_CALLERS for hit in behind_faces(REPO / caller)] == []


def test_an_import_behind_a_face_is_caught(tmp_path: Path) -> None:
    caller = tmp_path / "handler.py"
    caller.write_text(
        "from nbtools import envsnap\n"
        "def get():\n"
        "    from nbtools.envsnap.files import read_file\n"
        "    import nbtools.data.usage\n"
    )
    assert behind_faces(caller) == [
        "handler.py:3 nbtools.envsnap.files",
        "handler.py:4 nbtools.data.usage",
    ]
