from __future__ import annotations

from tests.unit.envsnap.conftest import env_kernel  # noqa: F401 - a kernel the tests change
