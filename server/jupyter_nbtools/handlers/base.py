"""The base handler: authentication, authorization, error mapping and path resolution."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jupyter_server.base.handlers import APIHandler
from tornado.web import HTTPError

from nbtools.errors import ConflictError, InvalidInputError, NbtoolsError, NotFoundError
from nbtools.jsonvalues import json_default
from nbtools.project import Project

#: The resource name Authorizers see, so JupyterHub or a custom Authorizer can deny
#: read (GET), write (POST/PUT/PATCH/DELETE) or execute on nbtools.
AUTH_RESOURCE = "nbtools"


def http_status(error: NbtoolsError) -> int:
    """The HTTP status for an nbtools error: 404, 409 or 400."""
    if isinstance(error, NotFoundError):
        return 404
    if isinstance(error, ConflictError):
        return 409
    return 400


class NbtoolsHandler(APIHandler):
    """Base of every nbtools handler.

    Subclasses decorate each method with ``@tornado.web.authenticated`` and
    ``@jupyter_server.auth.decorator.authorized``; errors raised by the core become
    ``{"error", "message", "details"}`` JSON with a 4xx status, and only bugs are 500.
    """

    auth_resource = AUTH_RESOURCE

    @property
    def project(self) -> Project:
        project: Project = self.settings["nbtools_project"]
        return project

    def resolve(self, user_path: str) -> Path:
        """Resolve a path from the request inside the server root, or refuse it."""
        return self.project.resolve(user_path)

    def required_argument(self, name: str) -> str:
        """A query argument that must be present."""
        value = self.get_query_argument(name, default=None)
        if value is None:
            raise HTTPError(400, f"Missing query argument {name!r}.")
        return value

    def whole_number_argument(
        self, name: str, default: int | None = None, least: int = 0, most: int | None = None
    ) -> int | None:
        """A query argument that must be a whole number from ``least`` (to ``most``), or
        ``default`` when it is absent; anything else is a 400 naming the argument."""
        text = self.get_query_argument(name, None)
        if text is None:
            return default
        value = int(text) if text.isascii() and text.isdigit() else -1
        if value < least or (most is not None and value > most):
            if most is not None:
                bounds = f" from {least} to {most}"
            else:
                bounds = f" of {least} or more" if least else ""
            raise InvalidInputError(
                f"Query argument {name!r} must be a whole number{bounds}, got {text!r}.",
                argument=name,
            )
        return value

    def json_body(self) -> dict[str, Any]:
        """The request body parsed as a JSON object, or a 400 naming the problem."""
        try:
            body = json.loads(self.request.body or b"{}")
        except json.JSONDecodeError as exc:
            raise HTTPError(400, f"The request body is not valid JSON: {exc.msg}.") from None
        if not isinstance(body, dict):
            raise HTTPError(400, "The request body must be a JSON object.")
        return body

    def reply(self, model: Any, status: int = 200) -> None:
        """Finish with ``model`` as JSON."""
        self.set_status(status)
        self.finish(json.dumps(model, default=json_default))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.set_header("Content-Type", "application/json")
        error = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(error, NbtoolsError):
            self.set_status(http_status(error))
            self.finish(json.dumps(error.to_dict(), default=json_default))
            return
        if isinstance(error, HTTPError) and status_code < 500:
            message = error.log_message or error.reason or self._reason
            body = {"error": "HTTPError", "message": message, "details": {}}
            self.finish(json.dumps(body))
            return
        body = {
            "error": "InternalError",
            "message": "Internal error in jupyter-nbtools; the server log has the traceback.",
            "details": {},
        }
        self.finish(json.dumps(body))

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        if isinstance(value, NbtoolsError):
            self.log.info("nbtools: %s: %s", type(value).__name__, value.message)
            return
        super().log_exception(typ, value, tb)
