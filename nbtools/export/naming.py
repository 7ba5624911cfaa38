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
"""

import keyword
import re
import sys

from nbtools.errors import InvalidInputError

#: Latin letters Unicode does not decompose into an ASCII letter and accents.
_LATIN = {"æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "\u0131": "i"}
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
    """The package name closest to ``text`` (``""`` if it has no letter or digit), and the
    letters and digits of ``text`` with no ASCII form."""
    folded, missing = _ascii(text)
    name = re.sub(r"[^0-9a-z_]+", "_", folded).strip("_")
    if name and (name[0].isdigit() or keyword.iskeyword(name)):
        name = f"nb_{name}"
    if name in sys.stdlib_module_names:
        name = f"{name}_pkg"
    return name, missing


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
    return name


def check_package_name(name: str) -> str:
    """``name`` if it can be the package's name; else an error with a suggestion."""
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
    elif name in sys.stdlib_module_names:
        problem = "would shadow the standard-library module of that name"
    elif name != name.lower():
        problem = "should be lowercase (PEP 8)"
    if problem:
        suggestion, missing = _identifier(name)
        if suggestion and not missing:
            raise InvalidInputError(
                f"Invalid package name {name!r}: it {problem}. Try {suggestion!r}.",
                name=name,
                suggestion=suggestion,
                field="name",
            )
        raise InvalidInputError(
            f"Invalid package name {name!r}: it {problem}. {_ASCII_NAME}.",
            name=name,
            field="name",
        )
    return name
