"""``nbtools serve``: what it refuses before starting anything, and what it never imports."""

from __future__ import annotations

import json
from pathlib import Path

from nbtools.export.api import ExtractRequest, run_extract
from nbtools.export.model import MANIFEST
from tests.conftest import NotebookFactory, run_python
from tests.unit.test_cli import run_cli


def test_the_cli_start_up_imports_no_web_framework() -> None:
    code = (
        "import sys; from nbtools.cli.app import cli; from nbtools.cli import serve; "
        "print([m for m in ('fastapi', 'uvicorn', 'starlette', 'prometheus_client') "
        "if m in sys.modules])"
    )
    result = run_python(code)
    assert result.stdout.strip() == "[]"
    assert "serve" in run_cli("--help").stdout


def test_a_directory_without_a_package_is_refused(tmp_path: Path) -> None:
    result = run_cli("serve", str(tmp_path))
    assert result.returncode == 2
    assert "holds no extracted package" in result.stderr


def test_a_package_serving_nothing_is_refused(
    notebook_factory: NotebookFactory, tmp_path: Path
) -> None:
    notebook = notebook_factory(
        "plain.ipynb", [("code", "def f() -> int:\n    return 1", ["export"])]
    )
    run_extract(ExtractRequest(notebook, tmp_path / "pkg", mode="write"))
    result = run_cli("serve", str(tmp_path / "pkg"))
    assert result.returncode == 2
    assert "has no service module: mark a function with '#| serve'" in result.stderr


def test_missing_dependencies_are_named_with_the_install_command(
    notebook_factory: NotebookFactory, tmp_path: Path
) -> None:
    notebook = notebook_factory("s.ipynb", [("code", "def f() -> int:\n    return 1", ["serve"])])
    out = tmp_path / "pkg"
    run_extract(ExtractRequest(notebook, out, mode="write"))
    manifest = json.loads((out / MANIFEST).read_text())
    manifest["dependencies"] = {"surely_not_installed_mod": "surely-not-installed>=1.2"}
    (out / MANIFEST).write_text(json.dumps(manifest))
    result = run_cli("serve", str(out), "--port", "1")
    assert result.returncode == 2
    assert "missing surely-not-installed>=1.2" in result.stderr
    assert "pip install 'surely-not-installed>=1.2'" in result.stderr


def test_a_record_to_url_nbtools_cannot_use_is_refused_before_anything_starts(
    notebook_factory: NotebookFactory, tmp_path: Path
) -> None:
    """As the store's own URL is refused (exit 2, the flag named, no traceback), and before
    the port is taken or the package imported; a password in it is not shown."""
    notebook = notebook_factory("s.ipynb", [("code", "def f() -> int:\n    return 1", ["serve"])])
    out = tmp_path / "pkg"
    run_extract(ExtractRequest(notebook, out, mode="write"))
    for url, reason in (
        ("notaurl", "Could not parse SQLAlchemy URL from given URL string."),
        ("nosuchdialect://x/y", "Can't load plugin: sqlalchemy.dialects:nosuchdialect."),
        ("postgresql+nodriver://me:s3cret@db/x", "Can't load plugin"),
    ):
        result = run_cli("serve", str(out), "--port", "0", "--record-to", url)
        assert result.returncode == 2, result.stderr
        assert result.stderr.startswith("Error: Cannot use the database URL")
        assert reason in result.stderr
        assert result.stderr.rstrip().endswith("See --record-to.")
        assert "Traceback" not in result.stderr
        assert "listening on" not in result.stderr
        assert "s3cret" not in result.stderr


def test_a_host_that_is_not_this_machine_s_is_refused_naming_the_host(
    notebook_factory: NotebookFactory, tmp_path: Path
) -> None:
    notebook = notebook_factory("s.ipynb", [("code", "def f() -> int:\n    return 1", ["serve"])])
    out = tmp_path / "pkg"
    run_extract(ExtractRequest(notebook, out, mode="write"))
    result = run_cli("serve", str(out), "--host", "nonexistent.invalid", "--port", "0")
    assert result.returncode == 2, result.stderr
    assert "Error: Cannot listen on nonexistent.invalid: " in result.stderr
    assert result.stderr.rstrip().endswith("See --host.")
    assert "--port" not in result.stderr
    assert "Traceback" not in result.stderr
