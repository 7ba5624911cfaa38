"""Sorting a notebook's cells into roles, from cell tags and nbdev directives.

Tags (JupyterLab's property inspector writes them): ``parameters``, ``export``,
``export:<module>``, ``main``, ``test``, ``skip``. nbdev directives at the top of a cell:
``#| default_exp <module>``, ``#| export [module]``, ``#| exporti [module]``,
``#| exports [module]`` and ``#| hide``; every leading directive line is removed from the
exported code, as nbdev does. The tag ``serve`` or the directive ``#| serve`` marks a cell
whose functions are served over HTTP (an unmarked cell with it is exported to the default
module); on a ``main`` or ``parameters`` cell it serves the pipeline's ``run()``.
"""

from __future__ import annotations

import keyword
import re
from typing import Any

from nbtools.errors import CheckFailedError, InvalidInputError
from nbtools.export.model import (
    EXPORT,
    MAIN,
    PARAMETERS,
    SERVE,
    TEST,
    Cell,
    Classified,
    Problem,
)
from nbtools.export.source import python_line_matches
from nbtools.notebooks import Notebook, cell_source, cell_tags, skipped

_DIRECTIVE = re.compile(r"^\s*#\s*\|")
_CELL_MAGIC = re.compile(r"^\s*%%\w+")
_DIRECTIVE_BODY = re.compile(r"([^\s:]+)\s*:?\s?(.*?)\s*$", re.DOTALL)

#: The most bytes (UTF-8) a part of a module name, and the package's name, may have: the name
#: of a file made of it (``<part>.py``, ``tests/test_<package>_service.py``, and each written
#: first under a temporary name, ``.<name>.nbtools-tmp``) must fit the 255 bytes a file
#: system allows.
MAX_NAME_BYTES = 200
#: The most bytes (UTF-8) a whole module name may have: its path in the package stays far
#: below what a whole path may have (4096 bytes on Linux, 1024 on macOS), leaving the rest to
#: the output directory's.
MAX_MODULE_BYTES = 500

#: Module names the generated package writes itself (``pipeline.py``, ``service.py``, …):
#: neither a module of the notebook's nor the package holding one (``pipeline.steps``).
RESERVED_MODULES = frozenset({"pipeline", "service", "__main__", "__init__"})

TAGGING_HELP = (
    "Tag the cells to export in JupyterLab (property inspector, or the Productionize panel): "
    "'export' for library code, 'main' for the pipeline, 'test' for tests, 'parameters' for "
    "inputs — or start a cell with the nbdev directive '#| export'."
)


def split_directives(source: str) -> tuple[dict[str, str], list[str], str, int]:
    """Split leading nbdev directive lines off ``source``.

    Returns the directives (``{name: value}``), the cell-magic lines found among them, the
    remaining code and how many lines were removed before it.
    """
    first = source[:1]
    if not (first.isspace() or first in "#%"):  # no directive, magic or blank line leads
        return {}, [], source, 0
    directives: dict[str, str] = {}
    magics: list[str] = []
    taken = 0
    start = 0  # where the code starts in ``source``: after the lines taken
    for match in python_line_matches(source):  # the leading lines only, not the whole cell
        line = match.group()
        directive = _DIRECTIVE.match(line)
        if directive:
            body = _DIRECTIVE_BODY.match(line[directive.end() :].strip())
            if body:
                name, value = body.groups()
                directives[name] = "" if value == "true" else value
        elif _CELL_MAGIC.match(line):
            magics.append(line)
        elif line.strip():
            break
        taken += 1
        start = match.end()
    return directives, magics, source[start:], taken


def _metadata_directives(metadata: Any) -> dict[str, str]:
    """nbdev's metadata form of directives: ``{"nbdev": {"export": "true"}}``."""
    table = metadata.get("nbdev") if isinstance(metadata, dict) else None
    if not isinstance(table, dict):
        return {}
    return {k: ("" if v == "true" else v) for k, v in table.items() if isinstance(v, str)}


def module_name(text: str) -> str:
    """A module name as Python reads the identifiers in it, NFKC (``export:ﬁle`` is the
    module ``file``); text that is no dotted identifier stays as written, for its problem."""
    if text.isascii() or not all(part.isidentifier() for part in text.split(".")):
        return text
    import unicodedata  # only a name that is not ASCII needs it

    return unicodedata.normalize("NFKC", text)


def module_name_problem(name: str) -> str | None:
    """Why ``name`` (read by :func:`module_name`) cannot be a module of the package, or
    ``None`` if it can. Any Python identifier is a module name, Unicode ones too (PEP 3131):
    unlike the package's, it never names a distribution."""
    parts = name.split(".")
    if not all(part.isidentifier() for part in parts):
        return f"'{shown(name)}' is not a valid module name (dotted Python identifiers only)"
    if any(keyword.iskeyword(part) for part in parts):
        return f"'{shown(name)}' uses a Python keyword as a module name"
    too_long = length_problem(name)
    if too_long:
        return too_long
    top = parts[0]
    if top in RESERVED_MODULES:
        where = "is" if top == name else f"would go into '{top}', which is"
        return f"'{name}' {where} a module the generated package writes itself"
    return None


def length_problem(name: str) -> str | None:
    """Why the module ``name`` (dotted identifiers) is too long for the files it makes, or
    ``None``: a part longer than a file's name may be, or the whole longer than its path."""
    parts = name.split(".")
    longest = max(len(part.encode()) for part in parts)
    if longest > MAX_NAME_BYTES:
        part = "its name" if len(parts) == 1 else "a part of its name"
        return (
            f"the module '{shown(name)}' is too long for its file's name: {part} has "
            f"{longest} bytes (UTF-8), where a module's file name may have {MAX_NAME_BYTES}"
        )
    size = len(name.encode())
    if size > MAX_MODULE_BYTES:
        return (
            f"the module '{shown(name)}' is too long for its file's path: its name has {size} "
            f"bytes (UTF-8), where a module's path in the package may have {MAX_MODULE_BYTES}"
        )
    return None


def shown(name: str) -> str:
    """``name`` as a message shows it: its first 60 characters when longer."""
    return name if len(name) <= 60 else f"{name[:60]}…"


class _Roles:
    """The roles one cell asks for, from its tags and directives."""

    def __init__(self) -> None:
        self.roles: dict[str, tuple[str | None, bool]] = {}
        self.errors: list[str] = []
        #: How the cell wrote the module it names, as a format: ``export:{}``, ``#| exporti {}``.
        self.form = "export:{}"

    def add(
        self, role: str, module: str | None = None, public: bool = True, form: str = "export:{}"
    ) -> None:
        previous = self.roles.get(role)
        if previous is not None and previous[0] != module and None not in (previous[0], module):
            self.errors.append(f"it is exported to both '{previous[0]}' and '{module}'")
            return
        if previous is None or module is not None:
            self.roles[role] = (module, public and (previous is None or previous[1]))
        if module is not None:
            self.form = form


def _roles_of(tags: list[str], directives: dict[str, str]) -> _Roles:
    roles = _Roles()
    for tag in tags:
        if tag in (PARAMETERS, MAIN, TEST, EXPORT):
            roles.add(tag)
        elif tag.startswith("export:"):
            roles.add(EXPORT, module_name(tag.partition(":")[2].strip()))
    for name, public in (("export", True), ("exports", True), ("exporti", False)):
        if name in directives:
            roles.add(
                EXPORT, module_name(directives[name].strip()) or None, public, f"#| {name} {{}}"
            )
    return roles


def classify(nb: Notebook) -> Classified:
    """Sort the notebook's code cells into roles and collect its markdown for the README."""
    cells: list[Cell] = []
    markdown: list[str] = []
    problems: list[Problem] = []
    default_module = _metadata_default_module(nb)
    for index, raw in enumerate(nb["cells"]):
        tags = cell_tags(raw)
        if skipped(tags):
            continue
        source = cell_source(raw)
        if raw["cell_type"] == "markdown":
            markdown.append(source)
            continue
        if raw["cell_type"] != "code":
            continue
        directives, magics, code, offset = split_directives(source)
        directives = {**_metadata_directives(raw.get("metadata")), **directives}
        if not (tags or directives):  # an untagged cell: no role (most cells of a notebook)
            continue
        cell_id = str(raw.get("id") or f"cell-{index}")
        roles = _roles_of(tags, directives)
        serve = SERVE in tags or SERVE in directives
        if serve and not roles.roles and not roles.errors:
            roles.add(EXPORT)

        def problem(code_: str, message: str, hint: str = "", line: int = 0) -> None:
            problems.append(Problem(index, cell_id, line, code_, message, hint))  # noqa: B023

        if directives.get("default_exp"):
            cell_default = module_name(directives["default_exp"].strip())
            refused = _refusal(cell_default, "#| default_exp {}")
            if refused:
                problem("module-name", f"default_exp: {refused[0]}", refused[1], line=1)
            else:
                default_module = cell_default
        for error in roles.errors:
            problem("conflicting-roles", f"The cell has conflicting export targets: {error}.")
        if roles.errors:
            continue
        if len(roles.roles) > 1:
            names = " and ".join(sorted(roles.roles))
            problem(
                "conflicting-roles",
                f"The cell is tagged both {names}.",
                "A cell has one role: remove all but one of these tags.",
            )
            continue
        if not roles.roles:
            continue
        role, (module, public) = next(iter(roles.roles.items()))
        refused = _refusal(module, roles.form) if module is not None else None
        if refused:
            problem("module-name", f"The cell cannot be exported: {refused[0]}", refused[1])
            continue
        if magics:
            problem(
                "notebook-only",
                f"The cell magic {magics[0].strip().split()[0]} runs only in IPython.",
                "Remove it from the exported cell, or keep it in an untagged cell.",
                line=1,
            )
        if serve and role == TEST:
            problem(
                "serve-test-cell",
                "A 'test' cell cannot be served.",
                "Mark the exported cell defining the function 'serve' instead.",
            )
        cells.append(Cell(index, cell_id, role, code, offset, module, public, serve))
    return Classified(cells, default_module, markdown, problems)


def _metadata_default_module(nb: Notebook) -> str | None:
    """The main module the notebook's metadata names (nbdev's ``default_exp``), if any; one
    that cannot be a module is refused, as a cell's ``#| default_exp`` is."""
    default_exp = _metadata_directives(nb.get("metadata")).get("default_exp")
    if not default_exp:
        return None
    module = module_name(default_exp.strip())
    refused = _refusal(module, '"default_exp": "{}"')
    if refused:
        raise InvalidInputError(
            "The notebook's metadata (nbdev's default_exp) names a main module that cannot "
            f"be: {refused[0]} {refused[1]}"
        )
    return module


def _refusal(module: str, form: str) -> tuple[str, str] | None:
    """Why the module named ``module`` is refused and what to do, or ``None`` if it is not.

    ``form`` is how the cell named it (``export:{}``, ``#| export {}``): the hint says it so.
    A directive's module is all that follows the directive's name, as nbdev reads it; a
    comment there is part of it, for nbdev too (its export fails on the extra arguments).
    """
    reason = module_name_problem(module)
    if reason is None:
        return None
    name, hash_, _ = module.partition("#")
    if not (hash_ and form.startswith("#|")):
        return f"{reason}.", _module_hint(module, form)
    name = name.strip()
    written = form.format(module)
    message = (
        f"'{written}' names the module '{module}': a comment cannot follow a directive on its "
        "line (nbdev reads the comment as more arguments, and its export fails)."
    )
    hint = "Put the comment on a line of its own, below the directives"
    if name and module_name_problem(name):
        return message, f"{hint}. {_module_hint(name, form)}"
    if name:
        return message, f"{hint}, leaving '{form.format(name)}'."
    if form.startswith("#| default_exp"):
        return message, f"{hint}; '{form.format('NAME')}' names the main module."
    return message, f"{hint}, leaving '{form.format('').strip()}' (to the main module)."


def _module_hint(module: str, form: str) -> str:
    if module_name_problem(module) == length_problem(module):  # a valid name, too long
        return "Export it to a module of a shorter name."
    if module.split(".")[0] in RESERVED_MODULES:
        files = ", ".join(f"{name}.py" for name in sorted(RESERVED_MODULES))
        return f"Export it to a module of another name: the package writes {files} itself."
    import unicodedata  # a refused name only: as Python would read it (x² → x2)

    module = unicodedata.normalize("NFKC", module)
    cleaned = ".".join(
        re.sub(r"\W", "_", part).lstrip("0123456789") or "module"
        for part in module.split(".")
        if part
    )
    if not cleaned or module_name_problem(cleaned):
        examples = " or ".join(f"'{form.format(name)}'" for name in ("utils", "data.load"))
        return f"Use a dotted Python name such as {examples}."
    return f"Try '{form.format(cleaned)}'."


def check_exportable(
    cells: list[Cell], problems: list[Problem], subject: str = "The notebook has"
) -> None:
    """Refuse notebooks (``cells``, classified) exporting nothing at all: a check failed, as
    for any notebook with problems, when their tagged cells were refused (``problems``), bad
    input when nothing is tagged. ``subject``: ``The notebooks have`` for a set of notebooks."""
    if not any(cell.role in (EXPORT, MAIN, TEST) for cell in cells):
        if problems:  # its tagged cells were refused: that is the reason to tell
            raise CheckFailedError(
                f"{subject} no cell that can be exported:\n"
                + "\n".join(p.describe() for p in problems),
                problems=[p.to_dict() for p in problems],
            )
        raise InvalidInputError(f"{subject} no exported cells. " + TAGGING_HELP)
