"""A failed start-up is told once: the reason, then the traceback from the package's own code
on, without the import machinery, uvicorn, Starlette or nbtools in front of it."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from nbtools.serve.guards import Guard
from nbtools.serve.startup import log_failure, reason
from nbtools.serve.telemetry import PrometheusMetrics


def _fail_in(module_name: str, code: str) -> BaseException:
    """The exception ``code`` raises, run as the module ``module_name`` (the notebook's)."""
    module = ModuleType(module_name)
    try:
        exec(compile(code, f"<{module_name}>", "exec"), module.__dict__)
    except Exception as error:
        return error
    raise AssertionError("the code did not raise")


def test_the_log_gives_the_reason_and_the_package_s_own_frames_only(
    caplog: pytest.LogCaptureFixture,
) -> None:
    error = _fail_in("churn.core", "def load():\n    open('/nonexistent/model.bin')\nload()")
    with caplog.at_level(logging.ERROR, "nbtools.serve"):
        log_failure("churn", reason(error), error)
    [told] = [record.getMessage() for record in caplog.records]
    first, *lines = told.splitlines()
    assert first == (
        "start-up of churn failed: FileNotFoundError: [Errno 2] No such file or directory: "
        "'/nonexistent/model.bin'"
    )
    assert lines[0] == "Traceback (most recent call last):"
    assert [line for line in lines if line.lstrip().startswith("File ")] == [
        '  File "<churn.core>", line 3, in <module>',
        '  File "<churn.core>", line 2, in load',
    ]
    assert __file__ not in told


def test_a_failure_outside_the_package_is_its_reason_alone(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A dependency not installed (the package never ran), or a store that cannot open."""
    error = _fail_in("other", "import surely_not_installed_module")
    with caplog.at_level(logging.ERROR, "nbtools.serve"):
        log_failure("churn", reason(error), error)
    assert [record.getMessage() for record in caplog.records] == [
        "start-up of churn failed: ModuleNotFoundError: No module named "
        "'surely_not_installed_module' (install the package's dependencies: pip install "
        "<package dir>)"
    ]


def test_code_that_does_not_compile_is_told_with_where_and_what_to_do(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A module edited by hand, or written for a newer Python than the one serving it."""
    with pytest.raises(SyntaxError) as raised:
        compile("def broken(:\n", "core.py", "exec")
    with caplog.at_level(logging.ERROR, "nbtools.serve"):
        log_failure("churn", reason(raised.value), raised.value)
    version = "{}.{}".format(*sys.version_info)
    assert [record.getMessage() for record in caplog.records] == [
        f"start-up of churn failed: SyntaxError: {raised.value.msg} (core.py, line 1) (Python "
        f"{version} cannot compile the package's code: extract it again from its notebook, or "
        "serve it with the Python the notebook's code is written for)"
    ]


@pytest.mark.parametrize("told", [True, False])
def test_the_server_gets_starlette_s_traceback_only_when_the_app_told_nothing(
    told: bool,
) -> None:
    """uvicorn logs the message of a failed start-up: Starlette's traceback of it, which the
    app's own entry already tells (a failure that is no start-up failure keeps it)."""
    failure = {"type": "lifespan.startup.failed", "message": "Traceback (most recent ..."}

    async def failing(scope: Any, receive: Any, send: Any) -> None:
        await send(failure)

    guard = Guard(
        failing,
        api_key=lambda: "",
        max_body_bytes=1,
        body_seconds=30.0,
        served=frozenset,
        known=frozenset,
        prometheus=PrometheusMetrics(),
        aggregates=None,
        failure_told=lambda: told,
    )
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def receive() -> dict[str, Any]:
        return {"type": "lifespan.startup"}

    asyncio.run(guard({"type": "lifespan"}, receive, send))
    assert sent == [{**failure, "message": "" if told else failure["message"]}]


#: The ``__init__`` of a served package as nbtools extracted it before ``importing``: its
#: imports in a ``try`` handing their failure to ``import_failed``.
OLDER_INIT = """
try:
    from .core import predict
except (Exception, SystemExit) as error:
    from importlib.util import find_spec

    if find_spec("nbtools") is not None:
        from nbtools.serve import import_failed

        import_failed(__name__, error)
    raise
"""


@pytest.mark.parametrize(("command", "code"), [(["serve"], 3), (["--n", "2"], 1)])
def test_a_package_extracted_before_still_tells_a_failed_start_up(
    tmp_path: Path, command: list[str], code: int
) -> None:
    """Its serve command: one entry, exit 3; any other command: Python's traceback, exit 1."""
    package = tmp_path / "older"
    package.mkdir()
    (package / "__init__.py").write_text(OLDER_INIT)
    (package / "core.py").write_text("raise FileNotFoundError('model.bin is missing')\n")
    (package / "__main__.py").write_text("raise SystemExit(0)\n")
    repo = Path(__file__).resolve().parents[3]
    ended = subprocess.run(
        [sys.executable, "-m", "older", *command],
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(repo)])},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ended.returncode == code, ended.stderr
    told = "start-up of older failed: FileNotFoundError: model.bin is missing"
    assert (told in ended.stderr) == (code == 3), ended.stderr
