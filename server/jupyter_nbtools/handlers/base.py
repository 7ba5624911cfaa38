"""The base handler: authentication, authorization, the one parser per kind of input, the one
path resolver, error mapping and log hygiene (work off the event loop: :mod:`.off_loop`).

Every handler parses its input only through these methods, so each kind of input (an id in
the URL, a number in the query, a field of the JSON body, a path) is checked one way:

- ``path_id(text, name)``: an id from the URL, ASCII digits up to an id column's 2^31 - 1;
- ``whole_number_argument(name, ...)``, ``required_argument(name)``, ``path_argument(name)``
  (a path taken as sent, not stripped): the query (every query
  argument and URL part is read as UTF-8 text by ``decode_argument``);
- ``json_body()`` (at most ``max_body_bytes``; a lone surrogate, text UTF-8 cannot hold,
  refused wherever it stands) and ``body_field(body, name, kind)``: the body, whose fields
  each method declares with ``@body_fields(...)`` (:mod:`.bodies`; any other is refused),
  checked only once the Authorizer allowed the request (``@authorized``, :mod:`.authorization`);
- ``resolve(path, field)`` and ``relative_path(path, field)``: paths, inside the root, never
  hidden (unless the contents manager's ``allow_hidden``) and never in the store directory.

Bad input raises :class:`~nbtools.errors.InvalidInputError` with ``details.field`` naming
the input, which :meth:`NbtoolsHandler.write_error` turns into a 4xx JSON reply.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn, TypeVar

from jupyter_core.utils import ensure_async
from jupyter_server.base.handlers import APIHandler
from tornado.web import HTTPError, RequestHandler

from jupyter_nbtools.handlers.authorization import AUTH_RESOURCE
from jupyter_nbtools.handlers.bodies import (
    JSON_KINDS,
    fields_taken,
    is_kind,
    read_json,
    refuse_lone_surrogates,
)
from jupyter_nbtools.handlers.download import attachment
from jupyter_nbtools.handlers.scrub import scrub_uri
from jupyter_nbtools.handlers.seen import seen_from_root
from jupyter_nbtools.handlers.statuses import http_status
from jupyter_nbtools.identity import UNNAMED, request_actor
from jupyter_nbtools.jobs_service import JobsService
from nbtools.audit.denials import record_denial
from nbtools.errors import (
    HiddenPathError,
    InvalidInputError,
    NbtoolsError,
    NotAuthorizedError,
    PayloadTooLargeError,
    conversion_refused,
)
from nbtools.ids import MAX_ID, MAX_INTEGER, parse_id, whole_number
from nbtools.jsonvalues import dumps, shown
from nbtools.project import Project

T = TypeVar("T")

#: The default limit of a request body, in bytes (``NbtoolsApp.max_body_bytes``).
DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024


class NbtoolsHandler(APIHandler):
    """Base of every nbtools handler.

    Subclasses decorate each method with ``@tornado.web.authenticated`` and
    :mod:`.authorization`'s ``@authorized`` (``@authorized_to_execute`` where the request runs
    code), which checks the body once the request is allowed; errors raised by the core become
    ``{"error", "message", "details"}`` JSON with a 4xx status, and only bugs are 500.
    """

    auth_resource = AUTH_RESOURCE

    @property
    def project(self) -> Project:
        project: Project = self.settings["nbtools_project"]
        return project

    @property
    def actor(self) -> str:
        """Who the request acts as, recorded on what it creates (:mod:`..identity`)."""
        return request_actor(self) or UNNAMED

    async def authorize(self, action: str, what: str) -> None:
        """Ask the Authorizer for ``action`` on nbtools beyond the method's own (e.g.
        ``execute`` when an edit changes what a schedule runs); 403 naming ``what`` if not."""
        allowed = await ensure_async(
            self.authorizer.is_authorized(self, self.current_user, action, self.auth_resource)
        )
        if not allowed:
            await self.refuse(action, what)

    async def refuse(self, action: str, what: str | None = None) -> NoReturn:
        """Refuse the request the Authorizer refused ``action`` to: entered in the audit trail
        (:meth:`audit_denial`), then 403 naming the action (``details.action``) and ``what``
        needs it, the request's method and route unless named, so that a client can tell
        its user which permission to ask for."""
        await self.audit_denial(action)
        raise NotAuthorizedError(
            f"You are not allowed to {action} on nbtools, which {what or self._route()} needs.",
            action=action,
        )

    def _route(self) -> str:
        """``METHOD /nbtools/api/ROUTE``: the request without the server's base URL and its
        query."""
        path = self.request.path
        if path.startswith(self.base_url):
            path = "/" + path[len(self.base_url) :]
        return f"{(self.request.method or 'GET').upper()} {path}"

    #: Whether the Authorizer allowed the request's method (set by ``@authorized``).
    _nbtools_allowed = False

    async def audit_denial(self, action: str) -> None:
        """Enter the Authorizer's refusal of ``action`` to the request's user in the audit
        trail (``access.deny``, target ``METHOD /nbtools/api/ROUTE``, without the query),
        before the 403, at most once a minute for the same user, action and route
        (:func:`~nbtools.audit.denials.record_denial`); a trail that cannot be written is
        logged, the 403 answered all the same."""
        route = self._route()
        try:
            await self.call(record_denial, self.project.store, self.actor, route, action)
        except Exception:
            self.log.exception("nbtools: cannot enter the refused %s in the audit trail", route)

    async def call(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``function`` (database or file work) on the bounded worker pool, so the
        server's event loop, which also carries every kernel's messages, never waits on it;
        then, there too, start the server's scheduler if the work opened the store
        (:meth:`JobsService.start_once_store_opened`)."""
        pool: Executor = self.settings["nbtools_pool"]
        jobs: JobsService = self.settings["nbtools_jobs"]

        def work() -> T:
            try:
                return function(*args, **kwargs)
            finally:  # a request refused after it opened the store made it too
                jobs.start_once_store_opened()

        return await asyncio.get_running_loop().run_in_executor(pool, work)

    # -- paths ---------------------------------------------------------------------------

    def resolve(self, user_path: str, field: str = "path") -> Path:
        """Resolve a path from the request inside the server root, or refuse it.

        Refused as well: a path with a hidden component (``.ssh/…``, ``.~x.ipynb``) unless
        the contents manager's ``allow_hidden`` is on, and anything in the store directory.
        """
        if not isinstance(user_path, str) or not user_path:
            raise InvalidInputError(
                f"{field!r} must be a non-empty path relative to the server root.", field=field
            )
        try:
            target = self.project.resolve(user_path)
        except InvalidInputError as error:  # outside the root, too long for the file system
            raise type(error)(error.message, **{**error.details, "field": field}) from None
        if self.project.in_store(target):
            raise HiddenPathError(
                f"{user_path!r} is in the nbtools store directory, which is never served.",
                field=field,
            )
        if not getattr(self.contents_manager, "allow_hidden", False):
            relative = target.relative_to(self.project.root).parts
            if any(part.startswith(".") for part in (*Path(user_path).parts, *relative)):
                raise HiddenPathError(
                    f"{user_path!r} is hidden (a part of it starts with '.'). Jupyter serves "
                    "hidden files only with ContentsManager.allow_hidden = True.",
                    field=field,
                )
        forms = (user_path, str(target), self.project.relative(target))
        self._nbtools_paths = {**(self._nbtools_paths or {}), **dict.fromkeys(forms, field)}
        return target

    def relative_path(self, user_path: object, field: str = "path") -> str:
        """A path from the request, checked as :meth:`resolve` does, in its normalized
        root-relative ``/`` form (what the core functions take)."""
        if not isinstance(user_path, str):
            raise InvalidInputError(
                f"{field!r} must be a path relative to the server root, as a string.",
                field=field,
            )
        return self.project.relative(self.resolve(user_path, field))

    # -- URL and query -------------------------------------------------------------------

    def path_id(self, text: str, name: str = "id") -> int:
        """An id from the URL: ASCII digits, from 1 to 2^31 - 1 (what an id column holds)."""
        value = parse_id(text)
        if value is None:
            raise InvalidInputError(
                f"{name!r} must be an id, a whole number from 1 to {MAX_ID}, got {text!r}.",
                field=name,
            )
        return value

    def decode_argument(self, value: bytes, name: str | None = None) -> str:
        """A query argument or a part of the URL as text (tornado calls it for each, ``name``
        the argument's or the URL group's); bytes that are not UTF-8 once their %-escapes are
        decoded (``?q=%ff``) are a 400 naming it, where tornado's own answer named none."""
        try:
            return super().decode_argument(value, name)
        except HTTPError:
            field = name or "url"
            raise InvalidInputError(
                f"{field!r} is not UTF-8 text: its %-escapes decode to {value[:40]!r}.",
                field=field,
            ) from None

    def required_argument(self, name: str, *, strip: bool = True) -> str:
        """A query argument that must be present and not empty; without ``strip``, taken
        as sent (tornado drops the spaces and line breaks at its ends otherwise)."""
        value = self.get_query_argument(name, default=None, strip=strip)
        if not value:
            raise _missing(name)
        return value

    def text_argument(self, name: str) -> str | None:
        """A query argument as sent (None when absent): where tornado's own reading turns a
        control character into a space (``?q=%00`` read as ``" "``, no words: every job),
        the core refuses it, naming the argument (:func:`~nbtools.text.check_search_text`)."""
        values = self.request.query_arguments.get(name)
        return None if not values else self.decode_argument(values[-1], name)

    def required_text_argument(self, name: str) -> str:
        """A query argument as sent (:meth:`text_argument`), present and not empty."""
        value = self.text_argument(name)
        if not value:
            raise _missing(name)
        return value

    def path_argument(self, name: str = "path") -> str:
        """A required query argument naming a file: taken as sent, a space or a line break at
        its ends kept, as a body's path keeps it (``nb.ipynb%0A`` names no ``nb.ipynb``)."""
        return self.required_argument(name, strip=False)

    def choice_argument(self, name: str, choices: tuple[str, ...]) -> str:
        """A query argument that must be one of ``choices`` (the first when it is absent);
        anything else is a 400 naming it and listing them."""
        value = self.get_query_argument(name, choices[0])
        if value not in choices:
            raise InvalidInputError(
                f"Query argument {name!r} must be one of {', '.join(choices)}, got {value!r:.60}.",
                field=name,
                choices=list(choices),
            )
        return value

    def whole_number_argument(
        self, name: str, default: int | None = None, least: int = 0, most: int | None = None
    ) -> int | None:
        """A query argument that must be a whole number from ``least`` (to ``most``, at most
        2^63 - 1), or ``default`` when it is absent; anything else is a 400 naming it."""
        text = self.get_query_argument(name, None)
        if text is None:
            return default
        most = MAX_INTEGER if most is None else most
        value = whole_number(text)
        if value is None or value < least or value > most:
            bounds = f" from {least} to {most}" if most != MAX_INTEGER else f" of {least} or more"
            raise InvalidInputError(
                f"Query argument {name!r} must be a whole number{bounds}, got {text!r}.",
                field=name,
            )
        return value

    # -- body ----------------------------------------------------------------------------

    def check_body(self) -> None:
        """Refuse an oversized or malformed body, or one holding a field the method does not
        take, of a request that may carry one, so that a route reading no field refuses them
        too. Called by ``@authorized`` once the Authorizer allowed the request: a user who
        may not make it is answered 403, never told what is wrong with its body."""
        if self.request.method in ("POST", "PUT", "PATCH"):
            self._refuse_unknown_fields(self.json_body())

    def _accepted_fields(self) -> frozenset[str] | None:
        """The fields the request's method takes in its body (``@body_fields``); None for any
        (``@body_passed_on``, or a method the handler lacks: tornado answers 405)."""
        name = (self.request.method or "").lower()
        method = getattr(type(self), name, None)
        if method is None or method is getattr(RequestHandler, name, None):
            return None
        return fields_taken(method)

    def _refuse_unknown_fields(self, body: dict[str, Any]) -> None:
        accepted = self._accepted_fields()
        unknown = [] if accepted is None else [name for name in body if name not in accepted]
        if unknown:
            takes = f"only {', '.join(sorted(accepted or ()))}" if accepted else "no fields"
            raise InvalidInputError(
                f"Unknown field(s) in the request body: {', '.join(n[:80] for n in unknown)}. "
                f"This request takes {takes}.",
                field=unknown[0],
                fields=unknown,
            )

    @property
    def max_body_bytes(self) -> int:
        limit: int = self.settings.get("nbtools_max_body_bytes", DEFAULT_MAX_BODY_BYTES)
        return limit

    def json_body(self) -> dict[str, Any]:
        """The request body as a JSON object (an empty body is ``{}``), or a 4xx naming the
        problem: 413 over ``max_body_bytes``, 400 not JSON, not an object, or holding a lone
        surrogate (unless the method passes its body on: ``@body_passed_on``)."""
        cached: dict[str, Any] | None = getattr(self, "_nbtools_body", None)
        if cached is not None:
            return dict(cached)
        raw = self.request.body or b""
        if len(raw) > self.max_body_bytes:
            raise PayloadTooLargeError(
                f"The request body has {len(raw)} bytes; the limit is {self.max_body_bytes} "
                "(NbtoolsApp.max_body_bytes).",
                field="body",
                limit=self.max_body_bytes,
            )
        if not raw.strip():
            self._nbtools_body = {}
            return {}
        try:
            body: Any = read_json(raw)
        except InvalidInputError:
            raise
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            reason = exc.msg if isinstance(exc, json.JSONDecodeError) else "not UTF-8"
            raise InvalidInputError(
                f"The request body is not valid JSON: {reason}.", field="body"
            ) from None
        except ValueError as exc:  # what the decoder refuses after parsing: a number too long
            raise InvalidInputError(
                f"The request body cannot be read: {conversion_refused(exc)}.", field="body"
            ) from None
        except RecursionError:
            raise InvalidInputError(
                "The request body nests JSON too deeply (about a thousand levels).", field="body"
            ) from None
        if not isinstance(body, dict):
            raise InvalidInputError("The request body must be a JSON object.", field="body")
        if self._accepted_fields() is not None:  # a body passed on is its receiver's to read
            refuse_lone_surrogates(body, raw)
        self._nbtools_body = body
        return dict(body)

    def body_field(
        self,
        body: dict[str, Any],
        name: str,
        kind: type,
        default: Any = None,
        required: bool = False,
        empty: bool = False,
    ) -> Any:
        """Field ``name`` of a JSON body, of JSON type ``kind`` (``str``, ``int``, ``float``,
        ``bool``, ``dict``, ``list``); ``default`` when absent or null, a 400 naming the field
        when required and missing (a required string empty too, unless ``empty``: a file's
        text may be nothing), of another type, or a number beyond the database's range."""
        accepted = self._accepted_fields()
        assert accepted is None or name in accepted, f"{name!r} is read but not @body_fields"
        value = body.get(name)
        if value is None or (required and kind is str and value == "" and not empty):
            if required:
                raise InvalidInputError(f"The request body needs {name!r}.", field=name)
            return default
        if not is_kind(value, kind):
            raise InvalidInputError(
                f"The field {name!r} must be {JSON_KINDS[kind]}, not {shown(value)}.", field=name
            )
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INTEGER:
            raise InvalidInputError(f"The field {name!r} is out of range.", field=name)
        return value

    @contextmanager
    def naming(self, field: str) -> Iterator[None]:
        """Whatever the block refuses as bad input (400, 413) names the request's ``field``
        (given to code that cannot know the field's name), unless it names one already: bad
        input found in it, a check of it that fails (a notebook with problems), what it names
        failing (a kernel whose interpreter cannot report its environment), or a path the
        request gave (:meth:`resolve`: its own field, as every reply names it)."""
        try:
            yield
        except NbtoolsError as error:
            paths = self._nbtools_paths or {}
            names_a_path = any(isinstance(v, str) and v in paths for v in error.details.values())
            if http_status(error) in (400, 413) and not names_a_path:
                error.details.setdefault("field", field)
            raise

    # -- replies, errors and logs --------------------------------------------------------

    #: Replies of an ``@off_loop`` body, encoded, sent from the event loop when it returns.
    _nbtools_deferred: list[tuple[bytes | None, int, dict[str, str]]] | None = None
    #: The paths :meth:`resolve` read (as given, absolute, root-relative) → their field.
    _nbtools_paths: dict[str, str] | None = None

    def reply(self, model: Any, status: int = 200) -> None:
        """Finish with ``model`` as JSON (no body for 204), encoded where the caller runs:
        in an ``@off_loop`` body, on the worker pool."""
        self._reply_body(None if status == 204 else dumps(model), status, {})

    def reply_file(self, text: str, content_type: str, filename: str) -> None:
        """Finish with ``text`` as a file to save (``Content-Disposition: attachment``, UTF-8,
        a character UTF-8 cannot hold written as its escape), as :meth:`reply` does."""
        headers = {
            "Content-Disposition": attachment(filename),
            "Content-Type": f"{content_type}; charset=utf-8",
            "X-Content-Type-Options": "nosniff",
        }
        self._reply_body(text.encode("utf-8", "backslashreplace"), 200, headers)

    def _reply_body(self, body: bytes | None, status: int, headers: dict[str, str]) -> None:
        """Send ``body``, or in an ``@off_loop`` body keep it for the loop to send."""
        if self._nbtools_deferred is not None:
            self._nbtools_deferred.append((body, status, headers))
            return
        self._send(body, status, headers)

    def _send(self, body: bytes | None, status: int, headers: dict[str, str]) -> None:
        self.set_status(status)
        for name, value in headers.items():
            self.set_header(name, value)
        self.finish(body, set_content_type=headers.get("Content-Type", "application/json"))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.set_header("Content-Type", "application/json")
        self.clear_header("Content-Disposition")
        error = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(error, NbtoolsError):
            self.set_status(http_status(error))
            self.finish(dumps(seen_from_root(self.project.root, self._naming_field(error))))
            return
        if isinstance(error, HTTPError) and status_code < 500:
            message = error.log_message or error.reason or self._reason
            body: dict[str, Any] = {"error": "HTTPError", "message": message, "details": {}}
            self.finish(json.dumps(body))
            return
        body = {
            "error": "InternalError",
            "message": "Internal error in jupyter-nbtools; the server log has the traceback.",
            "details": {},
        }
        self.finish(json.dumps(body))

    def _naming_field(self, error: NbtoolsError) -> dict[str, Any]:
        """``error``'s body, its ``details.field`` naming the request's path that its details
        name (``path``, ``directory``) when the code raising it could not know the field (a
        file the request named is not a notebook)."""
        body = error.to_dict()
        paths = self._nbtools_paths or {}
        named = [paths[v] for v in error.details.values() if isinstance(v, str) and v in paths]
        if named and "field" not in error.details:
            body["details"] = {**error.details, "field": named[0]}
        return body

    def _request_summary(self) -> str:
        """The request as tornado logs it, without the token in its query."""
        return (
            f"{self.request.method} {scrub_uri(self.request.uri or '')} ({self.request.remote_ip})"
        )

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        """Log our errors in one line and bugs with their traceback, never with a token:
        tornado's own version prints the request's URI as it came, ``?token=…`` included."""
        if isinstance(value, NbtoolsError):
            self.log.info("nbtools: %s: %s", type(value).__name__, value.message)
        elif isinstance(value, HTTPError):
            if value.log_message:
                self.log.warning("%d %s: %s", value.status_code, self._request_summary(), value)
        else:
            self.log.error(
                "Uncaught exception %s", self._request_summary(), exc_info=(typ, value, tb)
            )


def _missing(name: str) -> InvalidInputError:
    """The refusal of a request without its query argument ``name``."""
    return InvalidInputError(f"The query argument {name!r} is required.", field=name)
