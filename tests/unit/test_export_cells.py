"""Tags and nbdev directives sort cells into roles and modules."""

from __future__ import annotations

import pytest

from nbtools.errors import InvalidInputError
from nbtools.export.cells import classify, module_name_problem, split_directives
from nbtools.export.source import python_lines
from tests.unit.export_helpers import notebook


def test_tags_give_roles_and_modules() -> None:
    classified = classify(
        notebook(
            ("code", "a = 1", ["parameters"]),
            ("code", "def f(): ...", ["export"]),
            ("code", "def g(): ...", ["export:data.load"]),
            ("code", "b = f()", ["main"]),
            ("code", "assert f() is None", ["test"]),
            ("code", "scratch = 2", []),
            ("code", "secret = 3", ["export", "skip"]),
            ("markdown", "# Title", []),
        )
    )
    roles = [(c.index, c.role, c.module) for c in classified.cells]
    assert roles == [
        (0, "parameters", None),
        (1, "export", None),
        (2, "export", "data.load"),
        (3, "main", None),
        (4, "test", None),
    ]
    assert classified.markdown == ["# Title"]
    assert classified.problems == []


def test_nbdev_directives_are_parsed_and_removed() -> None:
    directives, magics, code, offset = split_directives(
        "#| export utils\n#|hide\n\nx = 1\n#| not\n"
    )
    assert directives == {"export": "utils", "hide": ""}
    assert magics == []
    assert code == "x = 1\n#| not\n"
    assert offset == 3


def test_directives_are_read_from_the_leading_lines_only() -> None:
    """The code is the cell's lines after the directive, magic and blank lines that lead it,
    as Python counts lines (a form feed or U+2028 ends none), whatever starts the cell."""
    cases = {
        "x = 1\n#| export\n": ({}, [], 0),
        "": ({}, [], 0),
        "  #| export a\r\n\r\nx = 1\r\n": ({"export": "a"}, [], 2),
        "\n\n#|hide\rx = 1": ({"hide": ""}, [], 3),
        "%%time\n#| export\ny = 2": ({"export": ""}, ["%%time\n"], 2),
        "\x0c#| export\x0cstill the directive\nz = 3": ({"export": "still the directive"}, [], 1),
        "\u00a0#| exporti b\u2028c\nw = 4": ({"exporti": "b\u2028c"}, [], 1),
        "# a comment\n#| export\n": ({}, [], 0),
        "#| export\n#| hide\n\n": ({"export": "", "hide": ""}, [], 3),
    }
    for source, (directives, magics, offset) in cases.items():
        found = split_directives(source)
        assert found == (directives, magics, "".join(python_lines(source)[offset:]), offset)


def test_nbdev_default_exp_exporti_and_metadata_directives() -> None:
    nb = notebook(
        ("code", "#| default_exp tools", []),
        ("code", "#| export\ndef a(): ...", []),
        ("code", "#| exporti\ndef _b(): ...", []),
        ("code", "#| exports other\nC = 1", []),
        ("code", "#| hide\nimport nbdev", []),
        ("code", "def d(): ...", []),
    )
    nb["cells"][5]["metadata"]["nbdev"] = {"export": "true"}
    classified = classify(nb)
    assert classified.default_module == "tools"
    got = [(c.index, c.module, c.public, c.code) for c in classified.cells]
    assert got == [
        (1, None, True, "def a(): ..."),
        (2, None, False, "def _b(): ..."),
        (3, "other", True, "C = 1"),
        (5, None, True, "def d(): ..."),
    ]


def test_conflicting_tags_are_reported_not_guessed() -> None:
    classified = classify(
        notebook(("code", "x = 1", ["export", "main"]), ("code", "#| export b\ny=1", ["export:a"]))
    )
    assert classified.cells == []
    assert [(p.cell, p.code) for p in classified.problems] == [
        (0, "conflicting-roles"),
        (1, "conflicting-roles"),
    ]
    assert "main" in classified.problems[0].message
    assert "'a' and 'b'" in classified.problems[1].message


def test_module_names_are_dotted_identifiers() -> None:
    for valid in ("core", "data.load", "_x.y2", "A.b_C", "\u00e4", "a.b\u00e9"):
        assert module_name_problem(valid) is None
    for invalid in ("", "a..b", ".a", "a.", "1a", "a.1b", "a-b", "a b", "a.\u00b2"):
        assert f"'{invalid}' is not a valid module name" in (module_name_problem(invalid) or "")
    assert "keyword" in (module_name_problem("data.class") or "")


@pytest.mark.parametrize(
    ("name", "told"),
    [
        ("m" * 201, "its name has 201 bytes (UTF-8), where a module's file name may have 200"),
        ("a." + "é" * 101, "a part of its name has 202 bytes (UTF-8), where a module's file"),
        ("a." * 250 + "b", "its name has 501 bytes (UTF-8), where a module's path in the"),
    ],
)
def test_a_module_name_longer_than_its_files_may_be_is_refused(name: str, told: str) -> None:
    """Its file (``<part>.py``, written first as ``.<part>.py.nbtools-tmp``) must fit the 255
    bytes of a file's name, its path in the package the 500 bytes left of a whole path."""
    assert told in (module_name_problem(name) or "")
    for fits in ("m" * 200, "a." + "é" * 100, ("a." * 250)[:-1]):
        assert module_name_problem(fits) is None
    classified = classify(notebook(("code", "x = 1", [f"export:{name}"])))
    (problem,) = classified.problems
    assert (problem.cell, problem.code) == (0, "module-name")
    assert problem.message.startswith(f"The cell cannot be exported: the module '{name[:60]}…'")
    assert problem.hint == "Export it to a module of a shorter name."


@pytest.mark.parametrize(
    ("default_exp", "told"),
    [
        ("bad-name", "'bad-name' is not a valid module name (dotted Python identifiers only). "),
        ("m" * 201, "is too long for its file's name: its name has 201 bytes (UTF-8)"),
        ("service", "'service' is a module the generated package writes itself. "),
    ],
)
def test_a_main_module_the_notebooks_metadata_names_is_checked_as_a_cells(
    default_exp: str, told: str
) -> None:
    """nbdev's ``default_exp`` in the notebook's metadata named files unchecked: a module
    ``bad-name.py``, a name too long for a file (a traceback)."""
    nb = notebook(("code", "x = 1", ["export"]))
    nb["metadata"]["nbdev"] = {"default_exp": default_exp}
    with pytest.raises(InvalidInputError) as refused:
        classify(nb)
    assert refused.value.message.startswith(
        "The notebook's metadata (nbdev's default_exp) names a main module that cannot be: "
    )
    assert told in refused.value.message
    nb["metadata"]["nbdev"] = {"default_exp": " tools "}
    assert classify(nb).default_module == "tools"


def test_invalid_module_names_get_a_suggestion() -> None:
    classified = classify(
        notebook(
            ("code", "x = 1", ["export:my-utils"]),
            ("code", "y = 1", ["export:pipeline"]),
            ("code", "z = 1", ["export:"]),
        )
    )
    assert [p.code for p in classified.problems] == ["module-name"] * 3
    assert "Try 'export:my_utils'" in classified.problems[0].hint
    assert "writes itself" in classified.problems[1].message


def test_a_refused_module_name_is_corrected_in_the_form_the_cell_wrote_it() -> None:
    classified = classify(
        notebook(
            ("code", "#| export my-utils\nx = 1", []),
            ("code", "#|exporti 9data.load\ny = 1", []),
            ("code", "#| exports a-b.c\nz = 1", []),
        )
    )
    assert [p.hint for p in classified.problems] == [
        "Try '#| export my_utils'.",
        "Try '#| exporti data.load'.",
        "Try '#| exports a_b.c'.",
    ]


def test_a_comment_after_a_directive_is_told_to_go_on_its_own_line() -> None:
    """nbdev reads everything after a directive's name as its arguments (a comment there makes
    its export fail): the cell is refused, saying so, with the line to keep."""
    classified = classify(
        notebook(
            ("code", "#| export # main helpers\ndef f(): return 1", []),
            ("code", "#| hide\n#| export utils  # helpers\ndef g(): return 2", []),
            ("code", "#|exporti my-utils # x\ndef h(): return 3", []),
            ("code", "#| default_exp core # main module", []),
            ("code", "#| default_exp #main", []),
            ("code", "#| export utils\n# helpers\ndef k(): return 4", []),  # as told
        )
    )
    found = [(p.cell, p.message, p.hint) for p in classified.problems]
    assert found == [
        (
            0,
            "The cell cannot be exported: '#| export # main helpers' names the module "
            "'# main helpers': a comment cannot follow a directive on its line (nbdev reads "
            "the comment as more arguments, and its export fails).",
            "Put the comment on a line of its own, below the directives, leaving '#| export' "
            "(to the main module).",
        ),
        (
            1,
            "The cell cannot be exported: '#| export utils  # helpers' names the module "
            "'utils  # helpers': a comment cannot follow a directive on its line (nbdev reads "
            "the comment as more arguments, and its export fails).",
            "Put the comment on a line of its own, below the directives, leaving "
            "'#| export utils'.",
        ),
        (
            2,
            "The cell cannot be exported: '#| exporti my-utils # x' names the module "
            "'my-utils # x': a comment cannot follow a directive on its line (nbdev reads the "
            "comment as more arguments, and its export fails).",
            "Put the comment on a line of its own, below the directives. "
            "Try '#| exporti my_utils'.",
        ),
        (
            3,
            "default_exp: '#| default_exp core # main module' names the module "
            "'core # main module': a comment cannot follow a directive on its line (nbdev reads "
            "the comment as more arguments, and its export fails).",
            "Put the comment on a line of its own, below the directives, leaving "
            "'#| default_exp core'.",
        ),
        (
            4,
            "default_exp: '#| default_exp #main' names the module '#main': a comment cannot "
            "follow a directive on its line (nbdev reads the comment as more arguments, and its "
            "export fails).",
            "Put the comment on a line of its own, below the directives; '#| default_exp NAME' "
            "names the main module.",
        ),
    ]
    assert [(c.index, c.module, c.code) for c in classified.cells] == [
        (5, "utils", "# helpers\ndef k(): return 4")
    ]
    assert all("__main" not in p.hint for p in classified.problems)


def test_modules_the_package_writes_itself_are_refused_in_every_form() -> None:
    """pipeline.py, service.py, __main__.py and __init__.py are the generated package's: a
    cell exported to one of them, or to a module inside one, is refused at the cell."""
    classified = classify(
        notebook(
            ("code", "a = 1", ["export:service"]),
            ("code", "#| export service\nb = 1", []),
            ("code", "#| default_exp service", []),
            ("code", "c = 1", ["export:pipeline.steps"]),
            ("code", "#| exports __main__.cli\nd = 1", []),
            ("code", "e = 1", ["export:services"]),
        )
    )
    assert [(p.cell, p.code) for p in classified.problems] == [
        (0, "module-name"),
        (1, "module-name"),
        (2, "module-name"),
        (3, "module-name"),
        (4, "module-name"),
    ]
    assert [(c.index, c.module) for c in classified.cells] == [(5, "services")]
    first, _, default_exp, nested, _ = classified.problems
    assert first.message == (
        "The cell cannot be exported: 'service' is a module the generated package writes itself."
    )
    assert "__init__.py, __main__.py, pipeline.py, service.py" in first.hint
    assert default_exp.message.startswith("default_exp: 'service' is a module")
    assert "'pipeline.steps' would go into 'pipeline'" in nested.message


def test_cell_magic_in_an_exported_cell_is_rejected() -> None:
    classified = classify(notebook(("code", "#| export\n%%time\nx = 1", [])))
    (problem,) = classified.problems
    assert problem.code == "notebook-only"
    assert "%%time" in problem.message
