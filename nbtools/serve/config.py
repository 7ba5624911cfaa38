"""The service's settings, declared once as traitlets (``c.ServeSettings.*``,
``$NBTOOLS_SERVE_*``, or ``nbtools serve`` flags; see :mod:`nbtools.settings`).

The store URL and the API key's variable and file are checked by their traits, so a bad one
is refused where it was given, and the refusal names that place: the flag, the variable or
the config file (``c.ServeSettings.record_to = 'notaurl' in /srv/serve.py: expected …``).
A key no request could send (empty, only whitespace, whitespace at either end, which HTTP
drops from a header, a character that is not printable, or one outside ASCII, which most
clients cannot send as the service reads it) is refused the same way: serving with it would
answer every call 401.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from traitlets import Bool, Int, Unicode

from nbtools.config import Number, Refused, Settings, StoreUrl
from nbtools.cpus import most_per_cpu
from nbtools.errors import InvalidInputError
from nbtools.infiles import read_regular

#: Worker processes per CPU at most (``--workers``): each worker answers calls on a pool of
#: threads, so one per CPU keeps every CPU busy and a few more cover calls waiting on I/O; past
#: that each one only adds a copy of the package (its model) in memory, and a number such as
#: 100000 would start processes until the machine failed.
WORKERS_PER_CPU = 8


def max_workers() -> int:
    """The most worker processes ``nbtools serve`` starts: :data:`WORKERS_PER_CPU` for each
    CPU this process may run on."""
    return most_per_cpu(WORKERS_PER_CPU)


#: The default largest result (``ServeSettings.max_result_bytes``): 100 MiB of JSON, above
#: a table of a few hundred thousand rows, far below what fills a worker's memory.
DEFAULT_MAX_RESULT_BYTES = 100 * 1024 * 1024

#: The largest API key file read: a key is a line of text, and a file far larger is not one.
MAX_KEY_FILE_BYTES = 4096


def key_problem(key: str) -> str | None:
    """Why no request could send ``key`` in a header (``"holds only whitespace"``), or None."""
    if not key.strip():
        return "is empty" if not key else "holds only whitespace"
    if key != key.strip():
        return "starts or ends with whitespace, which no HTTP header carries"
    if not key.isprintable():
        return (
            "holds a character that is not printable: a line break, a tab, a control "
            "character, an invisible space or a byte that is not UTF-8"
        )
    if not key.isascii():  # the character itself is not told: the key is a secret
        return (
            "holds a character outside ASCII, which HTTP clients send in a "
            "header each their own way (as UTF-8, as Latin-1, or not at all): use letters, "
            "digits and ASCII punctuation"
        )
    return None


def variable_problem(name: str, environ: Mapping[str, str]) -> str | None:
    """Why the variable ``name`` holds no key a request could send (None: it does, or
    ``name`` is empty)."""
    if not name:
        return None
    key = environ.get(name, "")
    return "is empty or unset" if not key else key_problem(key)


class KeyVariable(Unicode):  # type: ignore[type-arg]
    """The name of the environment variable holding the API key (empty: no key), refused
    while that variable is empty or unset, or holds a key no request could send: serving
    without the key the operator asked for would leave the service open, and with a key no
    one can send would refuse every call."""

    info_text = "the name of an environment variable holding the API key"

    def validate(self, obj: Any, value: Any) -> str:
        name: str = super().validate(obj, value)
        problem = variable_problem(name, os.environ)
        if problem is not None:
            raise Refused(f"${name} {problem}")
        return name


class JobName(Unicode):  # type: ignore[type-arg]
    """The name of the job a service's traffic is recorded under (empty: the default),
    refused where it was set unless a job could be named so
    (:func:`~nbtools.jobs.fields.check_name`: at most 200 characters, not a number, no
    control characters), as it would be by any other way of making a job."""

    info_text = "a job's name"

    def validate(self, obj: Any, value: Any) -> str:
        name: str = super().validate(obj, value)
        if name:
            from nbtools.jobs.fields import check_name  # not at import: `nbtools --help`

            try:
                check_name(name)
            except InvalidInputError as error:
                raise Refused(error.message.removesuffix(".")) from None
        return name


class KeyFile(Unicode):  # type: ignore[type-arg]
    """The path of a file holding the API key (empty: none), as Docker and Kubernetes mount
    secrets; refused unless it can be read and holds a key a request could send."""

    info_text = "the path of a file holding the API key"

    def validate(self, obj: Any, value: Any) -> str:
        path: str = super().validate(obj, value)
        if path:
            read_key_file(path)
        return path


def read_key_file(path: str) -> str:
    """The key the file at ``path`` holds: its UTF-8 text less one line break at its end
    (``echo KEY > file`` writes one); :class:`Refused` saying why there is none."""
    try:
        data = read_regular(Path(path), repr(path), limit=MAX_KEY_FILE_BYTES + 1)
    except InvalidInputError as error:  # a named pipe, a device
        raise Refused(error.message.removesuffix(".")) from None
    except (OSError, ValueError) as error:  # ValueError: a NUL in the path
        reason = error.strerror if isinstance(error, OSError) and error.strerror else error
        raise Refused(f"cannot read {path!r}: {reason}") from None
    if len(data) > MAX_KEY_FILE_BYTES:
        raise Refused(f"{path!r} is larger than {MAX_KEY_FILE_BYTES} bytes: no key file")
    try:
        key = data.decode().removesuffix("\n").removesuffix("\r")
    except UnicodeDecodeError:
        raise Refused(f"{path!r} is not UTF-8 text") from None
    problem = key_problem(key)
    if problem is not None:
        raise Refused(f"the key in {path!r} {problem}")
    return key


class ServeSettings(Settings):
    """Limits, authentication and live-traffic recording of a served package."""

    env_prefix: ClassVar[str] = "NBTOOLS_SERVE_"

    timeout_seconds = Number(
        30.0,
        min=0.001,
        help="Seconds a request may take before it is answered 504. The call goes on in its "
        "thread until it returns; the worker keeps answering other requests.",
    ).tag(config=True)

    shutdown_timeout_seconds = Number(
        25.0,
        min=0.001,
        help="Seconds a stop (SIGTERM, Ctrl-C) waits for the requests in flight and the "
        "connections still open; then those still open are closed and the service stops "
        "(exit code 0). A client that sent part of a request and then stalled held the stop "
        "until it gave up. The default ends before Kubernetes' 30 s grace period; a call "
        "that may take longer than this (timeout_seconds above it) can be cut by a stop.",
    ).tag(config=True)

    max_body_bytes = Int(
        1024 * 1024, min=1, help="Largest request body, in bytes; a larger one is answered 413."
    ).tag(config=True)

    max_result_bytes = Int(
        DEFAULT_MAX_RESULT_BYTES,
        min=0,
        help="Largest result, in bytes of its JSON (0: no limit). A larger one is answered "
        "500 'result-too-large' naming this limit, and its writing stops there: a function "
        "returning gigabytes would otherwise take as much memory again for its reply.",
    ).tag(config=True)

    max_batch = Int(
        1000, min=1, help="Most items one POST /<name>/batch request may carry (more: 422)."
    ).tag(config=True)

    api_key_env = KeyVariable(
        "",
        help="Name of the environment variable holding the API key. When set, every endpoint "
        "but /health and /ready needs the header 'X-API-Key: <key>' or "
        "'Authorization: Bearer <key>'. The key itself is never logged.",
    ).tag(config=True)

    api_key_file = KeyFile(
        "",
        help="Path of a file holding the API key (a Docker or Kubernetes secret; this or "
        "api_key_env, not both): its text, less one line break at its end, read as the "
        "service starts. Endpoints then need the key as with api_key_env.",
    ).tag(config=True)

    public_docs = Bool(
        False,
        help="With an API key: answer the API description (/docs, its files, /openapi.json) "
        "without it, so a browser can show the docs page (its Authorize button takes the key "
        "for the calls tried there); every other endpoint still needs the key. It names the "
        "served functions and their parameters to anyone who can reach the service.",
    ).tag(config=True)

    record_to = StoreUrl(
        "",
        help="An nbtools store URL (e.g. sqlite:////srv/.nbtools/nbtools.db): write per-minute "
        "aggregates of live traffic there as the metric series of the service's job, so the "
        "job's alert rules apply to them.",
    ).tag(config=True)

    freeze_gc = Bool(
        False,
        help="Keep the objects made at start-up (the app, its libraries, the model) out of the "
        "garbage collector's full passes (gc.freeze), whose pauses would otherwise grow with "
        "them and stall every request in flight. Only for a process that serves nothing else: "
        "`nbtools serve` and `python -m PACKAGE serve` turn it on; an app mounted in another "
        "process leaves that process's collector alone.",
    ).tag(config=True)

    service_name = JobName(
        "",
        help="The job name the recorded aggregates go under. Default: 'service:<package>'.",
    ).tag(config=True)


def load_settings() -> ServeSettings:
    """The settings of this process: defaults, then ``$NBTOOLS_SERVE_*`` (how ``nbtools serve``
    hands its flags to uvicorn's worker processes)."""
    from nbtools.settings import build, layered_config

    config = layered_config(None, os.environ, classes=(ServeSettings,))
    return build(ServeSettings, config)


def api_key(settings: ServeSettings, environ: Mapping[str, str]) -> str:
    """The key callers must send: the value of the variable ``api_key_env`` names, or the
    key the file ``api_key_file`` holds (``""`` when neither is set). The settings were
    refused while there was no key there a request could send (:class:`KeyVariable`,
    :class:`KeyFile`); one that changed since is refused here."""
    name, path = settings.api_key_env, settings.api_key_file
    if name and path:
        raise InvalidInputError(
            "The API key is given twice, by a variable and a file "
            "(ServeSettings.api_key_env and api_key_file): give one.",
            field="api_key_file",
        )
    if path:
        try:
            return read_key_file(path)
        except Refused as error:
            raise InvalidInputError(
                f"Cannot use the API key file: {error} (ServeSettings.api_key_file).",
                field="api_key_file",
            ) from None
    problem = variable_problem(name, environ)
    if problem is not None:
        raise InvalidInputError(
            f"The API key variable ${name} {problem}: set it to the key, or serve without an "
            "API key (ServeSettings.api_key_env).",
            field="api_key_env",
        )
    return environ.get(name, "") if name else ""
