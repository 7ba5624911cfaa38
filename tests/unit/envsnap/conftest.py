from __future__ import annotations

from pathlib import Path

import pytest

from tests.envsnap_support import EnvKernel, install_kernel


@pytest.fixture
def env_kernel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> EnvKernel:
    """Kernel ``envtest``: this interpreter plus an empty temporary site directory."""
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    return install_kernel(tmp_path / "jupyter" / "kernels", tmp_path / "site")
