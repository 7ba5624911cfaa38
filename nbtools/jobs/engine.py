"""The papermill engine runs use: nbclient on a kernel we started, reporting progress."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

ENGINE_NAME = "nbtools"


@functools.cache
def register_engine() -> str:
    """Register the engine with papermill (once per process) and return its name."""
    from papermill.engines import NBClientEngine, papermill_engines

    class NbtoolsEngine(NBClientEngine):
        """nbclient execution that calls ``on_cell_start(index)`` before each cell.

        The kernel manager arrives in ``km`` already started (in the notebook's directory),
        so papermill neither starts nor shuts down kernels, nor changes the process's cwd.
        """

        @classmethod
        def execute_managed_notebook(
            cls,
            nb_man: Any,
            kernel_name: str,
            on_cell_start: Callable[[int], None] | None = None,
            **kwargs: Any,
        ) -> Any:
            if on_cell_start is not None:
                original = nb_man.cell_start

                def cell_start(cell: Any, cell_index: int | None = None, **kw: Any) -> Any:
                    if cell_index is not None:
                        on_cell_start(cell_index)
                    return original(cell, cell_index, **kw)

                nb_man.cell_start = cell_start
            return super().execute_managed_notebook(nb_man, kernel_name, **kwargs)

    papermill_engines.register(ENGINE_NAME, NbtoolsEngine)
    return ENGINE_NAME
