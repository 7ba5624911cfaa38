"""A project with a kernel whose environment the tests change, driven through the CLI."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from nbtools.cli.app import cli
from tests.conftest import make_notebook
from tests.envsnap_support import EnvKernel
from tests.unit.envsnap.conftest import env_kernel  # noqa: F401 - the kernel these tests use

Cli = Callable[..., Result]


@pytest.fixture
def nbtools(tmp_path: Path) -> Cli:
    """``nbtools --root tmp_path ARGS`` in this process (the kernel spec is on its path)."""

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(cli, ["--root", str(tmp_path), *args])

    return invoke


def as_json(result: Result, *codes: int) -> Any:
    assert result.exit_code in (codes or (0,)), result.output
    return json.loads(result.stdout)


def write_notebook(
    root: Path, body: str, parameters: str = "n = 2", name: str = "nb.ipynb"
) -> Path:
    """A notebook of the ``envtest`` kernel: a parameters cell, then ``body``."""
    nb = make_notebook([("code", parameters, ["parameters"]), ("code", body, [])], "envtest")
    path = root / name
    path.write_text(json.dumps(nb, indent=1))
    return path


def printed(run: dict[str, Any]) -> str:
    """What the executed notebook printed."""
    executed = json.loads(Path(run["output_notebook"]).read_text())
    return "".join("".join(o.get("text", "")) for c in executed["cells"] for o in c["outputs"])


@pytest.fixture
def kernel(env_kernel: EnvKernel) -> EnvKernel:  # noqa: F811 - the imported fixture
    return env_kernel
