"""What a notebook's data calls read, with its names followed as far as a static reader can
follow them soundly (docs/governance.md, "What a notebook uses").

A reader's location (or ``nbtools.data.path``'s name) is *folded* from literals and the names
holding them (:mod:`nbtools.data.folding`). A call of a ``functools.partial`` reads what its
function, given the arguments the partial binds and the call's own, reads. A function taken by
a computed name (``getattr(pd, kind)``) is a reader when taken from a package holding readers
(:meth:`nbtools.data.calls.Callees.holds_readers`), a path or a name the notebook never binds:
its call is unresolved. A data function given to another call to call is followed where the
calls it makes can be told (``map(pd.read_csv, ("a.csv", "b.csv"))``, ``pool.submit(open,
loc)``: :func:`nbtools.data.calls.passed_calls`); elsewhere (``df.apply(open)``, a ``map`` over
what is not known) that call is unresolved.

A relative path is read from the working directory: the notebook's, or where a statement
``os.chdir(known)`` of the top level moved it; after any other change (a ``chdir`` in a block
or given an unknown path, ``%cd``, ``%run``, ``exec``, a cell not read whole) it is not known
until the next such statement, and in code that runs later (a function) it is known only when
nothing in the notebook changes it.

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
import builtins
import posixpath
from collections.abc import Iterable, Sequence

from nbtools.data.bindings import CWD, Bindings, magic_effects, star_import
from nbtools.data.calls import argument, attribute, is_mode, location, passed_calls
from nbtools.data.folding import (
    USED,
    Env,
    Folder,
    Held,
    Items,
    Mark,
    Partial,
    Text,
    Value,
    relative,
)
from nbtools.urls import is_url

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


#: A data call: ``(kind, value, cell, line)``, the kind ``dataset`` (a dataset's name),
#: ``path``, or ``unresolved`` (a call whose location is not known before the run, the value
#: the call as written). Plain tuples: the extraction imports this module (no class to create).
Read = tuple[str, str, int, int]
#: A code cell read: its position in the notebook, its syntax trees (the cell's, then the code
#: its magics run) with the cell line of their first line, and whether some of it is not Python.
Cell = tuple[int, Sequence[tuple[ast.Module, int]], bool]


def follow(cells: Sequence[Cell], facts: Bindings) -> tuple[list[Read], bool, bool]:
    """The data calls of ``cells`` (in the order they run); whether a location was read from a
    name or a function taken by a computed name was called (then the answer holds only if
    ``cells`` are all the notebook's code cells); and whether a relative path was read (then
    it holds only if ``cells`` hold every cell that may change the working directory).
    ``facts`` learns the cells' trees (a tree it read already is not read again)."""
    for _, trees, broken in cells:
        facts.unseen |= broken
        for tree, _ in trees:
            facts.read(tree)
    walker = _Walker(facts)
    env: Env = {CWD: Text("")}  # the notebook's directory
    for cell in cells:
        walker.cell(cell, env)
    walker.functions()
    return walker.reads, walker.named, walker.relative


class _Walker(Folder):
    """Reads the cells in order with what each name holds (``env``), then the code that runs
    later (:meth:`functions`), noting every data call's location."""

    def __init__(self, facts: Bindings) -> None:
        super().__init__(facts)
        self.reads: list[Read] = []
        #: Whether a data call's location was read from a name.
        self.named = False
        #: Whether a relative path was read.
        self.relative = False
        #: Code to read once the cells are, as it may run at any time: functions, lambdas,
        #: generators, the code magics run (node, cell, cell line of the node's first line).
        self.deferred: list[tuple[ast.AST, int, int]] = []
        #: The values simple assignments at the top level gave each name.
        self.assigned: dict[str, list[Value]] = {}
        #: What magics did, in order: ``None`` may have bound any name, else a name it may bind.
        self.effects: list[str | None] = []
        self.where = (0, 1)  # the cell, and the cell line of the tree's first line
        self.top = True  # at the top level of the notebook (not in a class or function)

    def cell(self, cell: Cell, env: Env) -> None:
        """Read a cell's own tree in order. The code its magics run (``%time x``, a ``%%time``
        body) runs somewhere in it: it is read as a function's is, and the names it binds hold
        no value in the cell nor after it."""
        position, trees, broken = cell
        if broken:
            _forget_names(env)
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
            _forget_names(env)

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
        if not self.facts.counts[CWD]:
            constants[CWD] = Text("")
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
            cwd = self._cwd(env)
            for name in self.facts.bound(node):
                env.pop(name, None)
            if isinstance(node, ast.ImportFrom) and star_import(node):
                _forget_names(env)
            self.expression(node, env)
            moves = CWD in self.facts.bound(node)
            if moves and isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
                self._chdir(node.value, cwd, env)
        self._apply(env, since)

    def _chdir(self, node: ast.Call, cwd: Value, env: Env) -> None:
        """The working directory after the statement ``node`` when it is ``os.chdir(path)``
        with a known path (anything else changing it left it unknown: it binds :data:`CWD`)."""
        made = self._made(node, env)
        if made is None or not (isinstance(cwd, Text) and _os_chdir(attribute(made.func))):
            return
        given, lookups = argument(made, ("path",)), self.lookups
        target = self.fold(given, env) if given is not None else None
        self.named |= self.lookups > lookups
        if isinstance(target, Text) and not is_url(target.text):
            env[CWD] = Text(posixpath.join(cwd.text, target.text))

    def _cwd(self, env: Env) -> Value:
        """The working directory, if known: a path from the notebook's directory."""
        if CWD in self.facts.declared_global or CWD in self.poisoned:
            return None  # a function changes it (it may run at any time); a magic's code
        return env.get(CWD)

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
        callees = self.facts.callees
        for func in callees.passed(node):
            self._passed(node, func, env)
        kind = callees.kind(node.func)
        if kind is None or kind == "directory":
            return
        cell, line = self.where[0], self.where[1] + node.lineno - 1
        owners = callees.owners(node.func)
        if owners:  # taken by a computed name: a reader if taken from what holds readers
            self.named = True  # the imports naming its owner may be in any cell
            if any(self._holds_readers(owner, env) for owner in owners):
                self.reads.append(("unresolved", _shown(node), cell, line))
                return
        if kind == "computed":
            return
        lookups = self.lookups
        made = self._made(node, env)
        value: Value = None  # a partial not known
        if made is not None:
            given = argument(made, ("name",)) if kind == "declaring" else location(made)
            if given is None:
                return
            value = self.fold(given, env) if kind == "declaring" else self._read(made, given, env)
        self.named |= self.lookups > lookups
        if isinstance(value, Text):
            self.reads.append(
                ("dataset" if kind == "declaring" else "path", value.text, cell, line)
            )
        elif kind == "declaring" or not isinstance(value, Mark):
            self.reads.append(("unresolved", _shown(node), cell, line))

    def _passed(self, node: ast.Call, func: ast.expr, env: Env) -> None:
        """Read the calls ``node`` makes of ``func``, a data function it was given
        (:func:`~nbtools.data.calls.passed_calls`): ``map(pd.read_csv, ("a.csv", "b.csv"))``
        reads both; a call that cannot be told, or a location not known, is one unresolved
        call, ``node`` as written."""
        lookups, items = self.lookups, None
        if isinstance(node.func, ast.Name):  # ``map`` itself, unless a cell binds the name
            self.named = True
        rebound = isinstance(node.func, ast.Name) and self.facts.counts[node.func.id]
        if len(node.args) > 1 and not rebound:
            iterable = node.args[1]
            if isinstance(iterable, (ast.List, ast.Tuple, ast.Set)):  # written there
                if not any(isinstance(item, ast.Starred) for item in iterable.elts):
                    items = list(iterable.elts)
            elif isinstance(known := self.fold(iterable, env), Items):
                items = [Held(value) for value in known.values]
        self.named |= self.lookups > lookups
        start = len(self.reads)
        for made in passed_calls(node, func, items):
            self.call(made, env)
        made_reads = self.reads[start:]
        kept = [read for read in made_reads if read[0] != "unresolved"]
        self.reads[start:] = kept
        if len(kept) < len(made_reads):
            _, _, cell, line = made_reads[0]
            self.reads.append(("unresolved", _shown(node), cell, line))

    def _read(self, call: ast.Call, given: ast.expr, env: Env) -> Value:
        """What the reader's ``call`` reads, ``given`` as its location: for ``.open(mode)``
        with the mode held in a name, the path it is a method of; a relative path from the
        working directory (``None`` when that is not known)."""
        value = self.fold(given, env)
        func = attribute(call.func)
        if (
            isinstance(func, ast.Attribute)
            and func.attr == "open"
            and given is not func.value
            and isinstance(value, Text)
            and is_mode(value.text)
        ):
            value = self.fold(func.value, env)
        if not (isinstance(value, Text) and relative(value.text)):
            return value
        self.relative = True
        cwd = self._cwd(env)
        if not isinstance(cwd, Text):
            return None
        return Text(posixpath.join(cwd.text, value.text)) if cwd.text else value

    def _made(self, node: ast.Call, env: Env) -> ast.Call | None:
        """The call ``node`` makes: itself, or for a ``partial`` (written there or held in a
        name), its function given the arguments it binds and the call's (the call's keywords
        first: they win); ``None`` when the partial is not known."""
        func = attribute(node.func)
        if not (
            (isinstance(func, ast.Call) and self.facts.callees.partial_of(func) is not None)
            or (isinstance(func, ast.Name) and func.id in self.facts.callees.partials)
        ):
            return node
        made = self.fold(func, env)
        if not isinstance(made, Partial):
            return None
        bound = made.call
        call = ast.Call(bound.func, [*bound.args, *node.args], [*node.keywords, *bound.keywords])
        return ast.copy_location(call, node)

    def _holds_readers(self, owner: ast.expr, env: Env) -> bool:
        """Whether a function taken from ``owner`` by a computed name may be a reader: a
        package holding readers, a path, or a name the notebook never binds (a ``%run``
        script's, a start-up file's)."""
        root = owner
        while isinstance(root, ast.Attribute):
            root = root.value
        if isinstance(root, ast.Name) and not (
            self.facts.counts[root.id] or hasattr(builtins, root.id)  # ``str`` is itself
        ):
            return True
        value = self.fold(owner, env)
        return self.facts.callees.holds_readers(owner) or (isinstance(value, Text) and value.path)

    def _apply(self, env: Env, since: int) -> None:
        """What the magics run since ``since`` did to the names."""
        for effect in self.effects[since:]:
            if effect is None:
                env.clear()
            else:
                env.pop(effect, None)


def _os_chdir(func: ast.expr) -> bool:
    """Whether ``func`` is ``os.chdir`` (``os`` taken to be itself, as builtins and pathlib;
    ``contextlib.chdir`` changes the directory only inside its ``with``)."""
    return (
        isinstance(func, ast.Attribute)
        and func.attr == "chdir"
        and isinstance(func.value, ast.Name)
        and func.value.id == "os"
    )


def _forget_names(env: Env) -> None:
    """No name holds a known value any longer; the working directory is kept (an import does
    not change it; a cell not read whole that may change it fails the check closed)."""
    cwd = env.get(CWD)
    env.clear()
    env[CWD] = cwd


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
