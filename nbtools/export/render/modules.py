"""Rendering the package's code modules and its ``__init__.py``."""

from __future__ import annotations

from itertools import dropwhile, takewhile

from nbtools.export.model import Source
from nbtools.export.modules import Module
from nbtools.export.plan import Plan
from nbtools.export.render.common import (
    block_comment,
    docstring,
    from_import,
    header,
    py_str,
    python_list,
)
from nbtools.export.source import make_imports_relative, sibling_module


def title_and_summary(markdown: list[str]) -> tuple[str, str]:
    """The first ``# Title`` markdown cell's title and its ``> summary`` lines (nbdev's rule)."""
    first = next((text for text in markdown if text.startswith("# ")), "")
    lines = first.splitlines()
    title = lines[0][2:].strip() if lines else ""
    quoted = takewhile(
        lambda line: line.startswith("> "),
        dropwhile(lambda line: not line.startswith("> "), lines),
    )
    summary = "\n".join(line.lstrip("> ").strip() for line in quoted).strip()
    return title, summary


def module_summary(plan: Plan, name: str, default: bool) -> str:
    """The docstring of module ``name`` (``default``: the package's main module): the summary
    of the notebook whose main module it is, for a set of notebooks, as nbdev writes it; of
    the notebook, for its main module alone, for one notebook."""
    if plan.summaries is not None:
        return plan.summaries.get(name, "")
    return title_and_summary(plan.markdown)[1] if default else ""


def module_path(name: str, all_names: set[str]) -> str:
    """The file of module ``name`` inside the package directory."""
    parts = name.split(".")
    if any(other.startswith(name + ".") for other in all_names):
        return "/".join([*parts, "__init__.py"])
    return "/".join(parts) + ".py"


def module_package(plan: Plan, name: str, all_names: set[str]) -> str:
    """The dotted package a module's file lives in (what its relative imports start from)."""
    path = module_path(name, all_names)
    return ".".join([plan.package, *path.split("/")[:-1]])


def render_module(plan: Plan, module: Module, source: Source, default: bool) -> str:
    """A module: header, docstring, ``__future__`` cells, ``__all__``, imports, cells."""
    names = set(plan.modules)
    here = module_package(plan, module.name, names)
    parts = [header(source)]
    summary = module_summary(plan, module.name, default)
    if summary:
        parts.append(docstring(summary))
    blocks = []
    for parsed in module.cells:
        code = parsed.cell.code
        if not code.strip():
            blocks.append("")
            continue
        if parsed.cell.public:
            code = make_imports_relative(code, parsed.outline.from_imports, plan.package, here)
        blocks.append(f"\n\n{block_comment(source, parsed.cell)}\n{code}")
    head = len(module.head())
    parts += blocks[:head]
    parts.append(f"\n\n# %% generated: the names this module exports\n{python_list(module.public)}")
    if module.siblings:
        parts.append(
            "\n\n# %% generated: names this module uses from other modules of the notebook"
        )
        for name, other in sorted(module.siblings.items()):
            target = sibling_module(plan.package, other, here)
            parts.append(f"\nfrom {target} import {name}")
    parts += blocks[head:]
    parts.append("\n")
    return "".join(parts)


def render_init(
    plan: Plan, source: Source, default_module: str, version: str, serves: bool = False
) -> str:
    """The package's ``__init__.py``: version, the default module's exports and ``run``;
    with ``serves``, they are imported inside :func:`nbtools.serve.importing` when the
    package's serve command imports it (:func:`_served_imports`)."""
    title = title_and_summary(plan.markdown)[0] or f"Package generated from {source.name}."
    lines = [header(source), docstring(title), "", f"__version__ = {py_str(version)}", ""]
    imports: list[str] = []
    exported: list[str] = []
    default = plan.modules.get(default_module)
    if default and default.public:
        target = sibling_module(plan.package, default_module, plan.package)
        imports.append(from_import(target, default.public))
        exported += default.public
    if plan.has_pipeline:
        imports.append("from .pipeline import run")
        exported.append("run")
    lines += _served_imports(imports) if serves and imports else imports
    if exported:
        lines += ["", python_list(list(dict.fromkeys(exported)))]
    return "\n".join(lines).rstrip("\n") + "\n"


def _served_imports(imports: list[str]) -> list[str]:
    """``imports`` (the notebook's module-level code runs there) inside
    :func:`nbtools.serve.importing` when the command line may be the package's serve command
    and nbtools is installed: Python imports the package before its ``__main__`` or console
    script reads the command, so nbtools holds what they print for after the service's first
    lines, and tells their failure as the service's failed start-up (one log entry and exit
    3, not Python's traceback and exit 1, nor, for ``sys.exit()``, its code with no word).
    Imported any other way, the package imports as Python does."""
    return [
        "import sys",
        "from contextlib import nullcontext as importing",
        "from importlib.util import find_spec",
        "",
        'if sys.argv[1:2] == ["serve"] and find_spec("nbtools") is not None:',
        "    # its serve command, perhaps: nbtools holds what the imports print until the",
        "    # service has started, and tells their failure as the service's failed start-up",
        "    from nbtools.serve import importing",
        "",
        "with importing(__name__):",
        *(f"    {line}" for text in imports for line in text.splitlines()),
    ]


def render_modules(
    plan: Plan, source: Source, default_module: str, version: str, serves: bool = False
) -> dict[str, str]:
    """Every file under ``src/<package>/`` that holds notebook code, by relative path
    (``serves``: the package has a service)."""
    root = f"src/{plan.package}"
    names = set(plan.modules)
    files = {f"{root}/__init__.py": render_init(plan, source, default_module, version, serves)}
    for module in plan.modules.values():
        path = module_path(module.name, names)
        files[f"{root}/{path}"] = render_module(plan, module, source, module.name == default_module)
        parents = path.split("/")[:-1]
        for depth in range(1, len(parents) + 1):
            package_init = f"{root}/{'/'.join(parents[:depth])}/__init__.py"
            files.setdefault(package_init, header(source))
    return files
