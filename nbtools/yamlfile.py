"""A YAML file a user writes (``datasets.yaml``, ``nbtools run -f params.yaml``), or YAML
text given on the command line (``nbtools run -y 'days: 7'``), read safely and whole, every
way it cannot be read refused naming the file (or the option) and the input it came from:
not YAML (nor UTF-8), a number longer than Python converts, nesting too deep, and a key one
mapping repeats (which YAML would read as its last value, silently)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

from nbtools.errors import InvalidInputError, conversion_refused
from nbtools.infiles import read_regular


def read_yaml(path: Path, shown: str, field: str, *, missing: str) -> Any:
    """The document of the YAML file at ``path`` (``shown`` in messages, from the input
    ``field``); ``missing`` says what to do when it does not exist."""
    try:
        raw = read_regular(path, shown, field=field)
    except FileNotFoundError as exc:
        raise InvalidInputError(f"{shown} does not exist: {missing}.", field=field) from exc
    return parse_yaml(raw, shown, field)


def parse_yaml(raw: bytes | str, shown: str, field: str) -> Any:
    """The document of the YAML text ``raw`` (a file's bytes, or text given on the command
    line: ``nbtools run -y 'days: 7'``), refused as :func:`read_yaml` refuses a file's."""
    import yaml

    try:
        document, repeated = load_yaml(raw.decode("utf-8") if isinstance(raw, bytes) else raw)
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"{shown} is not valid YAML: {exc}", field=field) from exc
    except ValueError as exc:  # a number longer than Python converts
        raise InvalidInputError(
            f"{shown} cannot be read: {conversion_refused(exc)}.", field=field
        ) from None
    except RecursionError:
        raise InvalidInputError(
            f"{shown} nests lists or mappings too deeply to be read (hundreds of levels).",
            field=field,
        ) from None
    if repeated is not None:
        where = (
            f"on line {repeated.line}"
            if repeated.first_line == repeated.line
            else f"on lines {repeated.first_line} and {repeated.line}"
        )
        raise InvalidInputError(
            f"{shown}: {repeated.key!r} is declared twice in one mapping, {where}: YAML would "
            "keep the last silently, so it is refused; declare each key once.",
            field=field,
            key=repeated.key,
            lines=[repeated.first_line, repeated.line],
        )
    return document


class RepeatedKey(NamedTuple):
    """A key a mapping of a YAML document holds twice, with the lines (from 1) of both."""

    key: str
    first_line: int
    line: int


#: Keys standing for YAML's structure (``<<: *defaults``, ``=``), not for a field.
_STRUCTURAL_KEYS = ("tag:yaml.org,2002:merge", "tag:yaml.org,2002:value")


def load_yaml(text: str) -> tuple[Any, RepeatedKey | None]:
    """The values of a YAML document read safely, and the first key one of its mappings
    repeats (``None`` when none does), which YAML itself reads as the last value silently.

    A key given by a merge (``<<: *defaults``) and then in the mapping itself is an
    override, not a repetition.
    """
    import yaml

    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        pending, visited = ([] if root is None else [root]), set()
        while pending:  # a loop, not recursion: the graph may be deep, or cyclic through aliases
            node = pending.pop()
            if id(node) in visited or isinstance(node, yaml.ScalarNode):
                continue
            visited.add(id(node))
            if isinstance(node, yaml.SequenceNode):
                pending.extend(node.value)
                continue
            lines: dict[Any, int] = {}
            for key, value in node.value:
                pending.extend((key, value))
                if not isinstance(key, yaml.ScalarNode) or key.tag in _STRUCTURAL_KEYS:
                    continue
                name, line = loader.construct_object(key), key.start_mark.line + 1
                if name in lines:
                    return None, RepeatedKey(str(name), lines[name], line)
                lines[name] = line
        return (None if root is None else loader.construct_document(root)), None
    finally:
        loader.dispose()
