"""The papermill engine runs use: nbclient on a kernel we started, reporting progress."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

ENGINE_NAME = "nbtools"


@functools.cache
def register_engine() -> str:
    """Register the engine with papermill (once per process) and return its name."""
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines

    class NbtoolsEngine(NBClientEngine):
        """nbclient execution on a started kernel, calling ``on_cell_start(index)``.

        The kernel arrives started in the notebook's directory with a ready client
        (``kernel``), so papermill neither starts nor stops kernels nor changes the cwd.
        """

        @classmethod
        def execute_managed_notebook(
            cls,
            nb_man: Any,
            kernel_name: str,
            kernel: Any = None,
            on_cell_start: Callable[[int], None] | None = None,
            log_output: bool = False,
            start_timeout: int = 60,
            execution_timeout: int | None = None,
            **kwargs: Any,
        ) -> Any:
            if on_cell_start is not None:
                original = nb_man.cell_start

                def cell_start(cell: Any, cell_index: int | None = None, **kw: Any) -> Any:
                    if cell_index is not None:
                        on_cell_start(cell_index)
                    return original(cell, cell_index, **kw)

                nb_man.cell_start = cell_start
            kwargs.pop("input_path", None)
            client = PapermillNotebookClient(
                nb_man,
                km=kernel.km,
                kernel_name=kernel_name,
                timeout=execution_timeout,
                startup_timeout=start_timeout,
                log_output=log_output,
                **kwargs,
            )
            client.kc = kernel.kc
            return client.execute()

    papermill_engines.register(ENGINE_NAME, NbtoolsEngine)
    return ENGINE_NAME
