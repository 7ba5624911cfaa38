"""What the server's Authorizer is asked: the resource ``nbtools``, its actions, and the
decorators of handler methods, which ask it before anything of the request is read.

Jupyter knows the actions read, write and execute; nbtools adds ``admin`` (reading the audit
trail). docs/configuration.md ("Security") lists what each route needs.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn, Protocol, TypeVar, cast

from jupyter_server.auth.decorator import authorized as jupyter_authorized
from jupyter_server.auth.utils import HTTP_METHOD_TO_AUTH_ACTION
from tornado.httputil import HTTPServerRequest
from tornado.web import HTTPError

#: The resource name Authorizers see, so JupyterHub or a custom Authorizer can deny
#: read (GET), write (POST/PUT/PATCH/DELETE) or execute (running code) on nbtools.
AUTH_RESOURCE = "nbtools"

#: The action reading anything nbtools keeps needs: every GET, and a version's notebook
#: nbdime's checkpoint diff reads (:mod:`jupyter_nbtools.checkpoints`).
READ = "read"

#: The action that runs code (a run, a schedule, a reproduction, an environment recreate, a
#: package's tests, a service preview): a user allowed to ``write`` but not to ``execute``
#: can edit but not run.
EXECUTE = "execute"

#: The action restoring a version needs, through ``POST /versions/{id}/restore`` or Jupyter's
#: checkpoint API (:mod:`jupyter_nbtools.checkpoints`): it writes a file and runs nothing.
RESTORE_ACTION = "write"

#: The action reading the audit trail needs (``GET /audit``). Jupyter knows only read, write
#: and execute; an Authorizer that grants actions one by one (as JupyterHub's scopes can)
#: must grant ``admin`` explicitly, so the trail stays closed to users who may only work.
ADMIN = "admin"


class Authorized(Protocol):
    """A handler whose request body can be checked and whose refusals are audited
    (:class:`~.base.NbtoolsHandler`)."""

    request: HTTPServerRequest
    current_user: Any
    #: Whether the Authorizer allowed the request's method (``@authorized``).
    _nbtools_allowed: bool

    def check_body(self) -> None: ...

    async def refuse(self, action: str) -> NoReturn: ...


F = TypeVar("F", bound=Callable[..., Any])


def authorized_for(action: str | None) -> Callable[[F], F]:
    """Jupyter's ``@authorized(action)`` (``None``: the request method's action, ``read`` for
    GET and ``write`` for the others), typed, with the request's body checked once the
    Authorizer has allowed it, before the method runs
    (:meth:`~.base.NbtoolsHandler.check_body`): a request the user may not make is answered
    403 whatever its body holds, and the Authorizer is asked about every request.

    A request of an authenticated user the Authorizer refuses is entered in the audit trail
    before its 403 (``access.deny``), which names the refused action (``NotAuthorizedError``,
    ``details.action``: :meth:`~.base.NbtoolsHandler.refuse`); the method never runs, so
    nothing else is written. A request without a user (not logged in) is no entry: it names
    no one, and is answered Jupyter's own 403."""

    def decorate(method: F) -> F:
        @functools.wraps(method)
        def body_checked(self: Authorized, *args: Any, **kwargs: Any) -> Any:
            self._nbtools_allowed = True
            self.check_body()
            return method(self, *args, **kwargs)

        # a new decorator per method: one given no action keeps the first request's
        asked: Callable[..., Awaitable[Any]] = jupyter_authorized(action)(body_checked)

        @functools.wraps(method)
        async def audited(self: Authorized, *args: Any, **kwargs: Any) -> Any:
            try:
                return await asked(self, *args, **kwargs)
            except HTTPError as error:  # 403 before the method ran: the Authorizer's refusal
                if error.status_code == 403 and not self._nbtools_allowed and self.current_user:
                    method_name = (self.request.method or "GET").upper()
                    await self.refuse(action or HTTP_METHOD_TO_AUTH_ACTION[method_name])
                raise

        return cast(F, audited)

    return decorate


def authorized(method: F) -> F:
    """``@authorized`` for a handler method: the request method's action (``read``, ``write``)
    asked of the Authorizer, then the body checked (:func:`authorized_for`)."""
    return authorized_for(None)(method)


#: ``@authorized("execute")`` for handler methods that run code.
authorized_to_execute = authorized_for(EXECUTE)
