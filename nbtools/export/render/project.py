"""Rendering ``pyproject.toml`` and ``README.md``."""

from __future__ import annotations

import json

from nbtools.export.model import MANIFEST, Source
from nbtools.export.plan import Plan
from nbtools.export.render.common import header
from nbtools.export.render.modules import title_and_summary

#: The test runner the generated ``test`` extra asks for.
PYTEST_REQUIREMENT = "pytest>=7"
#: uvicorn's fast event loop, where it is built (not on Windows, nor outside CPython).
UVLOOP_REQUIREMENT = (
    "uvloop>=0.19; sys_platform != 'win32' and platform_python_implementation == 'CPython'"
)
#: The ``serve`` extra of a package serving functions (docs/serving.md), and what its
#: service tests need beside pytest (FastAPI's test client runs on httpx).
SERVE_REQUIREMENTS = [
    "fastapi>=0.110",
    "httptools>=0.6",
    "jupyter-nbtools",
    "prometheus-client>=0.20",
    "swagger-ui-bundle-v2>=5",
    "uvicorn>=0.54",
    UVLOOP_REQUIREMENT,
]
SERVE_TEST_REQUIREMENTS = ["httpx>=0.27"]


def _toml_list(items: list[str]) -> str:
    if not items:
        return "[]"
    return "[\n" + "".join(f"    {json.dumps(item)},\n" for item in items) + "]"


def render_pyproject(
    plan: Plan,
    source: Source,
    version: str,
    python: str,
    dependencies: list[str],
    test_dependencies: list[str],
    serves: bool = False,
) -> str:
    """PEP 621 metadata, hatchling build, console script and pytest settings; ``python``: its
    ``requires-python`` (:func:`nbtools.export.deps.requires_python`); with ``serves`` the
    ``serve`` extra and the manifest inside the wheel (``GET /info`` reads it)."""
    title, summary = title_and_summary(plan.markdown)
    description = (summary or title or f"Generated from {source.name}").splitlines()[0]
    distribution = plan.package.replace("_", "-")
    serve_tests = SERVE_TEST_REQUIREMENTS if serves else []
    lines = [
        header(source).rstrip("\n"),
        "",
        "[build-system]",
        'requires = ["hatchling>=1.18"]',
        'build-backend = "hatchling.build"',
        "",
        "[project]",
        f"name = {json.dumps(distribution)}",
        f"version = {json.dumps(version)}",
        f"description = {json.dumps(description)}",
        'readme = "README.md"',
        f"requires-python = {json.dumps(python)}",
        f"dependencies = {_toml_list(dependencies)}",
        "",
        "[project.optional-dependencies]",
        f"test = {_toml_list([PYTEST_REQUIREMENT, *test_dependencies, *serve_tests])}",
    ]
    if serves:
        lines.append(f"serve = {_toml_list(SERVE_REQUIREMENTS)}")
    if plan.has_pipeline:
        entry = f"{plan.package}.__main__:main"
        lines += ["", "[project.scripts]", f"{json.dumps(distribution)} = {json.dumps(entry)}"]
    lines += [
        "",
        "[tool.hatch.build.targets.wheel]",
        f"packages = [{json.dumps('src/' + plan.package)}]",
    ]
    if serves:
        lines += [
            "",
            "[tool.hatch.build.targets.wheel.force-include]",
            f"{json.dumps(MANIFEST)} = {json.dumps(plan.package + '/' + MANIFEST)}",
        ]
    lines += [
        "",
        "[tool.pytest.ini_options]",
        'testpaths = ["tests"]',
        'pythonpath = ["src"]',
        "",
        "[tool.nbtools]",
        f"# What this package was written from (notebook content, version, environment): {MANIFEST}.",
        _notebooks(source),
        f"lineage = {json.dumps(MANIFEST)}",
    ]
    return "\n".join(lines) + "\n"


def render_readme(plan: Plan, source: Source) -> str:
    """The notebook's markdown, then how to install, run and test the package."""
    parts = [header(source, "<!--").replace("\n", " -->\n")]
    text = "\n\n".join(block.strip() for block in plan.markdown if block.strip())
    if not title_and_summary(plan.markdown)[0]:
        parts.append(f"# {plan.package}\n\n")
    if text:
        parts.append(text + "\n\n")
    usage = [
        "## Using this package",
        "",
        f"Generated from `{source.name}` by `nbtools extract`.",
        "",
        "```console",
        "$ pip install .",
    ]
    if plan.has_pipeline or plan.parameters:  # parameters have a reader: loaded if needed
        from nbtools.export.parameters import option_default, option_name, shown_default
    if plan.has_pipeline:  # a command to paste into a shell: each value quoted for it
        import shlex  # not at import: only a package with a pipeline needs it

        typed = [(p.name, option_default(p)) for p in plan.parameters]
        # a value starting with '-' would be read as an option: it follows the option's '='
        options = " ".join(
            f"{option_name(name)}{'=' if value.startswith('-') else ' '}{shlex.quote(value)}"
            for name, value in typed
            if value is not None
        )
        usage.append(f"$ python -m {plan.package} {options}".rstrip())
    if plan.tests:
        usage.append('$ pip install ".[test]" && pytest')
    usage.append("```")
    if plan.parameters:
        usage += ["", "| parameter | default |", "|---|---|"]
        usage += [f"| `{p.name}` | `{shown_default(p)}` |" for p in plan.parameters]
    parts.append("\n".join(usage) + "\n")
    return "".join(parts)


def _notebooks(source: Source) -> str:
    """``[tool.nbtools]``'s line naming the notebook, or a set's notebooks in order."""
    if not source.members:
        return f"notebook = {json.dumps(source.name)}"
    return f"notebooks = {json.dumps([member.name for member in source.members])}"
