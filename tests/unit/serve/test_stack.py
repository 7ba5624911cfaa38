"""What ``nbtools serve`` says uvicorn runs on agrees with what uvicorn picks (its "auto")."""

from __future__ import annotations

import sys

import pytest

from nbtools.serve.runner import describe_stack


def test_with_uvloop_and_httptools_installed_uvicorn_runs_on_them() -> None:
    from uvicorn.loops.auto import auto_loop_factory
    from uvicorn.protocols.http.auto import AutoHTTPProtocol

    assert describe_stack() == "uvicorn on uvloop with httptools"
    loop = auto_loop_factory()()
    try:
        assert type(loop).__module__.startswith("uvloop")
    finally:
        loop.close()
    assert AutoHTTPProtocol.__name__ == "HttpToolsProtocol"


@pytest.mark.parametrize(
    ("blocked", "told"),
    [
        (["uvloop", "httptools"], "uvicorn on asyncio with h11 (pip install httptools uvloop:"),
        (["uvloop"], "uvicorn on asyncio with httptools (pip install uvloop:"),
        (["httptools"], "uvicorn on uvloop with h11 (pip install httptools:"),
    ],
)
def test_without_them_it_says_what_it_runs_on_and_what_to_install(
    monkeypatch: pytest.MonkeyPatch, blocked: list[str], told: str
) -> None:
    for module in blocked:  # None in sys.modules: the import system's "not installed"
        monkeypatch.setitem(sys.modules, module, None)
    assert describe_stack().startswith(told)
    assert describe_stack().endswith("about 1.4 times the requests per second)")
