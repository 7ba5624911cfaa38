"""What a notebook's text tells the data check before any cell is parsed: whether the check
reads it as Python, and whether it can name a data call at all (:func:`names_no_data`: most
notebooks, which the check then passes without importing its detector,
:mod:`nbtools.data.detect`)."""

from __future__ import annotations

import re

from nbtools.notebooks import Notebook, cell_source, kernel_languages

#: Text every name of a data call contains (a reader's, ``path``, ``getattr``, ``partial``, a
#: ``chdir``; :mod:`nbtools.data.calls`, tested): a plain substring test rules most cells out
#: ten times faster than the pattern of the names (which tries every position of the text).
NAME_PARTS = ("open", "path", "read_", "scan_", "getattr", "partial", "chdir")
#: The languages read as Python (a kernel spec's ``language``, ``language_info.name``).
PYTHON = r"(?i)i?python\s*\d*"


def other_language(nb: Notebook) -> str | None:
    """The notebook's kernel language when it is not Python (then the check cannot tell which
    data it uses), else None."""
    return next((name for name in kernel_languages(nb) if not re.fullmatch(PYTHON, name)), None)


def code_sources(nb: Notebook) -> dict[int, str]:
    """The text of each code cell, by its index among the notebook's cells."""
    return {
        index: cell_source(cell)
        for index, cell in enumerate(nb.get("cells", []))
        if cell.get("cell_type") == "code"
    }


def names_a_call(text: str) -> bool:
    """Whether ASCII ``text`` may name a data call: it holds one of :data:`NAME_PARTS`."""
    return any(part in text for part in NAME_PARTS)


def names_nothing(text: str) -> bool:
    """Whether no cell of ``text`` (all the code, joined) can use data: all of it is ASCII
    (Python reads identifiers NFKC-normalised: fullwidth letters spell ``open``) and names
    neither nbtools nor a data call."""
    return text.isascii() and "nbtools" not in text and not names_a_call(text)


def names_no_data(nb: Notebook) -> bool:
    """Whether the check would read no cell of this Python notebook (:func:`names_nothing`):
    it finds nothing, and knows it."""
    return other_language(nb) is None and names_nothing("\n".join(code_sources(nb).values()))
