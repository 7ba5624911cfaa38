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
Only the code of cells that may import the package is read (:mod:`.own_code` names it): this
module is loaded for a notebook that has some.
"""

import ast
from collections.abc import Iterator
from typing import Any, NamedTuple

from nbtools.export.names import analyze


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
