"""The data the export pipeline passes around: classified cells, problems, files."""

import json
from collections.abc import Mapping
from typing import Any, NamedTuple

#: The file in the output directory listing what nbtools generated there (and its lineage).
MANIFEST = ".nbtools-extract.json"


def manifest_text(body: Mapping[str, Any]) -> str:
    """A manifest as nbtools writes it: indented JSON with sorted keys."""
    return json.dumps(body, indent=2, sort_keys=True) + "\n"


#: The cell roles, in the words of the tags that give them.
PARAMETERS, EXPORT, MAIN, TEST = "parameters", "export", "main", "test"
#: The tag (and nbdev-style directive ``#| serve``) marking served functions (docs/serving.md).
SERVE = "serve"


class Cell:
    """A code cell with the role its tags or nbdev directives give it.

    ``code`` is the cell's source without its leading nbdev directive lines; ``line_offset``
    is how many source lines were removed, so a line of ``code`` maps back to the notebook.
    ``serve``: the cell is marked ``serve`` (its functions, or for a ``main`` or ``parameters``
    cell the pipeline's ``run()``, become HTTP endpoints).
    """

    __slots__ = ("code", "id", "index", "line_offset", "module", "public", "role", "serve")

    def __init__(
        self,
        index: int,
        id: str,
        role: str,
        code: str,
        line_offset: int = 0,
        module: str | None = None,
        public: bool = True,
        serve: bool = False,
    ) -> None:
        self.index, self.id, self.role, self.code = index, id, role, code
        self.line_offset, self.module, self.public = line_offset, module, public
        self.serve = serve

    @property
    def number(self) -> int:
        """The cell's 1-based number, as messages and generated comments show it."""
        return self.index + 1

    def notebook_line(self, code_line: int) -> int:
        """The 1-based line in the notebook cell for a 1-based line of ``code``."""
        return code_line + self.line_offset


class Problem(NamedTuple):
    """Something wrong in the notebook, located at a cell and line (1-based)."""

    cell: int
    cell_id: str
    line: int
    code: str
    message: str
    hint: str = ""
    severity: str = "error"

    def to_dict(self) -> dict[str, Any]:
        return {
            "cell": self.cell,
            "cell_id": self.cell_id,
            "line": self.line,
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "hint": self.hint,
        }

    def describe(self) -> str:
        """One line for a terminal: ``cell 4, line 2: message (hint)``."""
        where = f"cell {self.cell + 1}" + (f", line {self.line}" if self.line else "")
        hint = f" {self.hint}" if self.hint else ""
        return f"{self.severity}: {where}: {self.message}{hint}"


class Classified:
    """A notebook's code cells sorted into roles, plus what the notebook says about itself."""

    __slots__ = ("cells", "default_module", "markdown", "problems")

    def __init__(
        self,
        cells: list[Cell],
        default_module: str | None,
        markdown: list[str],
        problems: list[Problem],
    ) -> None:
        self.cells, self.default_module = cells, default_module
        self.markdown, self.problems = markdown, problems


class Source:
    """The notebook a package comes from: its file name and content fingerprint."""

    __slots__ = ("name", "sha256")

    def __init__(self, name: str, sha256: str) -> None:
        self.name, self.sha256 = name, sha256
