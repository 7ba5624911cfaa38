"""The papermill engine runs use: nbclient on a kernel we started, reporting progress."""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Callable
from typing import Any

from nbtools.unused_imports import DEFERRED, deferring

ENGINE_NAME = "nbtools"
#: Seconds between saves of a running notebook's progress, the default of
#: ``JobsSettings.progress_save_seconds`` (papermill saves at every cell's start and end: eight
#: writes for a trivial run). The executed notebook is always saved at the end, also when the
#: run fails or its kernel dies.
SAVE_EVERY_SECONDS = 5.0
#: Seconds between the checks that the kernel of a running cell is alive. nbclient checks
#: every second, so a run whose kernel the watchdog killed (its timeout, a cancel) ended up to a
#: second later; a check costs a ``poll`` of the kernel's process.
ALIVE_CHECK_SECONDS = 0.1


def _throttled(save: Callable[..., Any], every: float) -> Callable[..., Any]:
    """``save``, skipped when the last save is less than ``every`` seconds old."""
    last = time.monotonic()

    def maybe_save(**kwargs: Any) -> None:
        nonlocal last
        if time.monotonic() - last >= every:
            save(**kwargs)
            last = time.monotonic()

    return maybe_save


@functools.cache
def register_engine() -> str:
    """Register the engine with papermill (once per process) and return its name; papermill
    is imported with :data:`~nbtools.unused_imports.DEFERRED` deferred (nothing of a run reads
    them)."""
    from nbclient.exceptions import DeadKernelError

    with deferring(DEFERRED):
        from papermill.clientwrap import PapermillNotebookClient
        from papermill.engines import NBClientEngine, NotebookExecutionManager, papermill_engines
        from papermill.log import logger

    class Client(PapermillNotebookClient):
        """papermill's client, noticing a dead kernel within :data:`ALIVE_CHECK_SECONDS`: it
        replaces nbclient's check that runs beside each cell (a test fails if a newer nbclient
        no longer runs it, tests/unit/jobs/test_engine.py)."""

        async def _async_poll_kernel_alive(self) -> None:
            while True:
                await asyncio.sleep(ALIVE_CHECK_SECONDS)
                try:
                    await self._async_check_alive()
                except DeadKernelError:
                    # What nbclient does on its own check: the cell's wait for its reply
                    # ends, and the cell fails with DeadKernelError.
                    self.task_poll_for_reply.cancel()
                    return

    class NbtoolsEngine(NBClientEngine):
        """nbclient execution on a started kernel, calling ``on_cell_start(index)``.

        The kernel arrives started in the notebook's directory with a ready client
        (``kernel``), so papermill neither starts nor stops kernels nor changes the cwd.
        """

        @classmethod
        def execute_notebook(
            cls,
            nb: Any,
            kernel_name: str,
            output_path: str | None = None,
            progress_save_seconds: float = SAVE_EVERY_SECONDS,
            progress_bar: bool = False,
            log_output: bool = False,
            autosave_cell_every: int = 30,
            recorded: dict[str, Any] | None = None,
            **kwargs: Any,
        ) -> Any:
            """papermill's own, with progress saved at most every ``progress_save_seconds``;
            ``recorded`` replaces what papermill wrote in the notebook's ``papermill``
            metadata (papermill records the notebook it was given as its ``input_path``)."""
            nb.metadata.papermill.update(recorded or {})
            nb_man = NotebookExecutionManager(
                nb,
                output_path=output_path,
                progress_bar=progress_bar,
                log_output=log_output,
                autosave_cell_every=autosave_cell_every,
            )
            save = nb_man.save
            nb_man.save = _throttled(save, progress_save_seconds)
            nb_man.notebook_start()
            try:
                cls.execute_managed_notebook(nb_man, kernel_name, log_output=log_output, **kwargs)
            finally:
                nb_man.save = save
                nb_man.cleanup_pbar()
                nb_man.notebook_complete()
            return nb_man.nb

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
            if log_output:  # the outputs, as papermill logs them
                kwargs["log"] = logger
            client = Client(
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
