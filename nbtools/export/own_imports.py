"""The package importing itself: the imports of its own modules that the cells write.

Code in a package imports the package's other modules as ``from .b import f``, ``from pkg.b
import f``, ``from . import b``, ``from pkg import f``, ``import pkg.b`` (then ``pkg.b.f``) or
``import pkg.b as b``; a notebook's cells may write the same. :func:`read_imports` reads each
such import of a piece of code with where it points (a module of the package, named relative
to it: ``""`` is the package itself, ``data.load`` its module) and what decides whether it can
fail: it runs when its module is imported (at the top level, in a class body, under an ``if``;
not inside a function or under ``if __name__ == "__main__":``, which run later if ever; never
under ``if TYPE_CHECKING:``, which is for type checkers only), a ``try`` around it may catch its
failure, and its module has bound some names before it.
:func:`read_module_reads` finds, in the code a module runs when imported, the names read of a
module of the package it took as a whole (``b.f``, ``pkg.b.f``), which fail while that module
is still being imported (:mod:`.cycles`).
"""

import ast
from collections.abc import Iterator
from typing import Any, NamedTuple

from nbtools.export.model import Cell
from nbtools.export.names import analyze
from nbtools.export.naming import MODULE_ATTRIBUTES
from nbtools.export.parse import Parsed
from nbtools.export.plan import PIPELINE_FUNCTION, Plan
from nbtools.export.render.modules import module_path


class OwnImport(NamedTuple):
    """One import of the package by its own code (one module of ``import pkg.a, pkg.b``)."""

    #: Where it starts in the code (1-based line, 0-based column).
    line: int
    column: int
    #: The statement, as Python shows it back (``from .b import f``).
    text: str
    #: The module it imports or imports from, relative to the package (``""``: the package;
    #: ``data.load``), or ``None`` when its dots climb above the package.
    module: str | None
    #: A ``from`` import's names, each with the name it binds (``from . import b as c``:
    #: ``("b", "c")``; ``("*", "*")`` for a star import); empty for an ``import``.
    names: tuple[tuple[str, str], ...]
    #: An ``import``'s name and the module that name is (``import pkg.b``: ``("pkg", "")``;
    #: ``import pkg.b as b``: ``("b", "b")``); ``None`` for a ``from`` import.
    binds: tuple[str, str] | None
    #: It runs when its module is imported (not only once a function is called).
    at_import: bool
    #: The exceptions ``try`` statements around it catch (a bare ``except:`` catches
    #: ``BaseException``), by class name.
    caught: frozenset[str]
    #: The names the code binds before it runs (its top-level statements before it).
    before: frozenset[str]

    def guarded(self, error: type[BaseException]) -> bool:
        return _catches(self.caught, error)


class ModuleRead(NamedTuple):
    """A read of names of a module taken whole (``b.f``, ``pkg.b.f``) when its code is imported."""

    line: int
    column: int
    #: The name the module is bound to (``b``, ``pkg``), and the attributes read of it, in order.
    root: str
    attributes: tuple[str, ...]
    caught: frozenset[str]

    def guarded(self, error: type[BaseException]) -> bool:
        return _catches(self.caught, error)


def _catches(caught: frozenset[str], error: type[BaseException]) -> bool:
    return any(base.__name__ in caught for base in error.__mro__)


def imports_itself(parsed: Parsed, package: str) -> bool:
    """Whether the cell may import the package (its name analysis saw a relative import or an
    absolute one of the package), so that only such cells are read again."""
    return parsed.names.relative or package in parsed.names.modules


class OwnCode(NamedTuple):
    """A cell's code that may import the package (:func:`own_code`)."""

    cell: Cell
    tree: ast.Module
    #: The package folder its relative imports start from (``None``: code outside the
    #: package, a test file's).
    folder: str | None


def own_code(plan: Plan) -> list[OwnCode]:
    """The code of each cell that may import the package (:func:`imports_itself`), with the
    folder its relative imports start from where the package puts it."""
    codes: list[OwnCode] = []
    folders = set(plan.modules)
    for module in plan.modules.values():
        for parsed in module.cells:
            if imports_itself(parsed, plan.package):
                folder = module_folder(module.name, folders)
                codes.append(OwnCode(parsed.cell, parsed.tree, folder))
    for parsed in plan.main:  # run(), in pipeline.py
        if imports_itself(parsed, plan.package):
            codes.append(OwnCode(parsed.cell, parsed.tree, ""))
    for parsed in plan.tests:  # the tests' files, outside the package
        if imports_itself(parsed, plan.package):
            codes.append(OwnCode(parsed.cell, parsed.tree, None))
    own: list[ast.stmt] = [i for i in plan.parameter_imports if _of_package(i, plan.package)]
    if own and plan.parameters_cell is not None:  # run() too
        codes.append(OwnCode(plan.parameters_cell, ast.Module(body=own, type_ignores=[]), ""))
    return codes


def _of_package(statement: ast.Import | ast.ImportFrom, package: str) -> bool:
    if isinstance(statement, ast.Import):
        return any(alias.name.partition(".")[0] == package for alias in statement.names)
    return bool(statement.level) or (statement.module or "").partition(".")[0] == package


def submodule(module: str, name: str) -> str:
    """The module ``name`` inside ``module`` (``""``: the package)."""
    return f"{module}.{name}" if module else name


def module_folder(name: str, all_names: set[str]) -> str:
    """The package (relative, dotted) a module's file is in: where its relative imports start."""
    return ".".join(module_path(name, all_names).split("/")[:-1])


class _Reader:
    """One walk of a piece of code, statement by statement, as Python would run it."""

    def __init__(self, package: str, folder: str | None, roots: set[str], future: bool) -> None:
        self.package, self.folder, self.roots, self.future = package, folder, roots, future
        self.imports: list[OwnImport] = []
        self.reads: list[ModuleRead] = []
        self.bound: set[str] = set()
        #: Names bound at the top level other than by an import statement.
        self.assigned: set[str] = set()

    def block(
        self, body: list[ast.stmt], at_import: bool, caught: frozenset[str], top: bool
    ) -> None:
        """``body``'s statements; ``top``: they bind names of the module (not of a function or
        a class)."""
        for statement in body:
            self._statement(statement, at_import, caught, top)
            if top:
                bound = analyze(ast.Module(body=[statement], type_ignores=[])).bound
                self.bound |= bound
                if not isinstance(statement, (ast.Import, ast.ImportFrom, *_BLOCKS)):
                    self.assigned |= bound
                else:
                    self.assigned |= _header_names(statement)

    def _statement(
        self, node: ast.stmt, at_import: bool, caught: frozenset[str], top: bool
    ) -> None:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            self._import(node, at_import, caught)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            arguments = node.args
            evaluated: list[ast.expr | None] = [
                *node.decorator_list,
                *arguments.defaults,
                *arguments.kw_defaults,
            ]
            if not self.future:
                every = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
                every += [a for a in (arguments.vararg, arguments.kwarg) if a is not None]
                evaluated += [node.returns, *(a.annotation for a in every)]
            self._expressions(evaluated, at_import, caught)
            self.block(node.body, False, frozenset(), False)  # runs when called
        elif isinstance(node, ast.ClassDef):
            keywords = [keyword.value for keyword in node.keywords]
            self._expressions([*node.decorator_list, *node.bases, *keywords], at_import, caught)
            self.block(node.body, at_import, caught, False)
        elif isinstance(node, ast.If) and _type_checking(node.test):
            self.block(node.orelse, at_import, caught, top)
        elif isinstance(node, ast.If) and _as_script(node.test):  # not when imported
            self.block(node.body, False, caught, False)
            self.block(node.orelse, at_import, caught, top)
        elif isinstance(node, ast.AnnAssign) and self.future:
            self._expressions([node.target, node.value], at_import, caught)
        elif hasattr(node, "handlers"):  # try (and try/except* since Python 3.11)
            try_node: Any = node
            handlers: list[ast.ExceptHandler] = try_node.handlers
            guarded = caught | {name for h in handlers for name in _caught_names(h.type)}
            self.block(try_node.body, at_import, guarded, top)
            for handler in handlers:
                self._expressions([handler.type], at_import, caught)
                self.block(handler.body, at_import, caught, top)
            self.block(try_node.orelse, at_import, caught, top)
            self.block(try_node.finalbody, at_import, caught, top)
        else:
            self._fields(node, at_import, caught, top)

    def _fields(self, node: ast.AST, at_import: bool, caught: frozenset[str], top: bool) -> None:
        """The parts of any other statement, in order: its blocks, cases and expressions."""
        for _, value in ast.iter_fields(node):
            items = value if isinstance(value, list) else [value]
            if items and all(isinstance(item, ast.stmt) for item in items):
                self.block(items, at_import, caught, top)
                continue
            for item in items:
                if isinstance(item, ast.match_case):
                    self._expressions([item.pattern, item.guard], at_import, caught)
                    self.block(item.body, at_import, caught, top)
                elif isinstance(item, ast.AST):
                    self._expressions([item], at_import, caught)

    def _import(
        self, node: ast.Import | ast.ImportFrom, at_import: bool, caught: frozenset[str]
    ) -> None:
        before = frozenset(self.bound)
        if isinstance(node, ast.Import):
            for alias in node.names:
                module = self._own(alias.name)
                if module is None:
                    continue
                binds = (alias.asname, module) if alias.asname else (self.package, "")
                text = ast.unparse(ast.Import(names=[alias]))
                self.imports.append(
                    OwnImport(
                        node.lineno,
                        node.col_offset,
                        text,
                        module,
                        (),
                        binds,
                        at_import,
                        caught,
                        before,
                    )
                )
            return
        if node.level:
            if self.folder is None:
                return  # code outside the package: no relative import means the package
            found = _relative(self.folder, node.level, node.module)
        elif node.module is None or (found := self._own(node.module)) is None:
            return
        names = tuple((a.name, a.asname or a.name) for a in node.names)
        self.imports.append(
            OwnImport(
                node.lineno,
                node.col_offset,
                ast.unparse(node),
                found,
                names,
                None,
                at_import,
                caught,
                before,
            )
        )

    def _own(self, dotted: str) -> str | None:
        """The module of the package an absolute name is, or ``None`` if it is another's."""
        top, _, rest = dotted.partition(".")
        return rest if top == self.package else None

    def _expressions(self, nodes: list[Any], at_import: bool, caught: frozenset[str]) -> None:
        """Find the reads of :attr:`roots` in expressions evaluated when the code runs."""
        if not at_import or not self.roots:
            return
        stack: list[ast.AST] = [node for node in nodes if node is not None]
        while stack:
            node = stack.pop()
            if isinstance(node, ast.Attribute):
                chain, inner = _attribute_chain(node)
                if isinstance(inner, ast.Name) and inner.id in self.roots:
                    if chain:
                        self.reads.append(
                            ModuleRead(node.lineno, node.col_offset, inner.id, chain, caught)
                        )
                    continue
                stack.append(inner)
            elif isinstance(node, ast.Lambda):  # its body runs when called
                stack += [d for d in [*node.args.defaults, *node.args.kw_defaults] if d]
            else:
                stack += ast.iter_child_nodes(node)


#: Statements whose blocks bind names of the module (their statements are read one by one).
_BLOCKS: tuple[type[ast.stmt], ...] = (
    ast.If,
    ast.For,
    ast.AsyncFor,
    ast.While,
    ast.With,
    ast.AsyncWith,
    ast.Try,
    ast.Match,
    *((ast.TryStar,) if hasattr(ast, "TryStar") else ()),  # Python 3.11
)


def _header_names(statement: ast.stmt) -> set[str]:
    """The names a statement holding blocks binds itself: a ``for`` target, ``with … as``,
    ``except … as``."""
    if isinstance(statement, (ast.For, ast.AsyncFor)):
        targets: list[ast.expr | None] = [statement.target]
    elif isinstance(statement, (ast.With, ast.AsyncWith)):
        targets = [item.optional_vars for item in statement.items]
    else:
        handlers = getattr(statement, "handlers", [])
        return {handler.name for handler in handlers if handler.name}
    return {
        node.id
        for target in targets
        if target is not None
        for node in ast.walk(target)
        if isinstance(node, ast.Name)
    }


def _attribute_chain(node: ast.Attribute) -> tuple[tuple[str, ...], ast.expr]:
    """The attributes read along ``a.b.c`` (``b``, ``c``; not the last one when it is
    assigned or deleted) and the expression they are read of (``a``)."""
    chain: list[str] = []
    inner: ast.expr = node
    while isinstance(inner, ast.Attribute):
        chain.append(inner.attr)
        inner = inner.value
    chain.reverse()
    if not isinstance(node.ctx, ast.Load):
        chain.pop()
    return tuple(chain), inner


def _relative(folder: str, level: int, module: str | None) -> str | None:
    """The module a relative import names from the package ``folder`` (``None`` if its dots
    climb above the package)."""
    parts = folder.split(".") if folder else []
    if level - 1 > len(parts):
        return None
    base = parts[: len(parts) - (level - 1)]
    return ".".join([*base, *(module.split(".") if module else [])])


def _type_checking(test: ast.expr) -> bool:
    """``if TYPE_CHECKING:`` (or ``typing.TYPE_CHECKING``): true for type checkers only."""
    if isinstance(test, ast.Attribute):
        return test.attr == "TYPE_CHECKING"
    return isinstance(test, ast.Name) and test.id == "TYPE_CHECKING"


def _as_script(test: ast.expr) -> bool:
    """``if __name__ == "__main__":``: true when the module runs as a script only."""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1):
        return False
    sides = {test.left, test.comparators[0]}
    names = {side.id for side in sides if isinstance(side, ast.Name)}
    values = {side.value for side in sides if isinstance(side, ast.Constant)}
    return isinstance(test.ops[0], ast.Eq) and names == {"__name__"} and values == {"__main__"}


def _caught_names(handled: ast.expr | None) -> Iterator[str]:
    """The class names an ``except`` clause catches (``BaseException`` for a bare one)."""
    if handled is None:
        yield "BaseException"
    elif isinstance(handled, ast.Tuple):
        for element in handled.elts:
            yield from _caught_names(element)
    elif isinstance(handled, ast.Attribute):
        yield handled.attr
    elif isinstance(handled, ast.Name):
        yield handled.id


class CodeImports(NamedTuple):
    """What :func:`read_imports` finds in a piece of code."""

    imports: list[OwnImport]
    #: The names the code binds at its top level other than by an import statement.
    assigned: frozenset[str]


def read_imports(tree: ast.Module, package: str, folder: str | None) -> CodeImports:
    """The imports of ``package`` in ``tree``, code of the package's folder ``folder`` (dotted,
    relative to the package; ``None`` for code outside the package, whose relative imports
    are not the package's)."""
    reader = _Reader(package, folder, set(), future=False)
    reader.block(tree.body, True, frozenset(), True)
    return CodeImports(reader.imports, frozenset(reader.assigned))


def read_module_reads(tree: ast.Module, roots: set[str], future: bool) -> list[ModuleRead]:
    """The reads of names of ``roots`` (names bound to modules of the package) in what
    ``tree`` runs when imported; ``future``: its module imports ``annotations`` from
    ``__future__``, so annotations are not evaluated."""
    reader = _Reader("", None, roots, future)
    reader.block(tree.body, True, frozenset(), True)
    return reader.reads


def init_names(plan: Plan, main_module: str) -> frozenset[str]:
    """The names the generated ``__init__.py`` of the package binds (besides its modules):
    ``__version__``, the public names of the main module, ``run`` with a pipeline."""
    main = plan.modules.get(main_module)
    names = {"__version__", *(main.public if main is not None else [])}
    if plan.has_pipeline:
        names.add(PIPELINE_FUNCTION)
    return frozenset(names)


def generated_names(plan: Plan, main_module: str) -> dict[str, frozenset[str]]:
    """What the modules nbtools writes the ``__init__.py`` of bind once imported (besides
    their modules), by module: the package (:func:`init_names`) and its
    :func:`generated_folders`."""
    given = dict.fromkeys(generated_folders(plan), MODULE_ATTRIBUTES)
    given[""] = MODULE_ATTRIBUTES | init_names(plan, main_module)
    return given


def generated_folders(plan: Plan) -> set[str]:
    """The package (``""``) and the folders holding the notebook's modules that hold no code
    of the notebook (``data`` for ``export:data.load`` alone): nbtools writes their
    ``__init__.py``, so what they give is known."""
    folders = {""}
    for name in plan.modules:
        parts = name.split(".")
        folders.update(".".join(parts[:n]) for n in range(1, len(parts)))
    return folders - set(plan.modules)


def package_modules(plan: Plan, serves: bool) -> set[str]:
    """The modules of the generated package, relative to it: ``""`` (its ``__init__``), each
    module of the notebook and the packages holding them, and the generated ones (``serves``:
    the package has a ``service.py``)."""
    modules = {""}
    for name in plan.modules:
        parts = name.split(".")
        modules.update(".".join(parts[:n]) for n in range(1, len(parts) + 1))
    if plan.has_pipeline:
        modules |= {"pipeline", "__main__"}
    if serves:
        modules |= {"service", "__main__"}
    return modules
