"""The service's settings, declared once as traitlets (``c.ServeSettings.*``,
``$NBTOOLS_SERVE_*``, or ``nbtools serve`` flags; see :mod:`nbtools.settings`)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import ClassVar

from traitlets import Bool, Int, Unicode

from nbtools.config import Number, Settings
from nbtools.errors import InvalidInputError, StoreError


class ServeSettings(Settings):
    """Limits, authentication and live-traffic recording of a served package."""

    env_prefix: ClassVar[str] = "NBTOOLS_SERVE_"

    timeout_seconds = Number(
        30.0,
        min=0.001,
        help="Seconds a request may take before it is answered 504. The call goes on in its "
        "thread until it returns; the worker keeps answering other requests.",
    ).tag(config=True)

    max_body_bytes = Int(
        1024 * 1024, min=1, help="Largest request body, in bytes; a larger one is answered 413."
    ).tag(config=True)

    max_batch = Int(
        1000, min=1, help="Most items one POST /<name>/batch request may carry (more: 422)."
    ).tag(config=True)

    api_key_env = Unicode(
        "",
        help="Name of the environment variable holding the API key. When set, every endpoint "
        "but /health and /ready needs the header 'X-API-Key: <key>' or "
        "'Authorization: Bearer <key>'. The key itself is never logged.",
    ).tag(config=True)

    record_to = Unicode(
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

    service_name = Unicode(
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
    """The key callers must send: the value of the variable ``--api-key-env`` names (``""``
    when it names none). A named variable that is empty or unset is refused: serving without
    the key the operator asked for would leave the service open."""
    name = settings.api_key_env
    if not name:
        return ""
    key = environ.get(name, "")
    if not key:
        raise InvalidInputError(
            f"The API key variable ${name} is empty or unset: set it, or serve without "
            "--api-key-env.",
            field="api_key_env",
        )
    return key


def check_record_to(settings: ServeSettings) -> None:
    """Refuse a ``record_to`` that is no database URL nbtools can use (malformed, or for a
    driver not installed) before anything starts, as the store's own URL is refused. Whether
    the store opens is known when the service opens it: a start-up failure."""
    if not settings.record_to:
        return
    from nbtools.store.database import create_store_engine

    try:
        create_store_engine(settings.record_to).dispose()
    except StoreError as error:
        raise InvalidInputError(error.message, field="record_to") from None
