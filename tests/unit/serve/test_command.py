"""Which module's command a process starts, read from its command line as Python and
installers write it (the package's serve command: tests/integration/serve/test_import_failure.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nbtools.serve.command import command_module
from tests.unit.export_helpers import install_console_scripts

PYTHON = "/venv/bin/python"


@pytest.mark.parametrize(
    ("orig_argv", "module"),
    [
        ([PYTHON, "-m", "churn", "serve", "--port", "0"], "churn"),
        ([PYTHON, "-mchurn", "serve", "--port", "0"], "churn"),
        ([PYTHON, "-I", "-X", "dev", "-m", "churn", "serve", "--port", "0"], "churn"),
        ([PYTHON, "-m", "churn.__main__", "serve", "--port", "0"], "churn.__main__"),
        # the command's own arguments may look like Python's options and module names
        ([PYTHON, "-m", "other", "serve", "-m", "churn"], "other"),
    ],
)
def test_python_m_names_the_module_python_is_finding(orig_argv: list[str], module: str) -> None:
    """While Python finds the module ``-m`` names, ``sys.argv`` is ``-m`` and the command's
    own arguments."""
    argv = ["-m", *orig_argv[orig_argv.index("serve") :]]
    assert command_module(argv, orig_argv) == module


@pytest.mark.parametrize(
    "launcher", ["bin/churn", "churn", "Scripts/churn.exe", "Scripts/churn-script.py"]
)
def test_a_console_script_names_the_module_of_its_entry_point(
    launcher: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Read from the entry points of the distribution installed on the import path, the
    launcher named as on each system."""
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "churn"\nversion = "1.0"\n'
        '[project.scripts]\n"churn" = "churn.__main__:main"\n'
    )
    monkeypatch.syspath_prepend(install_console_scripts(tmp_path, tmp_path / "installed"))
    assert command_module([launcher, "serve"], [PYTHON, launcher, "serve"]) == "churn.__main__"


@pytest.mark.parametrize(
    ("argv", "orig_argv"),
    [
        (["-c", "serve"], [PYTHON, "-c", "import churn", "serve"]),
        (["", "serve"], [PYTHON, "-", "serve"]),  # python reading its standard input
        (["/home/me/tool.py", "serve"], [PYTHON, "/home/me/tool.py", "serve"]),
        (["/venv/bin/no-such-console-script", "serve"], [PYTHON, "/venv/bin/x", "serve"]),
        (["-m", "serve"], []),  # an embedding application that gave Python no command line
    ],
)
def test_any_other_program_is_none(argv: list[str], orig_argv: list[str]) -> None:
    assert command_module(argv, orig_argv) is None
