"""The data the export pipeline passes around: classified cells, problems, files."""

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

#: The file in the output directory listing what nbtools generated there (and its lineage).
MANIFEST = ".nbtools-extract.json"


def manifest_text(body: Mapping[str, Any]) -> str:
    """A manifest as nbtools writes it: indented JSON with sorted keys."""
    return json.dumps(body, indent=2, sort_keys=True) + "\n"


#: The cell roles, in the words of the tags that give them.
PARAMETERS, EXPORT, MAIN, TEST = "parameters", "export", "main", "test"
#: The tag (and nbdev-style directive ``#| serve``) marking served functions (docs/serving.md).
SERVE = "serve"

if TYPE_CHECKING:  # a set's notebooks: defined with the set, loaded for one
    from nbtools.export.notebook_set import Member, Origin


class Cell:
    """A code cell with the role its tags or nbdev directives give it.

    ``code`` is the cell's source without its leading nbdev directive lines; ``line_offset``
    is how many source lines were removed, so a line of ``code`` maps back to the notebook.
    ``serve``: the cell is marked ``serve`` (its functions, or for a ``main`` or ``parameters``
    cell the pipeline's ``run()``, become HTTP endpoints). ``origin``: the notebook of a set
    of notebooks the cell comes from (``index`` is then its place in the whole set), None for
    the cell of a single notebook.
    """

    __slots__ = (
        "code",
        "id",
        "index",
        "line_offset",
        "module",
        "origin",
        "public",
        "role",
        "serve",
    )

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
        self.origin: Origin | None = None  # in a set

    @property
    def number(self) -> int:
        """The cell's 1-based number in its notebook, as messages and generated comments show
        it."""
        return self.index + 1 - (self.origin.first if self.origin else 0)

    @property
    def label(self) -> str:
        """``cell 4`` as messages name it; ``cell 4 of 01_b.ipynb`` in a set of notebooks."""
        return f"cell {self.number}" + (f" of {self.origin.name}" if self.origin else "")

    @property
    def test_name(self) -> str:
        """The test function a ``test`` cell becomes: ``test_cell_<n>``, and in a set of
        notebooks ``test_<notebook>_cell_<n>`` (two notebooks may each have a cell 4)."""
        where = f"{self.origin.ident}_" if self.origin else ""
        return f"test_{where}cell_{self.number}"

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
    #: The notebook of a set the cell is in (``cell``: its index there); None for one notebook.
    notebook: str | None = None

    def to_dict(self) -> dict[str, Any]:
        where = {} if self.notebook is None else {"notebook": self.notebook}
        return {
            **where,
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
        notebook = "" if self.notebook is None else f"{self.notebook} "
        where = f"{notebook}cell {self.cell + 1}" + (f", line {self.line}" if self.line else "")
        hint = f" {self.hint}" if self.hint else ""
        return f"{self.severity}: {where}: {self.message}{hint}"


class Classified:
    """A notebook's code cells sorted into roles, plus what the notebook says about itself.

    ``summaries``: for a set of notebooks, each module's docstring (the summary of the notebook
    it is the main module of); None for one notebook, whose summary goes to its main module.
    ``members``: a set's notebooks (none for one notebook).
    """

    __slots__ = ("cells", "default_module", "markdown", "members", "problems", "summaries")

    def __init__(
        self,
        cells: list[Cell],
        default_module: str | None,
        markdown: list[str],
        problems: list[Problem],
    ) -> None:
        self.cells, self.default_module = cells, default_module
        self.markdown, self.problems = markdown, problems
        self.summaries: dict[str, str] | None = None
        self.members: tuple[Member, ...] = ()


def member_of(members: "tuple[Member, ...]", index: int) -> "Member":
    """The notebook of a set holding the cell at ``index`` in the set."""
    return next(member for member in reversed(members) if member.first <= index)


def cell_label(members: "tuple[Member, ...]", index: int) -> str:
    """``Cell 4`` (1-based, as JupyterLab shows cells), ``Cell 4 of 01_b.ipynb`` in a set:
    :attr:`Cell.label` of a cell the set's notebooks hold but do not export."""
    if not members:
        return f"Cell {index + 1}"
    member = member_of(members, index)
    return f"Cell {index - member.first + 1} of {member.name}"


class Source:
    """The notebook a package comes from: its file name and content fingerprint; for a set of
    notebooks, ``members`` are its notebooks in order, ``name`` names them all and ``sha256``
    is the set's fingerprint."""

    __slots__ = ("members", "name", "sha256")

    def __init__(self, name: str, sha256: str, members: "tuple[Member, ...]" = ()) -> None:
        self.name, self.sha256, self.members = name, sha256, members
