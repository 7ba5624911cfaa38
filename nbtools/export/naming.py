"""The package's name: what ``import``, ``pip install`` and its command call it.

One name is the import name (``src/<name>/``), the distribution's name in ``pyproject.toml``
(``-`` for ``_``) and the console script's. A distribution's name is ASCII (PEP 508: letters,
digits, ``-``, ``_``, ``.``), so the package's name is an ASCII Python identifier, lowercase
(PEP 8), neither a keyword nor a standard-library module. Module names of the notebook
(``export:<module>``) are import names only: any Python identifier (:mod:`.cells`).

The default comes from the notebook's file name read as Python reads an identifier (NFKC:
``ﬁ`` is ``fi``, fullwidth digits are ASCII ones), lowercase (``ß`` is ``ss``), without accents
(``Évaluation`` → ``evaluation``): each run of other characters is one ``_``. A letter or digit
with no ASCII form (``Анализ``, ``数据``) is never dropped: the default is refused, asking for
a name.

The package's name never hides a library from the code that imports it: not a module the
notebook's code imports (``import click`` in ``click.ipynb``, whatever is installed), nor one
installed in the environment running nbtools (a package nbtools generated, this one's earlier
extraction, excepted). The default gets ``_pkg`` (``click_pkg``, as ``logging_pkg``); a given
name is refused.
"""

import ast
import functools
import keyword
import re
from collections.abc import Callable

from nbtools.errors import InvalidInputError
from nbtools.export.cells import MAX_NAME_BYTES, shown
from nbtools.export.deps import STDLIB
from nbtools.export.model import EXPORT, Cell
from nbtools.export.names import analyze
from nbtools.export.plan import Plan
from nbtools.export.render.common import GENERATED_BY
from nbtools.pycode import parse_code

#: Latin letters Unicode does not decompose into an ASCII letter and accents.
_LATIN = {"æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "\u0131": "i"}
#: How a file nbtools generated starts.
_GENERATED = f"# {GENERATED_BY}".encode()
#: How many of the characters with no ASCII form a refusal shows.
_SHOWN = 8
#: How a refusal tells what a name may hold.
_ASCII_NAME = "Name the package with ASCII letters, digits and underscores"


def _ascii(text: str) -> tuple[str, list[str]]:
    """``text`` in lowercase ASCII (letters, digits, ``_``; other characters spaces), and its
    letters and digits that have no ASCII form."""
    if text.isascii():
        return text.lower(), []
    import unicodedata  # only a name that is not ASCII needs it

    kept: list[str] = []
    missing: list[str] = []
    for char in unicodedata.normalize("NFKC", text):
        folded = unicodedata.normalize("NFKD", _LATIN.get(char.casefold(), char.casefold()))
        bare = "".join(c for c in folded if not unicodedata.combining(c))
        if bare.isascii():
            kept.append(bare)
        elif char.isdecimal():
            kept.append(str(unicodedata.decimal(char)))
        elif char.isalnum():
            missing.append(char)
        else:
            kept.append(" ")
    return "".join(kept), missing


def _identifier(text: str) -> tuple[str, list[str]]:
    """The package name closest to ``text`` (``""`` if it has no letter or digit; its first
    :data:`MAX_NAME_BYTES` characters when longer), and the letters and digits of ``text``
    with no ASCII form."""
    folded, missing = _ascii(text)
    name = re.sub(r"[^0-9a-z_]+", "_", folded).strip("_")
    if name and (name[0].isdigit() or keyword.iskeyword(name)):
        name = f"nb_{name}"
    return name[:MAX_NAME_BYTES].rstrip("_"), missing


def _installed(name: str) -> bool:
    """Whether ``import name`` finds a module in the environment running nbtools, other than
    a package nbtools generated (this notebook's, installed or on the path, keeps its name)."""
    import importlib.util

    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):  # a broken finder; a module imported without a spec
        return False
    if spec is None or spec.origin in (None, "namespace"):
        return False  # a folder on the path: any package of that name comes first
    if spec.origin in ("built-in", "frozen"):
        return True
    try:
        with open(spec.origin, "rb") as module:
            first = module.read(len(_GENERATED))
    except OSError:
        return True
    return first != _GENERATED


def _taken(name: str) -> str | None:
    """Why ``name`` cannot be the package's whatever the notebook holds, or ``None``."""
    if name in STDLIB:
        return "would shadow the standard-library module of that name"
    if _installed(name):
        return (
            "is the name of a module installed in this environment, which a package of that "
            "name would hide"
        )
    return None


def _free(name: str, imported: Callable[[str], object] = lambda name: None) -> str:
    """``name``, followed by ``_pkg`` as long as it is taken or ``imported`` says where the
    package's code imports a library of that name."""
    while _taken(name) or imported(name):
        name += "_pkg"
    return name


def suggest_package_name(text: str) -> str:
    """A valid package name close to ``text``: lowercase ASCII, underscores, no leading
    digit; refused (naming the field ``name``) when ``text`` has a letter or digit with no
    ASCII form, or none at all."""
    name, missing = _identifier(text)
    if missing:
        unique = list(dict.fromkeys(missing))
        shown = " ".join(unique[:_SHOWN]) + (" …" if len(unique) > _SHOWN else "")
        raise InvalidInputError(
            f"No package name can be made from {text!r}: its letters {shown} have no ASCII "
            "form, and a package's name is ASCII (it is also its distribution's name in "
            f"pyproject.toml, PEP 508). {_ASCII_NAME}.",
            text=text,
            field="name",
        )
    if not name:
        raise InvalidInputError(
            f"No package name can be made from {text!r}: it has no letter or digit. {_ASCII_NAME}.",
            text=text,
            field="name",
        )
    return _free(name)


def check_package_name(name: str) -> str:
    """``name`` if it can be the package's name; else an error with a suggestion."""
    if len(name) > MAX_NAME_BYTES:  # its suggestion would be as long: none
        raise InvalidInputError(
            f"Invalid package name '{shown(name)}': it has {len(name)} characters, and a "
            f"package's name at most {MAX_NAME_BYTES} (the names of its files must fit the "
            "file system's). Give a shorter name.",
            name=name,
            field="name",
        )
    problem = None
    if not name.isidentifier():
        problem = "is not a Python identifier"
    elif not name.isascii():
        problem = (
            "is not ASCII, and a package's name is also its distribution's name in "
            "pyproject.toml, which PEP 508 limits to ASCII letters, digits, '-', '_' and '.'"
        )
    elif keyword.iskeyword(name):
        problem = "is a Python keyword"
    elif name != name.lower():
        problem = "should be lowercase (PEP 8)"
    else:
        problem = _taken(name)
    if problem:
        raise _refusal(name, f"it {problem}")
    return name


def _refusal(
    name: str, reason: str, imported: Callable[[str], object] = lambda name: None
) -> InvalidInputError:
    """The error refusing ``name`` for ``reason``, with a name to try when there is one."""
    suggestion, missing = _identifier(name)
    if suggestion and not missing:
        suggestion = _free(suggestion, imported)
        return InvalidInputError(
            f"Invalid package name {name!r}: {reason}. Try {suggestion!r}.",
            name=name,
            suggestion=suggestion,
            field="name",
        )
    return InvalidInputError(
        f"Invalid package name {name!r}: {reason}. {_ASCII_NAME}.", name=name, field="name"
    )


def name_hiding_no_library(plan: Plan, given: bool) -> str:
    """``plan.package``, unless the package's code imports a library of that name (``import
    click`` in ``click.ipynb``), which the package would hide from that code: then refused
    when the name was ``given``, else followed by ``_pkg``."""
    name = plan.package
    imported = functools.partial(_library_import, plan)
    where = imported(name)
    if where is None:
        return name
    if not given:
        return _free(name, imported)
    cell, line = where
    raise _refusal(
        name,
        f"the notebook imports the library {name} ({cell.label}, line {line}), which "
        "a package of that name would hide from its own code",
        imported,
    )


def _library_import(plan: Plan, name: str) -> tuple[Cell, int] | None:
    """The cell and notebook line where the package's code (exported, ``main``, ``test`` or
    ``parameters`` cells) first imports from ``name`` what the notebook does not define: a
    library of that name (``import click`` then ``click.style``, ``from click import
    style`` in a ``main``, ``test`` or ``parameters`` cell). An import of a submodule (``from
    <name>.core import f``), or of a name in exported code (``from <name> import f``, as
    fastcore's ``from fastcore import imghdr``), is the package importing itself, as nbdev
    notebooks do (the submodule may be another notebook's)."""
    exported = [parsed for module in plan.modules.values() for parsed in module.cells]
    trees = [
        (parsed.cell, parsed.tree)
        for parsed in [*exported, *plan.main, *plan.tests]
        if name in parsed.names.modules
    ]
    parameters = plan.parameters_cell
    if (
        parameters is not None
        and name in analyze(ast.Module([*plan.parameter_imports], [])).modules
    ):
        trees.append((parameters, parse_code(parameters.code)))  # its computed defaults too
    own = _own_names(plan)
    for cell, tree in sorted(trees, key=lambda found: found[0].index):
        # in exported code, a name taken from the package is its own, inside a function as at
        # the top (where the import binds it): the missing-module check says when it has none
        taken = _taken_from(tree, name) if cell.role == EXPORT else set()
        line = _library_line(tree, name, own | taken)
        if line:
            return cell, cell.notebook_line(line)
    return None


#: What every module has (``import pkg; pkg.__file__``): no sign of a library, and names
#: ``from pkg import …`` always finds.
MODULE_ATTRIBUTES = frozenset(
    [
        "__all__",
        "__dict__",
        "__doc__",
        "__file__",
        "__loader__",
        "__name__",
        "__package__",
        "__path__",
        "__spec__",
    ]
)


def _own_names(plan: Plan) -> set[str]:
    """The names ``import <package>`` may give: what the notebook's modules bind, the
    modules themselves, and what the generated package adds."""
    bound = {n for module in plan.modules.values() for p in module.cells for n in p.names.bound}
    tops = {module.split(".")[0] for module in plan.modules}
    return bound | tops | MODULE_ATTRIBUTES | {"__version__", "pipeline", "run", "service"}


def _library_line(tree: ast.Module, name: str, own: set[str]) -> int:
    """The first line of ``tree`` importing from the module ``name`` itself (not from a
    submodule) what is not among ``own`` names (0 if none does)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module == name:
            if not all(alias.name in own for alias in node.names):
                return node.lineno
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == name and not _attributes(tree, alias.asname or name) <= own:
                    return node.lineno
    return 0


def _taken_from(tree: ast.Module, name: str) -> set[str]:
    """The names ``tree`` imports by name from the module ``name`` (``from name import x``)."""
    return {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module == name
        for alias in node.names
        if alias.name != "*"
    }


def _attributes(tree: ast.Module, bound: str) -> set[str]:
    """The attributes ``tree`` reads of the name ``bound`` (``click.style``: ``style``)."""
    return {
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == bound
    }
