"""Processes nbtools owns skip optional imports it never uses, and still work."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
from nbtools.unused_imports import skip_unused_imports
skip_unused_imports()
import sys
import jsonschema, nbformat, papermill
nbformat.validate(nbformat.v4.new_notebook())  # what a run's output notebook goes through
checker = jsonschema.FormatChecker()
assert checker.conforms("2026-11-25T10:00:00Z", "date-time")
assert not checker.conforms("yesterday", "date-time")
print(sorted(name for name in ("rfc3987_syntax", "pyarrow", "numpy") if sys.modules.get(name)))
"""


def test_papermill_and_nbformat_work_without_them() -> None:
    result = subprocess.run(
        [sys.executable, "-c", CHECK], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
