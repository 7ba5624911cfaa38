"""What binds the names of a notebook's code, read before any name is followed
(:mod:`nbtools.data.values`): which names each statement binds, how often each name is bound,
what may bind names unseen, and which code calls a data function at all.

The working directory, which relative paths are read from, is followed as a name, :data:`CWD`:
a ``chdir``, ``%cd``, ``exec``/``eval`` and a magic that may bind any name (``%run``) bind it."""

from __future__ import annotations

import ast
import re
from collections import Counter

from nbtools.data.calls import Callees

#: Magics that bind no name other than the words of their line (``%%capture out``) and run no
#: code the check does not read (``%time`` runs code it reads): any other may bind any name
#: (``%run`` runs a script in the notebook's namespace, ``%store -r`` restores names).
QUIET_MAGICS = frozenset(
    {
        *("time", "timeit", "prun", "capture", "matplotlib", "config", "precision", "xmode"),
        *("load_ext", "reload_ext", "unload_ext", "autoreload", "aimport"),
        *("pip", "conda", "mamba", "micromamba", "env", "set_env", "pwd", "cd", "ls"),
        *("who", "whos", "who_ls", "history", "lsmagic", "magic", "page", "debug", "pdb"),
        *("pinfo", "pinfo2", "pdef", "pdoc", "psource", "pfile"),
        *("bash", "sh", "script", "html", "HTML", "javascript", "js", "latex", "markdown"),
        *("svg", "writefile", "perl", "ruby", "python", "python3", "system", "sx"),
    }
)
#: Quiet magics whose line is code the check reads (``%time x = f()``): what that binds is
#: read there, not guessed from the line's words.
_CODE_MAGICS = frozenset({"time", "timeit", "prun"})
#: The name the working directory is followed under (no Python name looks so).
CWD = "<cwd>"
#: Quiet magics changing the working directory.
_DIRECTORY_MAGICS = frozenset({"cd"})
#: Calls running code the check does not read, which may change the working directory.
_CODE_RUNNERS = ("exec", "eval")
_MAGIC_CALLS = ("run_line_magic", "run_cell_magic")
_WORD = r"[^\W\d]\w*"  # compiled on first use (re's cache), as every pattern here
#: Calls that write the notebook's namespace themselves (``vars``/``locals`` without argument).
_NAMESPACE_WRITERS = ("exec", "eval", "globals")
_NAMESPACE_VIEWS = ("vars", "locals")
#: Code that runs when called, at any time.
_LATER = frozenset({ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.GeneratorExp})
#: The nodes that bind names (:func:`bound_here`).
_BINDERS = frozenset(
    {
        *(ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef),
        *(ast.Name, ast.arg, ast.Import, ast.ImportFrom, ast.ExceptHandler),
        *(ast.MatchAs, ast.MatchStar, ast.MatchMapping),
    }
)
#: Fields that never hold a node worth reading: contexts, operators, identifiers, flags (an
#: import's or ``global``'s names are read at the statement).
_LEAF_FIELDS = frozenset(
    {"ctx", "op", "ops", "names", "id", "attr", "arg", "name", "module", "level", "kind"}
    | {"type_comment", "conversion", "is_async", "asname", "rest", "type_ignores"}
)
_FIELDS: dict[type[ast.AST], tuple[str, ...]] = {}


class Bindings:
    """What the notebook's code says of its names, read once for every tree (:meth:`read`):
    the names each statement binds, which parts of the code call a data function or a magic,
    and what may bind names unseen."""

    def __init__(self, callees: Callees) -> None:
        self.callees = callees
        #: How many times each name is bound, in any scope.
        self.counts: Counter[str] = Counter()
        #: Names a function declares ``global`` (a call may rebind them at any time).
        self.declared_global: set[str] = set()
        #: The notebook writes its namespace itself: no name is followed.
        self.opaque = False
        #: Something may bind any name unseen (also a cell not read whole): no name holds one
        #: value for the whole notebook.
        self.unseen = False
        self._bound: dict[int, frozenset[str]] = {}  # by node id
        self._busy: set[int] = set()  # nodes calling a data function or a magic, or holding one
        self._read: set[int] = set()

    def bound(self, node: ast.AST) -> frozenset[str]:
        """The names ``node`` binds in the scope it runs in (not in the functions it defines;
        a comprehension's own names are counted too, which only hides more)."""
        return self._bound.get(id(node), frozenset())

    def busy(self, node: ast.AST) -> bool:
        """Whether ``node`` calls a data function (a reader, ``nbtools.data``) or a magic, or
        holds such a call."""
        return id(node) in self._busy

    def read(self, tree: ast.Module) -> None:
        """Learn ``tree`` (a tree learnt already is not read again): one walk down, then the
        names and calls are carried up, each node's after all it holds."""
        if id(tree) in self._read:
            return
        self._read.add(id(tree))
        order: list[tuple[ast.AST, int]] = []  # each node, and its parent's place here
        names: dict[int, set[str]] = {}  # by place
        busy: set[int] = set()  # places
        stack: list[tuple[ast.AST, int, bool]] = [(tree, -1, False)]
        while stack:
            node, parent, later = stack.pop()
            here, kind = len(order), type(node)
            order.append((node, parent))
            if kind in _BINDERS and (own := bound_here(node)):
                self.counts.update(own)
                names[here] = set(own)
            if isinstance(node, ast.Call):
                calls, moves = self._busy_call(node, later)
                if calls:
                    busy.add(here)
                if moves:  # binds the working directory; at any time if it runs later
                    self.counts[CWD] += 1
                    names.setdefault(here, set()).add(CWD)
                    if later:
                        self.declared_global.add(CWD)
            elif isinstance(node, ast.Global):
                self.declared_global.update(node.names)
            elif isinstance(node, ast.ImportFrom) and star_import(node):
                self.unseen = True
            inner = later or kind in _LATER
            stack += [(child, here, inner) for child in _children(node)]
        for here in range(len(order) - 1, -1, -1):
            found, calls = names.get(here), here in busy
            if not (found or calls):
                continue
            node, parent = order[here]
            if found:
                self._bound[id(node)] = frozenset(found)
            if calls:
                self._busy.add(id(node))
                busy.add(parent)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                found = {node.name}  # what it binds inside is its own
            elif isinstance(node, ast.Lambda):
                found = None
            if found and parent >= 0:
                names.setdefault(parent, set()).update(found)

    def _busy_call(self, node: ast.Call, later: bool) -> tuple[bool, bool]:
        """Whether the call is one of a data function or a magic, and whether it may change
        the working directory; what it says of names."""
        func = node.func
        if isinstance(func, ast.Name) and (
            func.id in _NAMESPACE_WRITERS or (func.id in _NAMESPACE_VIEWS and not node.args)
        ):
            self.opaque = True
        effects = magic_effects(node)
        if None in effects:
            self.unseen = True
            self.opaque |= later  # it may run at any time
        kind = self.callees.kind(func)
        moves = (
            kind == "directory"
            or None in effects
            or CWD in effects
            or (isinstance(func, ast.Name) and func.id in _CODE_RUNNERS)
        )
        passes = kind is None and bool(self.callees.passed(node))  # map(pd.read_csv, …)
        return bool(effects) or kind is not None or passes, moves


def bound_here(node: ast.AST) -> list[str]:
    """The names ``node`` itself binds (its children not included)."""
    if isinstance(node, ast.Name):
        return [] if isinstance(node.ctx, ast.Load) else [node.id]
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [node.name]
    if isinstance(node, ast.arg):
        return [node.arg]
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return [
            alias.asname or alias.name.partition(".")[0]
            for alias in node.names
            if alias.name != "*"
        ]
    if isinstance(node, (ast.ExceptHandler, ast.MatchAs, ast.MatchStar)):
        return [node.name] if node.name else []
    if isinstance(node, ast.MatchMapping):
        return [node.rest] if node.rest else []
    return []


def star_import(node: ast.ImportFrom) -> bool:
    """A star import that may bind names unseen (``nbtools.data``'s binds ``path``, ``open``)."""
    return any(alias.name == "*" for alias in node.names) and not (
        node.module == "nbtools.data" and not node.level
    )


def magic_effects(node: ast.Call) -> list[str | None]:
    """What the magic ``node`` runs may bind: the words of a quiet magic's line (``%%capture
    out``), the working directory (``%cd``: :data:`CWD`), or any name (``None``); nothing for
    another call."""
    func = node.func
    if not (isinstance(func, ast.Attribute) and func.attr in _MAGIC_CALLS and node.args):
        return []
    name, line = node.args[0], node.args[1] if len(node.args) > 1 else None
    if not (isinstance(name, ast.Constant) and name.value in QUIET_MAGICS):
        return [None]
    if name.value in _CODE_MAGICS:
        return []
    if name.value in _DIRECTORY_MAGICS:
        return [CWD]
    if isinstance(line, ast.Constant) and isinstance(line.value, str):
        return list(re.findall(_WORD, line.value))
    return []


def _children(node: ast.AST) -> list[ast.AST]:
    """The nodes ``node`` holds that may bind a name or call a function (as
    :func:`ast.iter_child_nodes`, without the contexts and operators every expression holds)."""
    fields = _FIELDS.get(type(node))
    if fields is None:
        fields = _FIELDS[type(node)] = tuple(
            field for field in node._fields if field not in _LEAF_FIELDS
        )
    children: list[ast.AST] = []
    for field in fields:
        value = getattr(node, field, None)
        if isinstance(value, ast.AST):
            children.append(value)
        elif isinstance(value, list):
            children += [item for item in value if isinstance(item, ast.AST)]
    return children
