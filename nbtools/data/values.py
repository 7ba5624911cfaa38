"""What a notebook's data calls read, with its names followed as far as a static reader can
follow them soundly (docs/governance.md, "What a notebook uses").

A reader's location (or ``nbtools.data.path``'s name) is *folded* from literals: a string or
bytes, an f-string or ``+`` of them, ``pathlib.Path(…)`` (``PurePath``, ``PosixPath``) and its
``/`` and ``joinpath``, ``os.path.join``, ``str()``/``os.fspath()``, and a name holding such a
value. What ``nbtools.data.path``/``open`` or a reader returned (``with
nbtools.data.open("x") as f``, ``p = nbtools.data.path("x")``) is counted at that call: a
reader given it reads nothing more.

A name holds a value through simple assignments (``name = value``, ``name: T = value``,
``name += value``, ``(name := value)``), followed in the order the cells run, across cells, and
in order inside a block (a cell, a ``with`` body, one branch). A name bound any other way
(a loop, ``with … as``, ``import … as``, ``del``, unpacking, a function's parameter) holds no
known value from there on; a name bound inside an ``if``/``for``/``while``/``try``/``with``/
``match`` holds none after it (the block may run zero, one or many times). Code in a function
(or lambda, generator) runs when called: it sees its own straight-line assignments and the
notebook's *constants*, names bound exactly once in the whole notebook, by a simple assignment.
Nothing is followed past what could bind any name unseen: a star import (other than
``nbtools.data``'s), a magic other than those listed in :data:`QUIET_MAGICS` (``%run`` runs a
script in the notebook's namespace), a cell that is not Python; and no name at all when the
notebook writes its namespace itself (``exec``, ``eval``, ``globals()``, ``vars()``,
``locals()``) or declares a name ``global`` in a function (that name only).

A location that cannot be folded is *unresolved*: the check cannot tell what the call reads.
"""

from __future__ import annotations

import ast
import os
import posixpath
from collections.abc import Iterable, Sequence
from pathlib import PurePosixPath

from nbtools.data.bindings import Bindings, magic_effects, star_import
from nbtools.data.calls import argument, location

_PATH_TYPES = ("Path", "PurePath", "PosixPath", "PurePosixPath")
_BUFFERS = ("StringIO", "BytesIO")
_COMPOUND: tuple[type[ast.stmt], ...] = (
    ast.If,
    ast.For,
    ast.AsyncFor,
    ast.While,
    ast.Try,
    ast.With,
    ast.AsyncWith,
    ast.Match,
    *((ast.TryStar,) if hasattr(ast, "TryStar") else ()),  # Python 3.11
)
_CALLS_SHOWN = 80


class Text:
    """A value known before the run: text, or a ``pathlib`` path (``/`` joins it)."""

    __slots__ = ("path", "text")

    def __init__(self, text: str, path: bool = False) -> None:
        self.text, self.path = text, path


class Mark:
    """A value that names no location to check: :data:`USED`, :data:`OTHER`."""

    __slots__ = ()


#: What a reader or ``nbtools.data`` returned: checked at that call.
USED = Mark()
#: A number (a file descriptor), an in-memory buffer.
OTHER = Mark()
#: What the check knows a name or an expression holds: ``None`` when nothing.
Value = Text | Mark | None
Env = dict[str, Value]
#: A data call: ``(kind, value, cell, line)``, the kind ``dataset`` (a dataset's name),
#: ``path``, or ``unresolved`` (a call whose location is not known before the run, the value
#: the call as written). Plain tuples: the extraction imports this module (no class to create).
Read = tuple[str, str, int, int]
#: A code cell read: its position in the notebook, its syntax trees (the cell's, then the code
#: its magics run) with the cell line of their first line, and whether some of it is not Python.
Cell = tuple[int, Sequence[tuple[ast.Module, int]], bool]


def follow(cells: Sequence[Cell], facts: Bindings) -> tuple[list[Read], bool]:
    """The data calls of ``cells`` (in the order they run), and whether a location was read
    from a name (then the answer holds only if ``cells`` are all the notebook's code cells).
    ``facts`` learns the cells' trees (a tree it read already is not read again)."""
    for _, trees, broken in cells:
        facts.unseen |= broken
        for tree, _ in trees:
            facts.read(tree)
    walker = _Walker(facts)
    env: Env = {}
    for cell in cells:
        walker.cell(cell, env)
    walker.functions()
    return walker.reads, walker.named


class _Walker:
    """Reads the cells in order with what each name holds (``env``), then the code that runs
    later (:meth:`functions`), noting every data call's location."""

    def __init__(self, facts: Bindings) -> None:
        self.facts = facts
        self.reads: list[Read] = []
        #: Whether a data call's location was read from a name.
        self.named = False
        self.lookups = 0  # names looked up so far
        #: Code to read once the cells are, as it may run at any time: functions, lambdas,
        #: generators, the code magics run (node, cell, cell line of the node's first line).
        self.deferred: list[tuple[ast.AST, int, int]] = []
        #: The values simple assignments at the top level gave each name.
        self.assigned: dict[str, list[Value]] = {}
        #: What magics did, in order: ``None`` may have bound any name, else a name it may bind.
        self.effects: list[str | None] = []
        self.where = (0, 1)  # the cell, and the cell line of the tree's first line
        self.poisoned: frozenset[str] = frozenset()  # names the code of the cell's magics binds
        self.top = True  # at the top level of the notebook (not in a class or function)

    def cell(self, cell: Cell, env: Env) -> None:
        """Read a cell's own tree in order. The code its magics run (``%time x``, a ``%%time``
        body) runs somewhere in it: it is read as a function's is, and the names it binds hold
        no value in the cell nor after it."""
        position, trees, broken = cell
        if broken:
            env.clear()
        if trees:
            (main, first_line), nested = trees[0], trees[1:]
            self.poisoned = frozenset(name for tree, _ in nested for name in self.facts.bound(tree))
            self.where = (position, first_line)
            self.block(main.body, env)
            since = len(self.effects)
            for tree, line in nested:
                self.deferred.append((tree, position, line))
                self.effects += [
                    effect
                    for node in ast.walk(tree)
                    if isinstance(node, ast.Call)
                    for effect in magic_effects(node)
                ]
            for name in self.poisoned:
                env.pop(name, None)
            self.poisoned = frozenset()
            self._apply(env, since)
        if broken:
            env.clear()

    def functions(self) -> None:
        """Read the deferred code with the notebook's constants: the names bound once in the
        whole notebook, by a simple assignment (any other binding, a parameter or a local name
        of a function included, is a second one)."""
        constants: Env = {}
        if not self.facts.unseen:
            constants = {
                name: values[0]
                for name, values in self.assigned.items()
                if len(values) == 1 and self.facts.counts[name] == 1
            }
        self.top = False
        while self.deferred:
            node, index, first_line = self.deferred.pop()
            self.where = (index, first_line)
            env = dict(constants)
            if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef)):
                self.block(node.body, env)
            elif isinstance(node, ast.Lambda):
                self.expression(node.body, env)
            else:  # a generator
                for child in ast.iter_child_nodes(node):
                    self.expression(child, env)

    def block(self, body: Iterable[ast.stmt], env: Env) -> None:
        for statement in body:
            self.statement(statement, env)

    def statement(self, node: ast.stmt, env: Env) -> None:
        """Read a statement, which runs now (only the parts calling a data function or a
        magic are looked into), and what it does to the names."""
        since, busy = len(self.effects), self.facts.busy(node)
        assignment = _assignment(node)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if busy:
                self._definition(node, env)
            env.pop(node.name, None)
        elif isinstance(node, _COMPOUND):
            for name in self.facts.bound(node):  # the block may run zero, one or many times
                env.pop(name, None)
            if isinstance(node, (ast.With, ast.AsyncWith)) and busy:
                self._with(node, env)
            for part in _parts(node) if busy else ():
                if isinstance(part, ast.expr):
                    self.expression(part, env)
                else:
                    self.block(part, dict(env))
        elif assignment is not None:
            targets, value = assignment
            self.expression(node, env)
            for name in self.facts.bound(node) - set(targets):  # ``(x := …)``
                env.pop(name, None)
            known = self.fold(value, env)
            self._apply(env, since)
            for name in targets:
                env[name] = known
                if self.top:
                    self.assigned.setdefault(name, []).append(known)
            return
        else:
            for name in self.facts.bound(node):
                env.pop(name, None)
            if isinstance(node, ast.ImportFrom) and star_import(node):
                env.clear()
            self.expression(node, env)
        self._apply(env, since)

    def _definition(
        self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef, env: Env
    ) -> None:
        now = list(node.decorator_list)  # what runs where it is defined
        if isinstance(node, ast.ClassDef):
            now += [*node.bases, *(keyword.value for keyword in node.keywords)]
        else:
            now += [*node.args.defaults, *filter(None, node.args.kw_defaults)]
        for part in now:
            self.expression(part, env)
        if isinstance(node, ast.ClassDef):  # its body runs now, in a namespace of its own
            top, self.top = self.top, False
            self.block(node.body, dict(env))
            self.top = top
        else:
            self.deferred.append((node, *self.where))

    def _with(self, node: ast.With | ast.AsyncWith, env: Env) -> None:
        """A ``with`` block runs once, in order: its items, then its body, where a name given
        what a data call returned (``with nbtools.data.open("x") as f``) holds it."""
        inner = dict(env)
        for item in node.items:
            self.expression(item.context_expr, inner)
            if isinstance(item.optional_vars, ast.Name):
                used = self.fold(item.context_expr, inner) is USED
                inner[item.optional_vars.id] = USED if used else None
        self.block(node.body, inner)

    def expression(self, node: ast.AST, env: Env) -> None:
        """Read the calls of data functions and magics in ``node``, which runs now."""
        busy = self.facts.busy
        stack = [node] if busy(node) else []
        while stack:
            item = stack.pop()
            if isinstance(item, (ast.Lambda, ast.GeneratorExp)):  # runs later
                if isinstance(item, ast.Lambda):
                    defaults = [*item.args.defaults, *item.args.kw_defaults]
                    stack += [part for part in defaults if part is not None and busy(part)]
                self.deferred.append((item, *self.where))
                continue
            if isinstance(item, (ast.ListComp, ast.SetComp, ast.DictComp)):
                own = self.facts.bound(item)
                inner = {name: value for name, value in env.items() if name not in own}
                for child in ast.iter_child_nodes(item):
                    self.expression(child, inner)
                continue
            if isinstance(item, ast.Call):
                self.call(item, env)
            stack.extend(child for child in ast.iter_child_nodes(item) if busy(child))

    def call(self, node: ast.Call, env: Env) -> None:
        self.effects += magic_effects(node)
        kind = self.facts.callees.kind(node.func)
        if kind is None:
            return
        given = argument(node, ("name",)) if kind == "declaring" else location(node)
        if given is None:
            return
        lookups = self.lookups
        value = self.fold(given, env)
        self.named |= self.lookups > lookups
        cell, line = self.where[0], self.where[1] + node.lineno - 1
        if isinstance(value, Text):
            self.reads.append(
                ("dataset" if kind == "declaring" else "path", value.text, cell, line)
            )
        elif value is None or kind == "declaring":
            self.reads.append(("unresolved", _shown(node), cell, line))

    def fold(self, node: ast.expr, env: Env) -> Value:
        """The value of ``node`` known before the run, if any."""
        try:
            return self._fold(node, env)
        except RecursionError:  # nested too deeply to follow
            return None

    def _fold(self, node: ast.expr, env: Env) -> Value:
        if isinstance(node, ast.Constant):
            if isinstance(node.value, str):
                return Text(node.value)
            return Text(os.fsdecode(node.value)) if isinstance(node.value, bytes) else OTHER
        if isinstance(node, ast.Name):
            self.lookups += 1
            blocked = self.facts.opaque or node.id in self.facts.declared_global
            return None if blocked or node.id in self.poisoned else env.get(node.id)
        if isinstance(node, ast.NamedExpr):
            return self._fold(node.value, env)
        if isinstance(node, ast.JoinedStr):
            parts = [self._formatted(part, env) for part in node.values]
            return (
                Text("".join(part for part in parts if part is not None))
                if None not in parts
                else None
            )
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Div)):
            left, right = self._fold(node.left, env), self._fold(node.right, env)
            if not (isinstance(left, Text) and isinstance(right, Text)):
                return None
            if isinstance(node.op, ast.Add):
                return None if left.path or right.path else Text(left.text + right.text)
            return _joined(left, right) if left.path or right.path else None
        if isinstance(node, ast.Call):
            return self._folded_call(node, env)
        return None

    def _formatted(self, node: ast.expr, env: Env) -> str | None:
        """A part of an f-string: its text, or ``None`` when not known (a format such as
        ``:>8`` or ``!r`` is not followed)."""
        if isinstance(node, ast.Constant):
            return str(node.value)
        if not isinstance(node, ast.FormattedValue) or node.format_spec:
            return None
        value = self._fold(node.value, env)
        return value.text if isinstance(value, Text) and node.conversion in (-1, 115) else None

    def _folded_call(self, node: ast.Call, env: Env) -> Value:
        if self.facts.callees.kind(node.func) is not None:
            return USED
        func = node.func
        name = _called(func)
        if name in _BUFFERS:
            return OTHER
        if node.keywords or any(isinstance(arg, ast.Starred) for arg in node.args):
            return None
        args = [self._fold(arg, env) for arg in node.args]
        texts = [arg for arg in args if isinstance(arg, Text)]
        if len(texts) != len(args):
            return None
        if name in _PATH_TYPES:
            return _joined(Text("."), *texts)
        if name == "join" and isinstance(func, ast.Attribute) and _is_os_path(func):
            return Text(posixpath.join(*(text.text for text in texts))) if texts else None
        if name in ("str", "fspath") and len(texts) == 1:
            return Text(texts[0].text)
        if name in ("joinpath", "resolve", "absolute") and isinstance(func, ast.Attribute):
            owner = self._fold(func.value, env)  # a path relative to the notebook's directory:
            if isinstance(owner, Text) and owner.path:  # resolved from there, as the run does
                return _joined(owner, *texts) if name == "joinpath" or not texts else None
        return None

    def _apply(self, env: Env, since: int) -> None:
        """What the magics run since ``since`` did to the names."""
        for effect in self.effects[since:]:
            if effect is None:
                env.clear()
            else:
                env.pop(effect, None)


def _joined(first: Text, *more: Text) -> Text:
    return Text(str(PurePosixPath(first.text, *(text.text for text in more))), True)


def _is_os_path(func: ast.Attribute) -> bool:
    """``os.path.join``, ``posixpath.join``."""
    owner = func.value
    return (isinstance(owner, ast.Attribute) and owner.attr == "path") or (
        isinstance(owner, ast.Name) and owner.id == "posixpath"
    )


def _called(func: ast.expr) -> str:
    """The called function's name: ``pathlib.Path`` → Path."""
    return (
        func.id
        if isinstance(func, ast.Name)
        else func.attr
        if isinstance(func, ast.Attribute)
        else ""
    )


def _assignment(node: ast.stmt) -> tuple[list[str], ast.expr] | None:
    """The names a simple assignment binds (``a = b = value``, ``a: T = value``, ``a +=
    value``) and the value it gives them, or ``None`` for any other statement."""
    if isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) for t in node.targets):
        return [t.id for t in node.targets if isinstance(t, ast.Name)], node.value
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value:
        return [node.target.id], node.value
    if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
        value = ast.BinOp(ast.Name(node.target.id, ast.Load()), node.op, node.value)
        return [node.target.id], ast.copy_location(value, node)
    return None


def _parts(node: ast.stmt) -> Iterable[ast.expr | list[ast.stmt]]:
    """A compound statement's expressions and blocks (a ``with`` statement's: none, see
    ``_with``), each block read from the names before the statement."""
    if isinstance(node, (ast.With, ast.AsyncWith)):
        return
    if isinstance(node, ast.Match):
        yield node.subject
        for case in node.cases:
            if case.guard is not None:
                yield case.guard
            yield case.body
        return
    if isinstance(node, (ast.If, ast.While)):
        yield node.test
    elif isinstance(node, (ast.For, ast.AsyncFor)):
        yield node.iter
    yield getattr(node, "body", [])
    for handler in getattr(node, "handlers", ()):
        if handler.type is not None:
            yield handler.type
        yield handler.body
    yield getattr(node, "orelse", [])
    yield getattr(node, "finalbody", [])


def _shown(node: ast.Call) -> str:
    """The call as written (IPython's reading of it), shortened."""
    try:
        text = ast.unparse(node)
    except RecursionError:
        text = "(a call nested too deeply to show)"
    return text if len(text) <= _CALLS_SHOWN else text[: _CALLS_SHOWN - 1] + "…"
