"""The value an expression of a notebook has before the run, as far as the data check can
know it (:mod:`nbtools.data.values` follows the names).

A value is *folded* from literals: a string or bytes, an f-string, ``+``, ``.format`` or ``%``
of them (plain substitutions only: :mod:`nbtools.data.formatting`), ``pathlib.Path(…)``
(``PurePath``, ``PosixPath``) and its ``/``, ``joinpath``, ``resolve()`` and ``absolute()``,
``os.path.join``, ``str()``/``os.fspath()``, and a name holding such a value. Bytes are
followed where Python takes them (``b"a" + b"b"``, ``open(b"x")``) and not where they would
show as ``b'…'`` (``str()``, an f-string). What ``nbtools.data.path``/``open`` or a reader
returned (``with nbtools.data.open("x") as f``, ``p = nbtools.data.path("x")``) is counted at
that call: a reader given it reads nothing more. A run's artifact (what
``nbtools.artifacts.load`` returns) is a file of the store, no dataset's location. A
``functools.partial`` of a data function holds the arguments it binds as they were when it was
made. A tuple holds its items (:class:`Items`): what ``map(reader, files)`` reads.
"""

from __future__ import annotations

import ast
import os
import posixpath
from pathlib import PurePosixPath

from nbtools.data.bindings import CWD, Bindings
from nbtools.data.calls import METHODS, attribute, called_name
from nbtools.data.formatting import formatted, printf
from nbtools.urls import is_url

_PATH_TYPES = ("Path", "PurePath", "PosixPath", "PurePosixPath")
_BUFFERS = ("StringIO", "BytesIO")
#: The methods reading the object they are called on (a path's), not an argument.
_PATH_METHODS = frozenset({*METHODS, "open"})
#: The most items of a tuple folded (a longer one is not known: data, not locations).
MAX_ITEMS = 1000


class Text:
    """A value known before the run: text, a ``pathlib`` path (``/`` joins it), or bytes
    (``raw``; ``text`` is them decoded as ``os.fsdecode`` decodes a path)."""

    __slots__ = ("path", "raw", "text")

    def __init__(self, text: str, path: bool = False, raw: bool = False) -> None:
        self.text, self.path, self.raw = text, path, raw


class Mark:
    """A value that names no location to check: :data:`USED`, :data:`OTHER`."""

    __slots__ = ()


class Partial:
    """A ``functools.partial`` of a data function: the call it makes, each argument it binds
    held as the check knew it when the partial was made (:class:`Held`)."""

    __slots__ = ("call",)

    def __init__(self, call: ast.Call) -> None:
        self.call = call


class Items:
    """A tuple's items (a tuple cannot change: a list or a set held in a name can, by
    ``append`` or ``add`` anywhere, so only a tuple is folded), each as the check knows it."""

    __slots__ = ("values",)

    def __init__(self, values: tuple[Value, ...]) -> None:
        self.values = values


#: What a reader or ``nbtools.data`` returned: checked at that call.
USED = Mark()
#: A number (a file descriptor), an in-memory buffer.
OTHER = Mark()
#: What the check knows a name or an expression holds: ``None`` when nothing.
Value = Text | Mark | Partial | Items | None


class Held(ast.expr):
    """An argument a ``partial`` bound (or the path whose method it wraps): its value when the
    partial was made, whatever the names in it hold later."""

    _fields = ()

    def __init__(self, held: Value) -> None:
        super().__init__()
        self.held = held


Env = dict[str, Value]


class Folder:
    """Folds expressions with what each name holds (``env``) and what ``facts`` says of the
    notebook's names; the walker of :mod:`nbtools.data.values` is one."""

    def __init__(self, facts: Bindings) -> None:
        self.facts = facts
        self.lookups = 0  # names looked up so far
        self.poisoned: frozenset[str] = frozenset()  # names the code of the cell's magics binds

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
            return (
                Text(os.fsdecode(node.value), raw=True) if isinstance(node.value, bytes) else OTHER
            )
        if isinstance(node, ast.Name):
            self.lookups += 1
            blocked = self.facts.opaque or node.id in self.facts.declared_global
            return None if blocked or node.id in self.poisoned else env.get(node.id)
        if isinstance(node, Held):
            return node.held
        if isinstance(node, ast.NamedExpr):
            return self._fold(node.value, env)
        if isinstance(node, ast.Tuple):
            known = len(node.elts) <= MAX_ITEMS
            if not known or any(isinstance(item, ast.Starred) for item in node.elts):
                return None
            return Items(tuple(self._fold(item, env) for item in node.elts))
        if isinstance(node, ast.JoinedStr):
            parts = _every([self._formatted(part, env) for part in node.values])
            return Text("".join(parts)) if parts is not None else None
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Div, ast.Mod)):
            left = self._fold(node.left, env)
            if isinstance(node.op, ast.Mod):
                return self._printf(left, node.right, env)
            right = self._fold(node.right, env)
            if not (isinstance(left, Text) and isinstance(right, Text)):
                return None
            if isinstance(node.op, ast.Add):  # text + text, bytes + bytes
                plain = not (left.path or right.path) and left.raw == right.raw
                return Text(left.text + right.text, raw=left.raw) if plain else None
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
        return _str(self._fold(node.value, env)) if node.conversion in (-1, 115) else None

    def _printf(self, template: Value, values: ast.expr, env: Env) -> Value:
        """``template % values``: a tuple or a dictionary written out, or one value."""
        if not isinstance(template, Text) or template.path:
            return None
        shown = _bytes if template.raw else _str  # bytes take bytes, text takes text
        given: str | list[str] | dict[str, str] | None
        if isinstance(values, ast.Tuple):
            given = _every([shown(self._fold(value, env)) for value in values.elts])
        elif isinstance(values, ast.Dict):
            given = {}
            for key, value in zip(values.keys, values.values, strict=True):
                name = self._fold(key, env) if key is not None else None  # None: ``**mapping``
                text = shown(self._fold(value, env))
                if not (isinstance(name, Text) and not name.raw and text is not None):
                    return None
                given[name.text] = text
        else:
            given = shown(self._fold(values, env))
        text = printf(template.text, given) if given is not None else None
        return Text(text, raw=template.raw) if text is not None else None

    def _folded_call(self, node: ast.Call, env: Env) -> Value:
        callees = self.facts.callees
        if callees.kind(node.func) is not None:
            return USED
        func = attribute(node.func)
        name = called_name(func)
        if name in _BUFFERS or callees.loads_artifact(func):
            return OTHER
        wrapped = callees.partial_of(node)
        if wrapped is not None and callees.kind(wrapped) is not None:
            return self._partial(node, wrapped, env)
        if name == "format" and isinstance(func, ast.Attribute):
            return self._format(node, func.value, env)
        if node.keywords or any(isinstance(arg, ast.Starred) for arg in node.args):
            return None
        args = [self._fold(arg, env) for arg in node.args]
        if args == [OTHER] and name in (*_PATH_TYPES, "str", "fspath"):
            return OTHER  # Path(an artifact's path): the same file
        texts = [arg for arg in args if isinstance(arg, Text)]
        if len(texts) != len(args):
            return None
        if name in _PATH_TYPES:
            return _joined(Text("."), *texts)
        if name == "join" and isinstance(func, ast.Attribute) and _is_os_path(func):
            same = texts and len({text.raw for text in texts}) == 1  # str and bytes: TypeError
            return (
                Text(posixpath.join(*(t.text for t in texts)), raw=texts[0].raw) if same else None
            )
        if name == "str" and len(texts) == 1:
            return Text(text) if (text := _str(texts[0])) is not None else None
        if name == "fspath" and len(texts) == 1:
            return Text(texts[0].text, raw=texts[0].raw)
        if name in ("joinpath", "resolve", "absolute") and isinstance(func, ast.Attribute):
            owner = self._fold(func.value, env)  # a path relative to the notebook's directory:
            if not (isinstance(owner, Text) and owner.path):  # resolved from there, as the run
                return None  # does, unless the notebook changes its working directory
            if name == "joinpath":
                return _joined(owner, *texts)
            moved = self.facts.counts[CWD] and relative(owner.text)
            return _joined(owner) if not texts and not moved else None
        return None

    def _format(self, node: ast.Call, template: ast.expr, env: Env) -> Value:
        """``template.format(…)`` of text (with keywords, no ``*``/``**``)."""
        known = self._fold(template, env)
        if not isinstance(known, Text) or known.path or known.raw:
            return None
        if any(isinstance(arg, ast.Starred) for arg in node.args):
            return None
        args = _every([_str(self._fold(arg, env)) for arg in node.args])
        keywords: dict[str, str] = {}
        for keyword in node.keywords:
            text = _str(self._fold(keyword.value, env))
            if keyword.arg is None or text is None:  # ``**options``; a value not known
                return None
            keywords[keyword.arg] = text
        text = formatted(known.text, args, keywords) if args is not None else None
        return Text(text) if text is not None else None

    def _partial(self, node: ast.Call, wrapped: ast.expr, env: Env) -> Value:
        """``functools.partial(func, …)`` of a data function: the call it makes, what it binds
        held as it is now (a partial of a partial adds to what that one binds)."""
        func = attribute(wrapped)
        if (isinstance(func, ast.Name) and func.id in self.facts.callees.partials) or (
            isinstance(func, ast.Call) and self.facts.callees.partial_of(func) is not None
        ):
            inner = self._fold(func, env)
            if not isinstance(inner, Partial):
                return None
            func, args, keywords = inner.call.func, inner.call.args, inner.call.keywords
        else:
            if isinstance(func, ast.Attribute) and func.attr in _PATH_METHODS:
                # a method of a path (``Path(p).open``): the path as it is now
                func = ast.Attribute(self._held(func.value, env), func.attr, ast.Load())
            args, keywords = [], []
        args = [*args, *(self._held(arg, env) for arg in node.args[1:])]
        keywords = [
            *keywords,
            *(ast.keyword(k.arg, self._held(k.value, env)) for k in node.keywords),
        ]
        return Partial(ast.Call(func, args, keywords))

    def _held(self, node: ast.expr, env: Env) -> ast.expr:
        """``node`` as a ``partial`` holds it: its value now (a literal as written, which a
        file mode is recognised by; ``*args`` as one starred value)."""
        if isinstance(node, ast.Constant):
            return node
        if isinstance(node, ast.Starred):
            return ast.Starred(Held(None), ast.Load())
        return Held(self.fold(node, env))


def _joined(first: Text, *more: Text) -> Text | None:
    """The ``pathlib`` path of known parts (``None`` for bytes: a TypeError)."""
    if first.raw or any(text.raw for text in more):
        return None
    return Text(str(PurePosixPath(first.text, *(text.text for text in more))), True)


def _str(value: Value) -> str | None:
    """``str(value)`` (also an f-string's, ``.format``'s or ``%s``'s) when known: not of bytes,
    which show as ``b'…'`` (not followed)."""
    return value.text if isinstance(value, Text) and not value.raw else None


def _bytes(value: Value) -> str | None:
    """The text of known bytes (what ``%s`` of a bytes template takes)."""
    return value.text if isinstance(value, Text) and value.raw else None


def _every(parts: list[str | None]) -> list[str] | None:
    """``parts`` when each is known."""
    known = [part for part in parts if part is not None]
    return known if len(known) == len(parts) else None


def relative(location: str) -> bool:
    """Whether ``location`` is a path read from the working directory (not absolute, no
    URL)."""
    return not location.startswith("/") and not is_url(location)


def _is_os_path(func: ast.Attribute) -> bool:
    """``os.path.join``, ``posixpath.join``."""
    owner = func.value
    return (isinstance(owner, ast.Attribute) and owner.attr == "path") or (
        isinstance(owner, ast.Name) and owner.id == "posixpath"
    )
