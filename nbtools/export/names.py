"""Static name analysis with :mod:`ast`: which names code binds, reads without binding, imports.

The analysis follows Python's scoping rules closely enough to find names a cell relies on from
elsewhere in the notebook: functions, lambdas, classes (whose bindings methods do not see),
comprehensions, ``global``/``nonlocal``, walrus targets, ``except … as``, ``match`` captures.
It is flow-insensitive within one piece of code: a name bound anywhere in a scope counts as bound.
"""

import ast
import builtins
from collections.abc import Callable
from typing import Any, NamedTuple

#: Names every Python module can read without binding them.
BUILTIN_NAMES = frozenset(dir(builtins)) | {"__file__", "__name__", "__doc__", "__spec__"}


class StarImport(NamedTuple):
    """A ``from SOURCE import *``: its line and the module as written (``.x`` if relative)."""

    line: int
    source: str


class Names(NamedTuple):
    """What a piece of code binds at its top level and what it reads from outside."""

    bound: set[str]
    free: dict[str, int]
    #: Every star import of the code, nested ones included, in source order.
    star_imports: list[StarImport]
    #: The top-level import statement each name comes from, for names no other statement
    #: binds at the top level (``from typing import Any`` then ``Any = 5`` is not ``typing``'s).
    imports: dict[str, ast.stmt]
    #: The top-level names of the modules absolute imports name (``numpy`` for ``import
    #: numpy.linalg``), nested imports included.
    modules: set[str]
    #: Some import, nested ones included, is relative (``from .core import f``).
    relative: bool
    #: Names the code binds at its top level that its functions and classes read (``limit``
    #: in ``limit = 5`` then ``def f(): return limit``).
    inner: frozenset[str] = frozenset()
    #: The line of the first ``await``, ``async for``, ``async with`` or async comprehension
    #: outside any function (IPython's top-level await; Python refuses it in a module or a
    #: plain function); 0 when there is none.
    awaits: int = 0

    def external(self) -> dict[str, int]:
        """Free names that are not builtins, with the first line that reads each."""
        return {name: line for name, line in self.free.items() if name not in BUILTIN_NAMES}


class _Scope:
    def __init__(self, kind: str, parent: "_Scope | None") -> None:
        self.kind = kind
        self.parent = parent
        self.bound: set[str] = set()
        self.uses: dict[str, int] = {}
        self.declared_global: set[str] = set()
        self.children: list[_Scope] = []

    def use(self, name: str, line: int) -> None:
        self.uses.setdefault(name, line)

    def free(self, inner: set[str] | None = None) -> dict[str, int]:
        """Names this scope and the scopes inside it read but do not bind; ``inner`` collects
        the names scopes inside it read that it binds."""
        result: dict[str, int] = {}
        for name, line in self.uses.items():
            if name in self.declared_global or name not in self.bound:
                result.setdefault(name, line)
        for child in self.children:
            for name, line in child.free().items():
                visible = self.kind != "class" and name not in self.declared_global
                if not (visible and name in self.bound):
                    result.setdefault(name, line)
                elif inner is not None:
                    inner.add(name)
        return result


class _Visitor(ast.NodeVisitor):
    def __init__(self) -> None:
        self.module = _Scope("module", None)
        self.scope = self.module
        self.star_imports: list[StarImport] = []
        self.imports: dict[str, ast.stmt] = {}
        #: Top-level names some statement binds other than their import in ``imports``.
        self.rebound: set[str] = set()
        self.modules: set[str] = set()
        self.relative = False
        #: How many functions (and lambdas) the visit is inside.
        self.functions = 0
        self.awaits = 0

    # scopes -------------------------------------------------------------------------------
    def _enter(self, kind: str) -> _Scope:
        child = _Scope(kind, self.scope)
        self.scope.children.append(child)
        self.scope = child
        return child

    def _leave(self, scope: _Scope) -> None:
        assert scope.parent is not None
        self.scope = scope.parent

    def _bind(
        self, name: str, scope: _Scope | None = None, imported: ast.stmt | None = None
    ) -> None:
        """Bind ``name`` in ``scope`` (the current one by default): by ``imported``, an import
        statement of the code's top level, or by anything else."""
        target = scope or self.scope
        if name in target.declared_global:
            target = self.module
        target.bound.add(name)
        if target is self.module:
            if imported is None:
                self.rebound.add(name)
            elif ast.dump(self.imports.setdefault(name, imported)) != ast.dump(imported):
                self.rebound.add(name)  # two imports: which one binds it depends on the flow

    # traversal (faster than NodeVisitor's, which looks up methods by name and checks for
    # deprecated visitors on every constant): names, constants and attribute chains, nearly
    # two thirds of the nodes of real code, are handled inline without a call ----------------
    def visit(self, node: ast.AST) -> None:
        kind = type(node)
        while kind is ast.Attribute:
            node = node.value  # type: ignore[attr-defined]
            kind = type(node)
        if kind is ast.Name:
            self._name(node)  # type: ignore[arg-type]
        elif kind is not ast.Constant:
            method = _DISPATCH.get(kind)
            if method is None:
                self.generic_visit(node)
            else:
                method(self, node)

    def generic_visit(self, node: ast.AST) -> None:
        kind = type(node)
        fields = _CHILD_FIELDS.get(kind)
        if fields is None:
            fields = _CHILD_FIELDS[kind] = tuple(f for f in kind._fields if f not in _NO_NAMES)
        child: Any
        for field in fields:  # visit() inlined: one call fewer per child
            value = getattr(node, field, None)
            for child in value if isinstance(value, list) else (value,):
                child_kind: type = type(child)
                while child_kind is ast.Attribute:
                    child = child.value
                    child_kind = type(child)
                if child_kind is ast.Name:
                    self._name(child)
                elif child_kind is not ast.Constant:
                    method = _DISPATCH.get(child_kind)
                    if method is not None:
                        method(self, child)
                    elif isinstance(child, ast.AST):
                        self.generic_visit(child)

    # names ------------------------------------------------------------------------------------
    def _name(self, node: ast.Name) -> None:
        context = type(node.ctx)
        if context is ast.Load:
            uses = self.scope.uses
            if node.id not in uses:
                uses[node.id] = node.lineno
        elif context is ast.Store:
            self._bind(node.id)

    def visit_Call(self, node: ast.Call) -> None:
        self.visit(node.func)
        for argument in node.args:
            self.visit(argument)
        for keyword in node.keywords:
            self.visit(keyword.value)

    def _awaiting(self, node: ast.AST) -> None:
        """``node`` awaits: outside a function, it is a top-level await."""
        if not (self.functions or self.awaits):
            self.awaits = getattr(node, "lineno", 0)

    def visit_Await(self, node: ast.Await) -> None:
        self._awaiting(node)
        self.visit(node.value)

    def visit_AsyncFor(self, node: ast.AsyncFor) -> None:
        self._awaiting(node)
        self.generic_visit(node)

    def visit_AsyncWith(self, node: ast.AsyncWith) -> None:
        self._awaiting(node)
        self.generic_visit(node)

    def visit_Global(self, node: ast.Global) -> None:
        self.scope.declared_global.update(node.names)

    def visit_Nonlocal(self, node: ast.Nonlocal) -> None:
        for name in node.names:
            self.scope.use(name, node.lineno)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.modules.add(alias.name.split(".")[0])
            name = alias.asname or alias.name.split(".")[0]
            at_top = self.scope is self.module
            self._bind(name, imported=ast.Import(names=[alias]) if at_top else None)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level == 0 and node.module:
            self.modules.add(node.module.split(".")[0])
        elif node.level:
            self.relative = True
        for alias in node.names:
            if alias.name == "*":
                source = "." * node.level + (node.module or "")
                self.star_imports.append(StarImport(node.lineno, source))
                continue
            name = alias.asname or alias.name
            at_top = self.scope is self.module
            statement = ast.ImportFrom(module=node.module, names=[alias], level=node.level)
            self._bind(name, imported=statement if at_top else None)

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.name:
            self._bind(node.name)
        self.generic_visit(node)

    def visit_MatchAs(self, node: ast.MatchAs) -> None:
        if node.name:
            self._bind(node.name)
        self.generic_visit(node)

    def visit_MatchStar(self, node: ast.MatchStar) -> None:
        if node.name:
            self._bind(node.name)

    def visit_MatchMapping(self, node: ast.MatchMapping) -> None:
        if node.rest:
            self._bind(node.rest)
        self.generic_visit(node)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        scope = self.scope
        while scope.kind == "comprehension" and scope.parent is not None:
            scope = scope.parent
        assert isinstance(node.target, ast.Name)
        self._bind(node.target.id, scope)

    # definitions ----------------------------------------------------------------------------
    def _arguments_outside(self, args: ast.arguments, named: list[ast.arg]) -> None:
        """Visit what a function's arguments (``named``: :func:`_all_args`) read where the
        function is defined: defaults and annotations."""
        for default in [*args.defaults, *args.kw_defaults]:
            if default is not None:
                self.visit(default)
        for arg in named:
            if arg.annotation is not None:
                self.visit(arg.annotation)

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for decorator in node.decorator_list:
            self.visit(decorator)
        named = _all_args(node.args)
        self._arguments_outside(node.args, named)
        if node.returns is not None:
            self.visit(node.returns)
        self._bind(node.name)
        scope = self._enter("function")
        scope.bound.update(arg.arg for arg in named)
        self.functions += 1
        for statement in node.body:
            self.visit(statement)
        self.functions -= 1
        self._leave(scope)

    visit_FunctionDef = _function
    visit_AsyncFunctionDef = _function

    def visit_Lambda(self, node: ast.Lambda) -> None:
        named = _all_args(node.args)
        self._arguments_outside(node.args, named)
        scope = self._enter("function")
        scope.bound.update(arg.arg for arg in named)
        self.functions += 1
        self.visit(node.body)
        self.functions -= 1
        self._leave(scope)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for child in [*node.decorator_list, *node.bases, *node.keywords]:
            self.visit(child)
        self._bind(node.name)
        scope = self._enter("class")
        for statement in node.body:
            self.visit(statement)
        self._leave(scope)

    def _comprehension(self, generators: list[ast.comprehension], *results: ast.expr) -> None:
        if any(generator.is_async for generator in generators):
            self._awaiting(generators[0].iter)
        self.visit(generators[0].iter)
        scope = self._enter("comprehension")
        for index, generator in enumerate(generators):
            if index:
                self.visit(generator.iter)
            self.visit(generator.target)
            for condition in generator.ifs:
                self.visit(condition)
        for result in results:
            self.visit(result)
        self._leave(scope)

    def visit_ListComp(self, node: ast.ListComp) -> None:
        self._comprehension(node.generators, node.elt)

    def visit_SetComp(self, node: ast.SetComp) -> None:
        self._comprehension(node.generators, node.elt)

    def visit_GeneratorExp(self, node: ast.GeneratorExp) -> None:
        self._comprehension(node.generators, node.elt)

    def visit_DictComp(self, node: ast.DictComp) -> None:
        self._comprehension(node.generators, node.key, node.value)


_DISPATCH: dict[type, Callable[[_Visitor, Any], None]] = {
    getattr(ast, name[len("visit_") :]): method
    for name, method in vars(_Visitor).items()
    if name.startswith("visit_") and hasattr(ast, name[len("visit_") :])
}


#: Fields that never hold a node with a name in it: identifiers, flags, contexts, operators.
_NO_NAMES = frozenset(
    {"ctx", "op", "ops", "attr", "type_comment", "conversion", "simple", "is_async", "level"}
)
#: Per node type, the fields generic_visit looks into (filled as types are met).
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def _all_args(args: ast.arguments) -> list[ast.arg]:
    extra = [arg for arg in (args.vararg, args.kwarg) if arg is not None]
    return [*args.posonlyargs, *args.args, *extra, *args.kwonlyargs]


def analyze(tree: ast.Module) -> Names:
    """Bindings, free names, star imports and import statements of a parsed module."""
    visitor = _Visitor()
    for statement in tree.body:
        visitor.visit(statement)
    inner: set[str] = set()
    return Names(
        bound=visitor.module.bound,
        free=visitor.module.free(inner),
        star_imports=visitor.star_imports,
        imports={n: s for n, s in visitor.imports.items() if n not in visitor.rebound},
        modules=visitor.modules,
        relative=visitor.relative,
        inner=frozenset(inner),
        awaits=visitor.awaits,
    )


def binding_line(tree: ast.Module, name: str) -> int:
    """The first line of the first top-level statement of ``tree`` binding ``name`` (0 if
    none binds it), for a problem about that binding."""
    for statement in tree.body:
        if name in analyze(ast.Module(body=[statement], type_ignores=[])).bound:
            return statement.lineno
    return 0
