"""The quick command-line reader of fast commands agrees with argparse, or lets it answer."""

from __future__ import annotations

from pathlib import Path

import pytest

from nbtools.cli.extract import COMMAND_LINE
from nbtools.cli.fastargs import _quick, parse, parser

READ_QUICKLY = [
    ["nb.ipynb", "-o", "out"],
    ["nb.ipynb", "-oout"],
    ["nb.ipynb", "--output", "out"],
    ["--output=out", "nb.ipynb"],
    ["-o", "out", "nb.ipynb", "--name", "pkg", "--version=2.0", "--test", "--json"],
    ["nb.ipynb", "-o", "out", "--check", "--venv", "--force", "--lineage", "off"],
    ["nb.ipynb", "-o", "a", "-o", "b", "--lineage=wait", "--lineage", "off"],  # last one wins
    ["-o", "out", "--", "-odd-name.ipynb"],
    ["-", "-o", "out"],
]
LEFT_TO_ARGPARSE = [
    ["nb.ipynb"],  # -o is required
    ["nb.ipynb", "-o"],  # it needs a value
    ["nb.ipynb", "-o", "--test"],
    ["nb.ipynb", "-o", "out", "--lineage", "later"],  # not a choice
    ["nb.ipynb", "--out", "out"],  # an abbreviation
    ["nb.ipynb", "-o", "out", "--tes"],
    ["nb.ipynb", "-o", "out", "--test=yes"],
    ["nb.ipynb", "-o", "out", "--unknown"],
    ["a.ipynb", "b.ipynb", "-o", "out"],
    ["-o", "out"],
    ["--help"],
    ["nb.ipynb", "-o", "out", "-h"],
    ["nb.ipynb", "-o=out"],  # argparse's own rules for "=" after a short option
]


@pytest.mark.parametrize("args", READ_QUICKLY, ids=" ".join)
def test_the_quick_reader_reads_as_argparse_does(args: list[str]) -> None:
    quick = _quick(COMMAND_LINE, args)
    assert quick is not None
    assert vars(quick) == vars(parser(COMMAND_LINE, "nbtools extract").parse_args(args))


@pytest.mark.parametrize("args", LEFT_TO_ARGPARSE, ids=" ".join)
def test_anything_else_is_left_to_argparse(args: list[str]) -> None:
    assert _quick(COMMAND_LINE, args) is None


def test_parse_answers_with_argparse_when_the_reader_cannot(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert parse(COMMAND_LINE, "nbtools extract", ["nb.ipynb", "--out", "x"]).out == Path("x")
    with pytest.raises(SystemExit) as exit_info:
        parse(COMMAND_LINE, "nbtools extract", ["nb.ipynb", "-o", "x", "--lineage", "later"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'later'" in capsys.readouterr().err
