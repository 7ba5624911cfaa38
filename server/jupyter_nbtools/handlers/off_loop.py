"""Work off the event loop: a handler method's database and file work runs on the worker pool,
so the server's event loop, which also carries every kernel's messages, never waits on it."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jupyter_nbtools.handlers.base import NbtoolsHandler


def off_loop(method: Callable[..., None]) -> Callable[..., Awaitable[None]]:
    """Run a handler method's body (its database and file work) on the worker pool, so the
    server's event loop, which also carries every kernel's messages, never waits on it. What
    the body replies with :meth:`NbtoolsHandler.reply` is sent from the loop afterwards.

    Put it innermost: ``@web.authenticated``, ``@authorized``, ``@off_loop``, ``def get``.
    """

    @functools.wraps(method)
    async def on_pool(self: NbtoolsHandler, *args: Any, **kwargs: Any) -> None:
        self._nbtools_deferred = []
        try:
            await self.call(method, self, *args, **kwargs)
            deferred = self._nbtools_deferred
        finally:
            self._nbtools_deferred = None
        for body, status, headers in deferred:
            self._send(body, status, headers)

    return on_pool
