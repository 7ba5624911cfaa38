"""``nbtools init``: a starter kit showing the tags, CI's check mode, a pre-commit hook and
a served pipeline (the ``main`` cell is also tagged ``serve``: ``POST /run``)."""

from __future__ import annotations

import json
import os
import re
import shlex
from pathlib import Path

NOTEBOOK = "example.ipynb"
PACKAGE_DIR = "packages/example"
_COMMAND = f"nbtools extract {NOTEBOOK} -o {PACKAGE_DIR}"

_CELLS: list[tuple[str, str, list[str]]] = [
    (
        "markdown",
        "# Example pipeline\n\n> Cleans numbers and summarises them.\n\n"
        "Cells tagged `parameters`, `export`, `main` and `test` become a package with "
        f"`{_COMMAND}`; untagged cells stay in the notebook. The `main` cell is also tagged "
        f"`serve`: `nbtools serve {PACKAGE_DIR}` answers `POST /run` with the parameters as "
        'its body (`{"values": [1, null, 5]}`) and what the cell records.',
        [],
    ),
    ("code", 'values = [3, None, 7, 5]\nlabel = "demo"', ["parameters"]),
    (
        "code",
        "def clean(values: list[float | None]) -> list[float]:\n"
        '    """Drop missing values."""\n'
        "    return [v for v in values if v is not None]\n\n\n"
        "def summarise(values: list[float]) -> dict[str, float]:\n"
        '    """Count, mean and maximum of the values."""\n'
        '    return {"count": len(values), "mean": sum(values) / len(values), "max": max(values)}',
        ["export"],
    ),
    (
        "code",
        "from nbtools import record  # in a run, a metric; in the package, what run() returns\n\n"
        'summary = summarise(clean(values))\nprint(label, summary)\nrecord("summary", summary)',
        ["main", "serve"],
    ),
    (
        "code",
        "assert clean([1, None, 2]) == [1, 2]\n"
        'assert summarise([1.0, 3.0]) == {"count": 2, "mean": 2.0, "max": 3.0}',
        ["test"],
    ),
    ("markdown", "Scratch work below is not exported.", []),
    ("code", "summarise(clean([1.5, None, 2.5]))", []),
]


def _check(package: str) -> str:
    """The command checking the package: with its name, so that every environment checks the
    package under the name it was written with (docs/export.md, "A stable package name")."""
    return f"{_COMMAND} --name {package} --check"


def workflow(package: str, folder: str = "") -> str:
    """The GitHub Actions workflow checking the package ``package`` in ``folder`` (the kit's
    directory, relative to the repository's top, where GitHub reads workflows; "" for the
    top)."""
    where = f" in {folder}" if folder else ""
    defaults = f"defaults:\n  run:\n    working-directory: {json.dumps(folder)}\n" if folder else ""
    return f"""\
# Checks that the package in {PACKAGE_DIR}{where} matches {NOTEBOOK} and that its tests pass.
name: notebook package{f" ({folder})" if folder else ""}
on: [push, pull_request]
{defaults}jobs:
  extract-check:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      - name: Install nbtools, and the package with its dependencies, test and serve extras
        run: pip install jupyter-nbtools "./{PACKAGE_DIR}[test,serve]"
      - name: Package is up to date with the notebook, and its tests pass
        run: {_check(package)} --test
"""


def pre_commit(package: str, folder: str = "") -> str:
    """The pre-commit config refusing commits whose package ``package`` is stale (pre-commit
    runs hooks at the repository's top: a kit in ``folder`` is checked from there)."""
    files = f"({NOTEBOOK.replace('.', '[.]')}|{PACKAGE_DIR}/.*)"
    entry = _check(package)
    if folder:
        files = f"{re.escape(folder + '/')}{files}"
        entry = json.dumps(f"sh -c {shlex.quote(f'cd {shlex.quote(folder)} && {entry}')}")
    return f"""\
# pre-commit install  (https://pre-commit.com): refuses commits whose package is stale.
repos:
  - repo: local
    hooks:
      - id: nbtools-extract-check
        name: package matches {folder + "/" if folder else ""}{NOTEBOOK}
        entry: {entry}
        language: system
        files: {json.dumps(f"^{files}$") if folder else f"^{files}$"}
        pass_filenames: false
"""


def example_notebook() -> str:
    """The example notebook's JSON text (nbformat 4.5, stable cell ids)."""
    cells = []
    for index, (cell_type, source, tags) in enumerate(_CELLS):
        cell: dict[str, object] = {
            "cell_type": cell_type,
            "id": f"example-{index}",
            "metadata": {"tags": tags} if tags else {},
            "source": source.splitlines(keepends=True),
        }
        if cell_type == "code":
            cell |= {"execution_count": None, "outputs": []}
        cells.append(cell)
    notebook = {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(notebook, indent=1) + "\n"


def workflow_path(folder: str = "") -> str:
    """Where the workflow of a kit in ``folder`` goes: one per folder, so kits in two
    folders of one repository are each checked."""
    if not folder:
        return ".github/workflows/nbtools.yml"
    return f".github/workflows/nbtools-{re.sub(r'[^A-Za-z0-9_.]+', '-', folder).strip('-')}.yml"


def ignore_in_git(store_dir: Path) -> Path | None:
    """Have git ignore ``store_dir`` (nbtools' own files: the SQLite store, its locks, the
    version packs) with a line ``NAME/`` in the ``.gitignore`` beside it, made or appended to;
    that file when it changed, None when a line of it ignored the folder already."""
    gitignore = store_dir.parent / ".gitignore"
    name = store_dir.name
    try:
        text = gitignore.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    ignoring = {name, f"{name}/", f"/{name}", f"/{name}/"}
    if any(line.strip() in ignoring for line in text.splitlines()):
        return None
    gap = "\n" if text and not text.endswith("\n") else ""
    with gitignore.open("a", encoding="utf-8") as file:
        file.write(f"{gap}{name}/\n")
    return gitignore


def write_starter(
    directory: Path, package: str, top: Path | None = None
) -> tuple[list[str], list[str]]:
    """Write the kit into ``directory``: the example notebook there, the CI workflow and the
    pre-commit config checking its package, named ``package``, at ``top`` (the repository's
    top, at or above ``directory``; default: ``directory``). Returns (written, kept because
    they already existed), as paths relative to ``directory``."""
    top = (top or directory).resolve()
    folder = directory.resolve().relative_to(top).as_posix().removeprefix(".")
    files = {
        directory / NOTEBOOK: example_notebook(),
        top / workflow_path(folder): workflow(package, folder),
        top / ".pre-commit-config.yaml": pre_commit(package, folder),
    }
    written, kept = [], []
    for target, text in files.items():
        shown = os.path.relpath(target, directory)
        if target.exists():
            kept.append(shown)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        written.append(shown)
    return written, kept
