"""Rendering ``pyproject.toml`` and ``README.md``."""

from __future__ import annotations

import json

from nbtools.export.model import Source
from nbtools.export.plan import Plan
from nbtools.export.render.common import header
from nbtools.export.render.modules import title_and_summary

#: The test runner the generated ``test`` extra asks for.
PYTEST_REQUIREMENT = "pytest>=7"


def _toml_list(items: list[str]) -> str:
    if not items:
        return "[]"
    return "[\n" + "".join(f"    {json.dumps(item)},\n" for item in items) + "]"


def render_pyproject(
    plan: Plan,
    source: Source,
    version: str,
    dependencies: list[str],
    test_dependencies: list[str],
) -> str:
    """PEP 621 metadata, hatchling build, console script and pytest settings."""
    title, summary = title_and_summary(plan.markdown)
    description = (summary or title or f"Generated from {source.name}").splitlines()[0]
    distribution = plan.package.replace("_", "-")
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
        'requires-python = ">=3.10"',
        f"dependencies = {_toml_list(dependencies)}",
        "",
        "[project.optional-dependencies]",
        f"test = {_toml_list([PYTEST_REQUIREMENT, *test_dependencies])}",
    ]
    if plan.has_pipeline:
        entry = f"{plan.package}.__main__:main"
        lines += ["", "[project.scripts]", f"{json.dumps(distribution)} = {json.dumps(entry)}"]
    lines += [
        "",
        "[tool.hatch.build.targets.wheel]",
        f"packages = [{json.dumps('src/' + plan.package)}]",
        "",
        "[tool.pytest.ini_options]",
        'testpaths = ["tests"]',
        'pythonpath = ["src"]',
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
    if plan.has_pipeline:
        options = " ".join(
            f"--{p.name.replace('_', '-')} {json.dumps(p.value) if p.cli_type == 'json' else p.value}"
            for p in plan.parameters
            if p.cli_type != "bool"
        )
        usage.append(f"$ python -m {plan.package} {options}".rstrip())
    if plan.tests:
        usage.append('$ pip install ".[test]" && pytest')
    usage.append("```")
    if plan.parameters:
        usage += ["", "| parameter | default |", "|---|---|"]
        usage += [f"| `{p.name}` | `{p.value!r}` |" for p in plan.parameters]
    parts.append("\n".join(usage) + "\n")
    return "".join(parts)
