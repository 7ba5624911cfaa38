"""The installed distribution enables both halves of the extension by itself."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from nbtools import __version__

BIN = Path(sys.executable).parent
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


def jupyter(*args: str) -> str:
    result = subprocess.run(
        [str(BIN / "jupyter"), *args], capture_output=True, text=True, check=True
    )
    return ANSI_ESCAPE.sub("", result.stdout + result.stderr)


def test_server_extension_is_enabled_and_ok() -> None:
    output = jupyter("server", "extension", "list")
    assert "jupyter_nbtools enabled" in output
    assert f"jupyter_nbtools {__version__} OK" in output


def test_labextension_is_enabled_and_ok() -> None:
    output = jupyter("labextension", "list")
    assert re.search(rf"jupyterlab-nbtools v{re.escape(__version__)} enabled\s+OK", output)
