"""The body of a call to a served function: JSON, read by the service's own rules.

:class:`ServedRoute` reads it before FastAPI does, so every problem with a body is answered
in the service's shape (``details.fields``, :mod:`nbtools.serve.replies`):

- Only a body sent as JSON (``Content-Type: application/json`` or ``application/<x>+json``)
  is read; a form, text, or a body without a Content-Type is 415. A web page can make a
  browser send those to a service on this machine without asking it first; JSON it cannot,
  so a call that does not say it is JSON is never made.
- A body declared in another charset than UTF-8 (``application/json; charset=latin-1``) is
  415 naming it: JSON is UTF-8 (RFC 8259), and it is not decoded otherwise.
- A body sent with a ``Content-Encoding`` (``gzip``) is 415 naming it: it is not decoded.
- An empty body sent as JSON is ``{}``: a function whose parameters all have defaults is
  called with none of them.
- Numbers are finite: ``NaN``, ``Infinity`` and ``-Infinity`` (which Python's ``json``
  accepts though JSON has no such numbers) and numbers beyond a float's range (``1e999``)
  are refused, 422 naming each field where one stands.
- A body that cannot be read at all (not JSON, not UTF-8, nested too deeply, a number of
  more than 4300 digits) is 422 with the field ``""``: the body as a whole.
- A field name holding a lone surrogate (``{"\\ud800": 1}``: JSON holds one, UTF-8 does not)
  is named by its escape, ``\\ud800``: no parameter is called so, so it is refused as any
  unknown field is, beside the body's other problems (pydantic, which cannot name it, refused
  the whole body). Deeper, such a name is the function's data (a dict's key): it is passed on
  as it came, and a 422 names its place by the escape (:mod:`nbtools.serve.problems`).
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Callable, Coroutine
from typing import Any

import anyio.to_thread
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute

from nbtools.errors import conversion_refused
from nbtools.jsonplaces import NonFinite, Place, encodable, escaped, marked_places, read_marked
from nbtools.serve.guards import ERROR_KEY

#: How a large body is read (:mod:`nbtools.serve.large`): called in a worker thread.
ReadLarge = Callable[[bytes], Any]


class ServedRoute(APIRoute):
    """The route of a served function: its body read by :func:`read_json` first, or, over
    ``large_bytes``, by :attr:`read_large` in a worker thread (:func:`served_route`)."""

    read_large: ReadLarge | None = None
    large_bytes = 0

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def read_first(request: Request) -> Response:
            content_type = request.headers.get("content-type", "")
            if not _is_json(content_type):
                return _not_json(request, content_type)
            charset = _charset(content_type)
            if charset is not None:
                return _not_utf8(request, content_type, charset)
            encoding = request.headers.get("content-encoding", "").strip().lower()
            if encoding not in ("", "identity"):
                return _compressed(request, encoding)
            served = ServedRequest(request.scope, request.receive)
            served.read_large, served.large_bytes = self.read_large, self.large_bytes
            await served.json()  # a body that cannot be read is refused here
            return await handle(served)

        return read_first


def served_route(read_large: ReadLarge, large_bytes: int) -> type[ServedRoute]:
    """The route class of an endpoint reading a body over ``large_bytes`` with ``read_large``."""
    return type(
        "ServedRoute", (ServedRoute,), {"read_large": read_large, "large_bytes": large_bytes}
    )


class ServedRequest(Request):
    """A call's request whose body FastAPI reads as :func:`read_json` does (a large one
    already validated, in a worker thread, by ``read_large``)."""

    read_large: ReadLarge | None = None
    large_bytes = 0

    async def body(self) -> bytes:
        return await super().body() or b"{}"  # FastAPI reads no JSON from an empty body

    async def json(self) -> Any:
        if not hasattr(self, "_read"):
            body = await super().body()
            if self.read_large is not None and len(body) > self.large_bytes:
                self._read = await anyio.to_thread.run_sync(self.read_large, body)
            else:
                self._read = escaped_names(read_json(body))
        return self._read


def _is_json(content_type: str) -> bool:
    """Whether a ``Content-Type`` is JSON, as FastAPI reads a body: ``application/json`` or
    ``application/<anything>+json``, parameters such as ``charset`` aside."""
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


def _charset(content_type: str) -> str | None:
    """The ``charset`` a ``Content-Type`` declares when it is not UTF-8 (``None``: UTF-8, or
    none declared), as given (quotes aside)."""
    for parameter in content_type.split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"')
            try:
                utf8 = codecs.lookup(charset).name == "utf-8"
            except LookupError:
                utf8 = False
            return None if utf8 else charset
    return None


def read_json(body: bytes) -> Any:
    """``body`` as JSON by the rules above; :class:`RequestValidationError` (422) says what
    is wrong with it, one problem per field."""
    if not body:
        return {}
    value, marks = _decoded(body)
    if not marks:
        return value
    message = "{} is not a finite number: JSON has no NaN or infinity."
    raise RequestValidationError(
        [_problem(message.format(number), place) for place, number in marked_places(value, marks)]
    )


def escaped_names(body: Any) -> Any:
    """``body`` (an object, or a batch's list of them) with each field name holding a lone
    surrogate written as its escape (U+D800 as the six characters ``\\ud800``), as a
    result's text is (:func:`nbtools.serve.results.result_json`)."""
    if isinstance(body, list):
        return [escaped_names(item) if isinstance(item, dict) else item for item in body]
    if not isinstance(body, dict) or all(encodable(name) for name in body):
        return body
    return {escaped(name): value for name, value in body.items()}


def _decoded(body: bytes) -> tuple[Any, list[NonFinite]]:
    """``body`` read with every number JSON cannot carry marked (:func:`read_marked`)."""
    try:
        return read_marked(body, constants=True)
    except json.JSONDecodeError as error:  # its place is a character, not a field
        problem = {
            "type": "json_invalid",
            "loc": ("body", error.pos),
            "msg": "JSON decode error",
            "ctx": {"error": error.msg},
        }
    except UnicodeDecodeError:
        problem = _problem("It is not UTF-8 text.")
    except ValueError as error:  # what the decoder refuses after reading: a number too long
        problem = _problem(f"It cannot be read: {conversion_refused(error)}.")
    except RecursionError:
        problem = _problem(
            "It nests JSON arrays or objects too deeply to be read (about a thousand levels)."
        )
    raise RequestValidationError([problem])


def _problem(message: str, place: Place = ()) -> dict[str, Any]:
    return {"type": "value_error", "loc": ("body", *place), "msg": message}


def _compressed(request: Request, encoding: str) -> JSONResponse:
    """The 415 of a body sent with a ``Content-Encoding`` (which is not read), with the
    ``Accept-Encoding`` that says what is (RFC 7694)."""
    setattr(request.state, ERROR_KEY, "unsupported-media-type")
    return JSONResponse(
        {
            "error": "unsupported-media-type",
            "message": "The request body must be sent as it is, not compressed: this service "
            f"does not decode Content-Encoding {encoding}. Send it without compressing it and "
            "without that header.",
            "details": {"content_encoding": encoding},
        },
        status_code=415,
        headers={"Accept-Encoding": "identity"},
    )


def _not_utf8(request: Request, content_type: str, charset: str) -> JSONResponse:
    setattr(request.state, ERROR_KEY, "unsupported-media-type")
    return JSONResponse(
        {
            "error": "unsupported-media-type",
            "message": f"The request body must be JSON in UTF-8 (RFC 8259), not {charset}: "
            "send it as UTF-8, with 'Content-Type: application/json' (or charset=utf-8).",
            "details": {"content_type": content_type, "charset": charset},
        },
        status_code=415,
    )


def _not_json(request: Request, content_type: str) -> JSONResponse:
    setattr(request.state, ERROR_KEY, "unsupported-media-type")
    came = f"it came as {content_type}" if content_type else "it came without a Content-Type"
    return JSONResponse(
        {
            "error": "unsupported-media-type",
            "message": f"The request body must be JSON, sent as application/json ({came}). "
            "With curl: --json '{...}', or -d with -H 'Content-Type: application/json'.",
            "details": {"content_type": content_type},
        },
        status_code=415,
    )
