from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from nbtools.cli.app import cli
from tests.envsnap_support import EnvKernel, install_kernel

#: ``nbtools --root PROJECT env ARGS...``, run in this process.
EnvCommand = Callable[..., Result]


@pytest.fixture
def env_kernel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> EnvKernel:
    """Kernel ``envtest``: this interpreter plus an empty temporary site directory."""
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    return install_kernel(tmp_path / "jupyter" / "kernels", tmp_path / "site")


@pytest.fixture
def nbtools(tmp_path: Path, env_kernel: EnvKernel) -> EnvCommand:
    """``nbtools env ...`` in a new project, with kernel ``envtest`` installed."""
    root = tmp_path / "project"
    root.mkdir()

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(cli, ["--root", str(root), "env", *args], catch_exceptions=False)

    return invoke


def snapshot_id(nbtools: EnvCommand) -> str:
    """A new snapshot of kernel ``envtest``, by id."""
    result = nbtools("snapshot", "--kernel", "envtest", "--json")
    assert result.exit_code == 0, result.output
    return str(json.loads(result.stdout)["id"])
