from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from nbtools.errors import NotebookError, NotFoundError
from nbtools.notebooks import cell_source, kernel_name, parse_notebook, read_notebook, summarize
from tests.conftest import NotebookFactory


def test_summary_indexes_tags(notebook_factory: NotebookFactory) -> None:
    path = notebook_factory(
        "a.ipynb",
        [("code", "x = 1", ["parameters"]), ("markdown", "# hi", []), ("code", "y=x", ["export"])],
    )
    summary = summarize(read_notebook(path), "a.ipynb")
    assert summary.cells == 3
    assert summary.code_cells == 2
    assert summary.kernel == "python3"
    assert summary.tags == {"parameters": [0], "export": [2]}


def test_source_as_list_of_lines_is_joined() -> None:
    assert cell_source({"source": ["a = 1\n", "b = 2"]}) == "a = 1\nb = 2"


@pytest.mark.parametrize("line", [5, None, ["x"], {"a": "b"}, 1.5, False])
@pytest.mark.parametrize("at", [0, 1, 2])
def test_a_source_line_that_is_not_text_is_refused_naming_the_notebook_and_cell(
    line: object, at: int
) -> None:
    """Reading the notebook refuses it, naming the notebook, the cell by its number and the
    line, whatever the cell's id (it named the cell by its id when the source was joined:
    '' for a notebook without ids)."""
    lines: list[object] = ["x = 1\n", "y = 2\n"]
    lines.insert(at, line)
    nb = {
        "nbformat": 4,
        "nbformat_minor": 4,
        "metadata": {},
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": ["# Title\n", "text"]},
            {"cell_type": "code", "metadata": {}, "source": lines, "outputs": []},
        ],
    }
    with pytest.raises(NotebookError) as info:
        parse_notebook(json.dumps(nb), source="nb.ipynb")
    assert info.value.message.startswith(
        f"nb.ipynb: cell 2 has a source line that is not text (line {at + 1} of its list): "
        "the notebook is damaged."
    )
    assert info.value.details == {"path": "nb.ipynb", "cell": 1}


def test_text_lines_and_an_empty_list_are_a_source() -> None:
    nb = {
        "nbformat": 4,
        "metadata": {},
        "cells": [{"cell_type": "raw", "source": []}, {"cell_type": "raw", "source": ["a", ""]}],
    }
    assert [cell_source(cell) for cell in parse_notebook(json.dumps(nb))["cells"]] == ["", "a"]


@pytest.mark.parametrize(("cell_id", "named"), [("a", "Cell 'a' "), ("", "Cell "), (None, "Cell ")])
def test_a_cell_not_read_by_parse_notebook_is_named_by_its_id_if_it_has_one(
    cell_id: str | None, named: str
) -> None:
    cell = {"id": cell_id, "source": ["x = 1\n", 5]}
    with pytest.raises(NotebookError) as info:
        cell_source(cell)
    assert info.value.message.startswith(named + "has a source line that is not text")


@pytest.mark.parametrize("spec", ["python3", ["python3"], {"name": 3}, None])
def test_a_kernelspec_of_another_shape_names_no_kernel(spec: object) -> None:
    assert kernel_name({"metadata": {"kernelspec": spec}, "cells": []}) is None


def test_missing_notebook_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="not found"):
        read_notebook(tmp_path / "missing.ipynb")


def test_truncated_notebook_names_line_and_truncation(notebook_factory: NotebookFactory) -> None:
    path = notebook_factory("t.ipynb", [("code", "x = 1", [])])
    path.write_text(path.read_text()[:-20])
    with pytest.raises(NotebookError, match=r"not valid JSON at line \d+.*truncated") as info:
        read_notebook(path)
    assert info.value.details["path"] == str(path)


COMPLETE = '{"nbformat": 4, "nbformat_minor": 5, "metadata": {},\n "cells": []}'


@pytest.mark.parametrize(
    ("content", "where", "told"),
    [
        (COMPLETE + "}", "line 2, column 14", "more text follows the end of the notebook"),
        (COMPLETE + "\n}\n}\n", "line 3, column 1", "more text follows the end of the notebook"),
        (
            COMPLETE + "\n" + "\0" * 8,
            "line 3, column 1",
            "NUL bytes follow the end of the notebook",
        ),
        (COMPLETE + '\n{"nbformat": 4}', "line 3, column 1", "more text follows"),
    ],
)
def test_more_after_a_complete_notebook_is_told_apart_from_truncation(
    content: str, where: str, told: str
) -> None:
    for raw in (content, content.encode()):
        with pytest.raises(NotebookError) as info:
            parse_notebook(raw, source="nb.ipynb")
        message = info.value.message
        assert message.startswith(f"nb.ipynb is not valid JSON at {where}: {told}"), message
        assert "(its closing '}')" in message
        assert "truncated" not in message


@pytest.mark.parametrize(
    "content", [COMPLETE[:-12], COMPLETE[:-12] + "\0" * 12, COMPLETE[:-1] + "\n\n"]
)
def test_a_truncated_notebook_is_still_told_truncated(content: str) -> None:
    """Also one a crash left padded with NUL bytes to its length."""
    with pytest.raises(NotebookError, match=r"\(the file looks truncated\)\.$") as info:
        parse_notebook(content.encode(), source="nb.ipynb")
    assert "follow" not in info.value.message


@pytest.mark.parametrize(
    "content", ["id,email\n1,a@x.com\n", "print('hi')\n", "<html><body></body></html>"]
)
def test_another_kind_of_file_is_told_apart_from_a_truncated_notebook(
    tmp_path: Path, content: str
) -> None:
    path = tmp_path / "data.csv"
    path.write_text(content)
    with pytest.raises(NotebookError, match="this is another kind of file") as info:
        read_notebook(path)
    assert "truncated" not in info.value.message


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "empty"),
        ('{"cells": []}', "needs 'nbformat' and 'cells'"),
        ('{"nbformat": 4, "metadata": {}}', "needs 'nbformat' and 'cells'"),
        ('{"nbformat": 4, "cells": [{"cell_type": "weird"}]}', "cell 1 is not a valid cell"),
        ('{"nbformat": 4, "cells": [], "metadata": []}', "the notebook's 'metadata' must be"),
        (
            '{"nbformat": 4, "cells": [{"cell_type": "code", "metadata": []}]}',
            "cell 1's 'metadata'",
        ),
        ("[1, 2]", "not a notebook"),
        (
            '{"nbformat": 4, "cells": [], "metadata": {"x": ' + "[" * 5000 + "]" * 5000 + "}}",
            "too deeply",
        ),
        ('{"nbformat": 4, "cells": [], "metadata": {"x": ' + "9" * 5000 + "}}", "4300 digits"),
    ],
)
def test_invalid_notebooks_are_named(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.ipynb"
    path.write_text(content)
    with pytest.raises(NotebookError, match=message):
        read_notebook(path)


V3 = (
    '{"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": [{"cells": '
    '[{"cell_type": "code", "input": "x = 1", "outputs": [], "language": "python"}]}]}'
)


@pytest.mark.parametrize(
    ("content", "version"),
    [
        (V3, "3"),
        ('{"nbformat": 2, "nbformat_minor": 0, "metadata": {}, "worksheets": []}', "2"),
        ('{"nbformat": 1, "cells": []}', "1"),
    ],
)
def test_an_older_notebook_is_told_to_be_upgraded(
    tmp_path: Path, content: str, version: str
) -> None:
    """nbformat 2 and 3 keep their cells in worksheets: the version is what is wrong, and
    JupyterLab upgrades a notebook when it opens one."""
    path = tmp_path / "old.ipynb"
    path.write_text(content)
    with pytest.raises(NotebookError) as info:
        read_notebook(path, name="old.ipynb")
    assert info.value.message == (
        f"old.ipynb has nbformat {version}; only version 4 notebooks are supported. "
        "Open and save it in JupyterLab to upgrade it."
    )
    assert info.value.details == {"path": "old.ipynb"}


@pytest.mark.parametrize("version", ["5", '"4"', "true", "null", "0"])
def test_a_version_jupyterlab_cannot_upgrade_is_not_told_to_be_upgraded(
    tmp_path: Path, version: str
) -> None:
    path = tmp_path / "odd.ipynb"
    path.write_text(f'{{"nbformat": {version}, "cells": []}}')
    with pytest.raises(NotebookError, match="only version 4 notebooks are supported") as info:
        read_notebook(path)
    assert "upgrade" not in info.value.message


def with_cells(*cells: dict[str, Any]) -> dict[str, Any]:
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": list(cells)}


def code(source: str | list[str], **fields: Any) -> dict[str, Any]:
    return {"cell_type": "code", "metadata": {}, "outputs": [], "source": source, **fields}


@pytest.mark.parametrize(
    ("nb", "where", "cell"),
    [
        (with_cells(code("x = 1"), code("a = 1\nx = '\ud800'")), "cell 2, line 2", 1),
        (with_cells(code(["a = 1\n", "b = 2\n", "x = '\udfff'"])), "cell 1, line 3", 0),
        (with_cells(code(["a = 1\nb = 2\n", "x\ud83d = 1"])), "cell 1, line 3", 0),
        (
            with_cells(code("1", outputs=[{"output_type": "stream", "text": "\ud800"}])),
            "cell 1 (its outputs.0.text)",
            0,
        ),
        (with_cells(code("1", metadata={"tags": ["\ud800"]})), "cell 1 (its metadata.tags.0)", 0),
        (
            {**with_cells(code("1")), "metadata": {"title": {"\ud800": 1}}},
            "its metadata.title.\\ud800",
            None,
        ),
    ],
)
def test_a_lone_surrogate_is_refused_naming_the_cell_and_line(
    tmp_path: Path, nb: dict[str, Any], where: str, cell: int | None
) -> None:
    """JSON can write one ("\\ud800"), UTF-8 cannot hold it: a run, an extraction, the
    parameters' form failed on it with a UnicodeEncodeError (a 500 over REST)."""
    raw = json.dumps(nb)  # each lone surrogate as its escape, as a file holds one
    path = tmp_path / "bad.ipynb"
    path.write_text(raw)
    for read in (lambda: parse_notebook(raw, source="bad.ipynb"), lambda: read_notebook(path)):
        with pytest.raises(NotebookError) as refused:
            read()
        message = refused.value.message
        assert f": {where} holds the lone surrogate \\ud" in message
        assert message.endswith("Delete that character and save the notebook.")
        assert refused.value.details.get("cell") == cell
    assert parse_notebook(raw, lone_surrogates=True) == nb  # versioning keeps it as it is


def test_a_lone_surrogate_in_utf8s_bytes_is_refused_too(tmp_path: Path) -> None:
    """Python's json reads UTF-8's bytes of a surrogate (ED A0 80) as one."""
    raw = json.dumps(with_cells(code("x = 'S'"))).encode().replace(b"S", b"\xed\xa0\x80")
    with pytest.raises(NotebookError, match=r"cell 1, line 1 holds the lone surrogate \\ud800"):
        parse_notebook(raw)


def test_a_pair_and_text_like_an_escape_are_no_lone_surrogate() -> None:
    nb = with_cells(code("emoji = '\U0001f600'  # C:\\ud\\uD800"))
    assert parse_notebook(json.dumps(nb)) == nb  # the emoji as its pair of escapes
    assert parse_notebook(json.dumps(nb, ensure_ascii=False).encode()) == nb
