"""A real Jupyter server with the extension enabled (pytest-jupyter)."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def jp_server_config() -> dict[str, Any]:
    return {"ServerApp": {"jpserver_extensions": {"jupyter_nbtools": True}}}
