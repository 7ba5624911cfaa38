"""Rendering ``service.py`` (the ASGI ``app``) and ``tests/test_<package>_service.py``."""

from __future__ import annotations

import ast

from nbtools.export.model import Source
from nbtools.export.plan import Plan
from nbtools.export.render.common import opening, py_str
from nbtools.export.serving import Served


def endpoint_ref(plan: Plan, served: Served) -> str:
    return f"{plan.package}.{served.module}:{served.name}"


def render_service(plan: Plan, source: Source, served: list[Served]) -> str:
    """``app = create_app(...)`` naming each endpoint's function, and ``main()`` for
    ``python -m <package> serve``."""
    package = plan.package
    lines = [
        *opening(
            source,
            f"The HTTP service of {source.name}.\n\nServe it with `python -m {package} serve`, "
            f"or with any ASGI server:\n`{package}.service:app`.\n",
        ),
        "from nbtools.serve import create_app",
        "",
        "#: Endpoint → the function it calls, imported once when the app starts.",
        "ENDPOINTS = {",
        *(f"    {py_str(s.name)}: {py_str(endpoint_ref(plan, s))}," for s in served),
        "}",
        "",
        f"app = create_app({py_str(package)}, ENDPOINTS)",
        "",
        "",
        "def main(argv: list[str]) -> int:",
        f'    """`python -m {package} serve [--host --port --workers ...]`."""',
        "    from nbtools.cli.serve import serve_installed",
        "",
        f"    return serve_installed({py_str(package)}, argv)",
    ]
    return "\n".join(lines) + "\n"


def render_serve_main(plan: Plan, source: Source) -> str:
    """``__main__.py`` of a package without a pipeline: ``python -m <package> serve``."""
    lines = [
        *opening(source, f"Command line: python -m {plan.package} serve [options]."),
        "import sys",
        "",
        "",
        "def main(argv: list[str] | None = None) -> int:",
        '    """Start the HTTP service: the only command of this package."""',
        "    args = sys.argv[1:] if argv is None else argv",
        '    if args[:1] != ["serve"]:',
        f'        print("usage: python -m {plan.package} serve [--host --port --workers ...]")',
        "        return 2",
        "    from .service import main as serve",
        "",
        "    return serve(args[1:])",
        "",
        "",
        'if __name__ == "__main__":',
        "    raise SystemExit(main())",
    ]
    return "\n".join(lines) + "\n"


def _literal_call(plan: Plan, name: str) -> ast.Call | None:
    """The first call ``name(...)`` in a test cell whose arguments are all literals."""
    for test in plan.tests:
        for node in ast.walk(test.tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            if node.func.id != name or any(k.arg is None for k in node.keywords):
                continue
            try:
                for argument in [*node.args, *(k.value for k in node.keywords)]:
                    ast.literal_eval(argument)
            except ValueError:
                continue
            return node
    return None


def _imported(served: Served) -> str:
    """The name a served function has in the service's tests: never one of the test module's
    own (``json``, ``app``, ``client``, ...), whatever the function is called."""
    return f"served_{served.name}"


def render_service_tests(plan: Plan, source: Source, served: list[Served]) -> str:
    """One test per endpoint through FastAPI's test client (skipped without FastAPI)."""
    package = plan.package
    names = sorted({s.name for s in served})
    lines = [
        *opening(source, f"Tests of the HTTP service of {source.name}: one per endpoint."),
        "import inspect",
        "import json",
        "from collections.abc import Iterator",
        "",
        "import pytest",
        "",
        "pytest.importorskip(",
        '    "fastapi",',
        "    reason=\"fastapi is not installed: pip install '.[serve,test]' to test the service\",",
        ")",
        'pytest.importorskip("httpx", reason="FastAPI\'s test client needs httpx")',
        "",
        "from fastapi.testclient import TestClient  # noqa: E402",
        "",
        *(
            f"from {package}.{s.module} import {s.name} as {_imported(s)}  # noqa: E402"
            for s in served
        ),
        f"from {package}.service import app  # noqa: E402",
        "",
        "",
        '@pytest.fixture(scope="module")',
        "def client() -> Iterator[TestClient]:",
        "    with TestClient(app) as started:  # runs the start-up: the package loads once",
        "        yield started",
        "",
        "",
        "def test_service_is_ready(client: TestClient) -> None:",
        '    assert client.get("/ready").json() == {"ready": True}',
        '    paths = client.get("/openapi.json").json()["paths"]',
        f"    assert {{{', '.join(py_str('/' + n) for n in names)}}} <= set(paths)",
    ]
    for item in served:
        lines += ["", "", f"def test_endpoint_{item.name}(client: TestClient) -> None:"]
        node = _literal_call(plan, item.name)
        if node is not None:
            args = ", ".join(ast.unparse(a) for a in node.args)
            kwargs = ", ".join(
                f"{py_str(k.arg or '')}: {ast.unparse(k.value)}" for k in node.keywords
            )
            lines += [
                f"    # the arguments of a test cell's call: {ast.unparse(node)}",
                f"    bound = inspect.signature({_imported(item)}).bind(*[{args}], **{{{kwargs}}})",
                "    arguments = dict(bound.arguments)",
            ]
        elif item.all_defaults:
            lines.append("    arguments: dict[str, object] = {}  # every parameter has a default")
        else:
            lines += [
                f"    # No test cell calls {item.name}() with literal arguments: only the",
                "    # request schema is checked. Call it in a test cell to test the endpoint.",
                f'    assert "/{item.name}" in client.get("/openapi.json").json()["paths"]',
            ]
            continue
        lines += [
            f'    response = client.post("/{item.name}", json=arguments)',
            "    assert response.status_code == 200, response.text",
            f"    expected = json.loads(json.dumps({_imported(item)}(**arguments), default=str))",
            "    assert response.json() == expected",
        ]
    return "\n".join(lines) + "\n"
