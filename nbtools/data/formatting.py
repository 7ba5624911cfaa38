"""What ``str.format`` and ``%`` make of known text, for the data check's folding
(:mod:`nbtools.data.values`): only plain substitutions are followed, as in an f-string — a
field with a format spec (``{:>8}``, ``%5s``), another conversion (``!r``, ``%d``), an
attribute or an index (``{0.name}``, ``{0[1]}``), or arguments that do not match give
``None`` (the text is not known before the run)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

#: A ``%`` specification: an optional ``(key)``, then the character right after it (a flag,
#: a width or another conversion than ``s`` is not followed).
_PRINTF = r"%(?:\(([^()]*)\))?(.?)"


def formatted(template: str, args: Sequence[str], keywords: Mapping[str, str]) -> str | None:
    """``template.format(*args, **keywords)`` when each field is ``{}``, ``{0}`` or
    ``{name}`` (also with ``!s``); ``None`` otherwise."""
    import string  # only for a .format: not on every extraction's path

    try:
        parts = list(string.Formatter().parse(template))
    except ValueError:  # an unbalanced brace: str.format raises
        return None
    text: list[str] = []
    automatic, numbered = 0, False
    for literal, field, spec, conversion in parts:
        text.append(literal)
        if field is None:
            continue
        if spec or conversion not in (None, "s"):
            return None
        if field == "":
            index, automatic = automatic, automatic + 1
            value = args[index] if index < len(args) else None
        elif field.isascii() and field.isdigit():
            numbered = True
            value = args[int(field)] if int(field) < len(args) else None
        else:
            value = keywords.get(field) if field.isidentifier() else None
        if value is None:
            return None
        text.append(value)
    return None if automatic and numbered else "".join(text)


def printf(template: str, values: str | Sequence[str] | Mapping[str, str]) -> str | None:
    """``template % values`` (one text, a tuple of texts, or a dictionary of them) when each
    specification is ``%s``, ``%(key)s`` with a dictionary, or ``%%``; ``None`` otherwise."""
    given = [values] if isinstance(values, str) else values
    text: list[str] = []
    end = position = 0
    for spec in re.finditer(_PRINTF, template, re.DOTALL):
        text.append(template[end : spec.start()])
        end = spec.end()
        key, conversion = spec.groups()
        if conversion == "%" and key is None:
            text.append("%")
        elif conversion != "s":
            return None
        elif isinstance(given, Mapping):
            if key is None or key not in given:
                return None
            text.append(given[key])
        elif key is not None or position >= len(given):
            return None
        else:
            text.append(given[position])
            position += 1
    if not isinstance(given, Mapping) and position != len(given):
        return None  # not all arguments converted: a TypeError
    return "".join([*text, template[end:]])
