"""Extraction as one function: notebook in, package files and problems out (nothing written)."""

import contextlib
import gc
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from nbtools._version import __version__
from nbtools.digest import sha256_hex
from nbtools.errors import InvalidInputError
from nbtools.export import deps
from nbtools.export.cells import check_exportable, classify
from nbtools.export.cycles import import_cycles
from nbtools.export.model import EXPORT, Cell, Classified, Problem, Source, manifest_text
from nbtools.export.modules import DEFAULT_MODULE
from nbtools.export.names import analyze
from nbtools.export.namespace import namespace_problems
from nbtools.export.naming import (
    check_package_name,
    name_hiding_no_library,
    suggest_package_name,
)
from nbtools.export.own_code import own_code
from nbtools.export.plan import Plan, build_plan
from nbtools.export.render.modules import module_summary, render_modules
from nbtools.export.render.project import render_pyproject, render_readme
from nbtools.export.toplevel import module_future_problems
from nbtools.notebooks import Notebook, cell_source, cell_tags
from nbtools.pycode import parse_code

if TYPE_CHECKING:
    from nbtools.export.serving import Served

#: The version of a new package when none is given.
DEFAULT_VERSION = "0.1.0"
#: What a manifest's ``generator`` says: nbtools wrote the package.
GENERATOR = "nbtools extract"
#: PEP 440's public versions. Only a version given or kept is checked (the default is one):
#: compiled by re's cache on first use.
_VERSION = r"^\d+(\.\d+)*((a|b|rc)\d+)?(\.post\d+)?(\.dev\d+)?$"


class ExtractOptions(NamedTuple):
    """What the user chooses: the package name (default: from the notebook), its version
    (default: :data:`DEFAULT_VERSION`; :func:`~nbtools.export.api.run_extract` keeps the
    name and version of the package already in its output), and the purpose its data is used for (checked before extracting: ``nbtools.data``), which
    the manifest records and a service of the package serves for (docs/serving.md)."""

    package: str | None = None
    version: str | None = None
    purpose: str | None = None


class Extraction:
    """The package as files (relative path → text), the problems, and how it was planned;
    ``served``: the functions served over HTTP (docs/serving.md), in notebook order;
    ``purpose``: what its data is used for (None: not said)."""

    __slots__ = (
        "default_module",
        "dependencies",
        "files",
        "package",
        "plan",
        "problems",
        "purpose",
        "served",
        "source",
    )

    def __init__(
        self,
        package: str,
        source: Source,
        files: dict[str, str],
        problems: list[Problem],
        plan: Plan,
        default_module: str,
        dependencies: dict[str, str],
        served: "tuple[Served, ...]" = (),
        purpose: str | None = None,
    ) -> None:
        self.package, self.source, self.files, self.problems = package, source, files, problems
        self.plan, self.default_module, self.dependencies = plan, default_module, dependencies
        self.served, self.purpose = served, purpose

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    def manifest(
        self,
        lineage: Mapping[str, Any] | None = None,
        notebook_path: str | None = None,
        others: Sequence[str] = (),
    ) -> str:
        """The manifest's text: the nbtools version writing it (:mod:`.framing`), generated
        files with their hashes, resolved pins, the purpose the package was extracted for
        (when one was given), the notebook's path from the package's directory
        (``../nbs/report.ipynb``), and the lineage (notebook version, environment) when it
        was recorded. For a set of notebooks, ``notebook_path`` is its first notebook's and
        ``others`` the other notebooks' paths: ``notebooks`` lists each one's name, path and
        fingerprint, in order."""
        body: dict[str, Any] = {
            "generator": GENERATOR,
            "nbtools_version": __version__,
            "notebook": self.source.name,
            "notebook_sha256": self.source.sha256,
            "package": self.package,
            "files": {path: sha256_text(text) for path, text in sorted(self.files.items())},
            "dependencies": dict(sorted(self.dependencies.items())),
        }
        if self.purpose is not None:
            body["purpose"] = self.purpose
        if notebook_path is not None:
            body["notebook_path"] = notebook_path
        if self.source.members:
            paths = [notebook_path, *others] if notebook_path is not None else []
            body["notebooks"] = [
                {"notebook": m.name, "notebook_sha256": m.sha256}
                | ({"notebook_path": paths[k]} if paths else {})
                for k, m in enumerate(self.source.members)
            ]
        if lineage is not None:
            body["lineage"] = dict(lineage)
        return manifest_text(body)

    def cells(self) -> list[dict[str, Any]]:
        """Each exported cell's role and target module, for overviews."""
        cells = [
            *(p.cell for m in self.plan.modules.values() for p in m.cells),
            *(p.cell for p in self.plan.main),
            *(p.cell for p in self.plan.tests),
        ]
        return [
            {
                **({"notebook": c.origin.name} if c.origin else {}),
                "cell": c.number - 1,
                "cell_id": c.id,
                "role": c.role,
                "module": (c.module or self.default_module) if c.role == EXPORT else None,
            }
            for c in sorted(cells, key=lambda c: c.index)
        ]


def sha256_text(text: str) -> str:
    return sha256_hex(text.encode())


def fingerprint(nb: Notebook) -> str:
    """sha256 of what extraction reads: each cell's type, id, tags and source.

    Outputs and execution counts are left out, so re-running a notebook does not make its
    package stale.
    """
    cells = [
        [raw["cell_type"], str(raw.get("id", "")), cell_tags(raw), cell_source(raw)]
        for raw in nb["cells"]
    ]
    nbdev = nb.get("metadata", {}).get("nbdev")
    canonical = json.dumps([cells, nbdev], ensure_ascii=False, separators=(",", ":"))
    return sha256_text(canonical)


P = TypeVar("P", bound=PurePath)


def default_output(notebook: P, package: str | None = None) -> P:
    """Where ``notebook``'s package goes when no output is given (``nbtools extract`` without
    ``-o``, the wizard's first suggestion): beside the notebook, in a directory named as the
    package (``package``, refused when it cannot be one, else :func:`suggest_package_name` of
    the notebook's name)."""
    name = check_package_name(package) if package else suggest_package_name(notebook.stem)
    return notebook.parent / name


def is_version(text: str) -> bool:
    """Whether ``text`` is a version a package may have (PEP 440's public form)."""
    return re.match(_VERSION, text) is not None


def check_version(version: str) -> str:
    if not is_version(version):
        raise InvalidInputError(
            f"Invalid version {version!r}: use a PEP 440 version such as 0.1.0 or 1.2.0rc1.",
            version=version,
            field="version",
        )
    return version


@contextlib.contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """No automatic collection by the cyclic garbage collector inside the block.

    Extraction builds a syntax tree of every exported cell and keeps them to the end: hundreds
    of thousands of objects, none in a reference cycle that matters, which every full
    collection would traverse again as they grow (a quarter of the CPU time at 3000 cells;
    docs/performance.md). Collection resumes afterwards, unless it was off before.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def extract(
    nb: Notebook,
    notebook_name: str,
    options: ExtractOptions,
    previous_dependencies: dict[str, str] | None = None,
    processes: int = 1,
) -> Extraction:
    """Plan and render the package for ``nb``; nothing is written. ``processes``: how many
    processes may parse the cells (more than one only in a process that may fork:
    :mod:`nbtools.export.parallel`)."""
    name = notebook_name.rsplit("/", 1)[-1]
    with _cyclic_gc_paused():
        source = Source(name, fingerprint(nb))
        return _extract(nb, classify(nb), source, options, previous_dependencies, processes)


def extract_set(
    notebooks: Sequence[tuple[Path, Notebook]],
    options: ExtractOptions,
    previous_dependencies: dict[str, str] | None = None,
    processes: int = 1,
    names: Sequence[str] | None = None,
) -> Extraction:
    """:func:`extract` for a set of notebooks (path, content) making one package
    (:mod:`nbtools.export.notebook_set`; each named by
    :func:`~nbtools.export.notebook_set.member_names`, which refuses one named twice, unless
    ``names`` gives the names a package on disk has for them, :mod:`.renames`): its problems
    name each cell's notebook."""
    from nbtools.export.notebook_set import combine, localize, member_names, redefinitions

    if names is None:
        names = member_names([path for path, _ in notebooks])
    with _cyclic_gc_paused():
        nb, classified, source = combine(
            [(name, n, fingerprint(n)) for name, (_, n) in zip(names, notebooks, strict=True)]
        )
        # refused here, naming each cell in its notebook, rather than by the planner
        problems = localize(classified.problems, source)
        check_exportable(classified.cells, problems, "The notebooks have")
        extraction = _extract(nb, classified, source, options, previous_dependencies, processes)
    found = [*extraction.problems, *redefinitions(extraction.plan.modules.values())]
    found.sort(key=lambda p: (p.cell, p.line, p.code))
    extraction.problems = localize(found, source)
    return extraction


def _missing_modules(plan: Plan, main_module: str, serves: bool) -> list[Problem]:
    """The cells' imports of modules the package does not have; the check is imported only
    for a notebook whose cells import the package (most do not)."""
    codes = own_code(plan)
    if not codes:
        return []
    from nbtools.export.missing_modules import missing_modules

    return missing_modules(plan, codes, main_module, serves)


def _extract(
    nb: Notebook,
    classified: Classified,
    source: Source,
    options: ExtractOptions,
    previous_dependencies: dict[str, str] | None,
    processes: int,
) -> Extraction:
    # a set's default name is its first notebook's file name (not its path in the set)
    first = source.members[0].name.rsplit("/", 1)[-1] if source.members else source.name
    stem = first.removesuffix(".ipynb")
    package = check_package_name(options.package) if options.package else suggest_package_name(stem)
    version = DEFAULT_VERSION if options.version is None else check_version(options.version)
    plan = build_plan(nb, classified, package, processes)
    # the package's own code may import a library of that name: known once it is parsed
    plan.package = name_hiding_no_library(plan, options.package is not None)
    package = plan.package
    default = classified.default_module or DEFAULT_MODULE
    served, serve_problems = _served(plan, classified.cells)
    taken = namespace_problems(plan, default, bool(served))
    cycles = import_cycles(plan, default, bool(served))
    missing = _missing_modules(plan, default, bool(served))
    futures = _future_problems(plan, default)
    problems = sorted(
        [*plan.problems, *serve_problems, *taken, *cycles, *missing, *futures],
        key=lambda p: (p.cell, p.line, p.code),
    )
    exported = [
        m for module in plan.modules.values() for p in module.cells for m in p.names.modules
    ]
    used = [*exported, *_main_modules(plan)]
    tested = [m for p in plan.tests for m in p.names.modules]
    python = deps.python_range([*used, *tested])
    runtime = deps.third_party(used, package)
    testing = deps.third_party(tested, package) - runtime
    if python[0] > deps.FLOOR and (runtime or testing):  # a newer module's fallbacks are none
        runtime, testing = _without_fallbacks(plan, runtime, testing)
    resolved = deps.resolve(runtime | testing, previous_dependencies or {})
    problems += _unresolved_problems(plan, resolved)
    problems += _python_problems(plan, python)
    pins = {r.module: r.requirement for r in resolved if r.requirement}
    files = render_modules(plan, source, default, version, serves=bool(served))
    if plan.has_pipeline:  # imported only when needed, like the tests' renderer
        from nbtools.export.render.pipeline import render_main, render_pipeline

        files[f"src/{package}/pipeline.py"] = render_pipeline(plan, source)
        files[f"src/{package}/__main__.py"] = render_main(plan, source, bool(served))
    if served:
        from nbtools.export.render.service import (
            render_serve_main,
            render_service,
            render_service_tests,
        )

        files[f"src/{package}/service.py"] = render_service(plan, source, served)
        files[f"tests/test_{package}_service.py"] = render_service_tests(plan, source, served)
        files.setdefault(f"src/{package}/__main__.py", render_serve_main(plan, source))
    if plan.tests:
        from nbtools.export.render.tests import render_tests

        files[f"tests/test_{package}.py"] = render_tests(plan, source)
    files["pyproject.toml"] = render_pyproject(
        plan,
        source,
        version,
        deps.requires_python(python),
        sorted({pins[m] for m in runtime if m in pins}),
        sorted({pins[m] for m in testing if m in pins}),
        serves=bool(served),
    )
    files["README.md"] = render_readme(plan, source)
    return Extraction(
        package,
        source,
        {path: line_feeds(files[path]) for path in sorted(files)},
        problems,
        plan,
        default,
        pins,
        tuple(served),
        options.purpose or None,
    )


def line_feeds(text: str) -> str:
    """``text`` with every line ending in ``\\n``: a cell written with ``\\r\\n`` (Windows) or
    ``\\r`` line ends gives the same files as one written with ``\\n``. Python reads all three as
    one line end, in code and in its strings alike, so the code runs the same and its lines keep
    their numbers; the writer writes the text as it is, so the file on disk, its hash in the
    manifest and what ``--check`` compares are one text."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def _served(plan: Plan, cells: list[Cell]) -> "tuple[list[Served], list[Problem]]":
    """:func:`~nbtools.export.serving.find_served`, imported only for a notebook with a cell
    marked ``serve``, like the renderers of what only some packages have."""
    if not any(cell.serve for cell in cells):
        return [], []
    from nbtools.export.serving import find_served

    return find_served(plan, cells)


def _future_problems(plan: Plan, default: str) -> list[Problem]:
    """``from __future__`` imports that code of their module comes before (the default
    module's file opens with the notebook's summary as its docstring, if it has one)."""
    return [
        problem
        for module in plan.modules.values()
        for problem in module_future_problems(
            module, bool(module_summary(plan, module.name, module.name == default))
        )
    ]


def _main_modules(plan: Plan) -> list[str]:
    """Modules main cells import, as run() executes them: not nbtools for its record alone
    (run() provides it)."""
    if not plan.main:
        return []
    from nbtools.export.render.recording import run_code

    modules: list[str] = []
    for parsed in plan.main:
        names = parsed.names
        if "nbtools" in names.modules:
            names = analyze(parse_code(run_code(parsed)))
        modules += names.modules
    return modules


def _without_fallbacks(
    plan: Plan, runtime: set[str], testing: set[str]
) -> tuple[set[str], set[str]]:
    """``runtime`` and ``testing`` without the modules imported only for a Python older than
    the package runs on (:mod:`nbtools.export.fallbacks`)."""
    from nbtools.export.fallbacks import unused_fallbacks

    cells = [p for m in plan.modules.values() for p in m.cells] + plan.main + plan.tests
    unused = unused_fallbacks(cells, runtime | testing)
    return runtime - unused, testing - unused


def _importing(plan: Plan, module: str) -> Cell:
    """The first exported, ``main`` or ``test`` cell importing ``module``."""
    cells = [p for m in plan.modules.values() for p in m.cells] + plan.main + plan.tests
    return next(p.cell for p in cells if module in p.names.modules)


def _python_problems(plan: Plan, python: tuple[int, int | None]) -> list[Problem]:
    """A standard-library module added after another was removed: no Python has both."""
    lower, upper = python
    if upper is None or lower < upper:
        return []
    cells = [p for m in plan.modules.values() for p in m.cells] + plan.main + plan.tests
    modules = {m for p in cells for m in p.names.modules}
    newer = min(m for m in modules if deps.ADDED_IN.get(m) == lower)
    older = min(m for m in modules if deps.REMOVED_IN.get(m) == upper)
    cell = _importing(plan, newer)
    return [
        Problem(
            cell.index,
            cell.id,
            0,
            "python-version",
            f"No Python has both '{newer}' (in the standard library from Python 3.{lower}) "
            f"and '{older}' (removed in Python 3.{upper}): the package could run on none.",
            f"Import one of them only: '{older}' has replacements in the standard library "
            "or on PyPI.",
        )
    ]


def _unresolved_problems(plan: Plan, resolved: list[deps.Requirement]) -> list[Problem]:
    missing = {r.module for r in resolved if r.requirement is None}
    problems = []
    for module in sorted(missing):
        cell = _importing(plan, module)
        problems.append(
            Problem(
                cell.index,
                cell.id,
                0,
                "unresolved-import",
                f"No installed distribution provides '{module}', so pyproject.toml cannot list it.",
                "Install it in this environment and extract again.",
                severity="warning",
            )
        )
    return problems
