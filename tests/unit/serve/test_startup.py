"""A failed start-up is told once: the reason, then the traceback from the package's own code
on, without the import machinery, uvicorn, Starlette or nbtools in front of it."""

from __future__ import annotations

import asyncio
import logging
import sys
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
