"""The service's settings, declared once as traitlets (``c.ServeSettings.*``,
``$NBTOOLS_SERVE_*``, or ``nbtools serve`` flags; see :mod:`nbtools.settings`).

The store URL and the API key's variable are checked by their traits, so a bad one is refused
where it was given, and the refusal names that place: the flag, the variable or the config
file (``c.ServeSettings.record_to = 'notaurl' in /srv/serve.py: expected …``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, ClassVar

from traitlets import Bool, Int, Unicode

from nbtools.config import Number, Refused, Settings
from nbtools.errors import InvalidInputError, StoreError


class StoreUrl(Unicode):  # type: ignore[type-arg]
    """An nbtools store URL (empty: none), refused unless nbtools can use it: malformed, or
    for a driver that is not installed. Whether the store opens is known when it is opened."""

    info_text = "a database URL nbtools can use"

    def validate(self, obj: Any, value: Any) -> str:
        text: str = super().validate(obj, value)
        if text:
            from nbtools.store.database import create_store_engine

            try:
                create_store_engine(text).dispose()
            except StoreError as error:
                raise Refused(error.details["reason"]) from None
        return text


class KeyVariable(Unicode):  # type: ignore[type-arg]
    """The name of the environment variable holding the API key (empty: no key), refused
    while that variable is empty or unset: serving without the key the operator asked for
    would leave the service open."""

    info_text = "the name of an environment variable holding the API key"

    def validate(self, obj: Any, value: Any) -> str:
        name: str = super().validate(obj, value)
        if name and not os.environ.get(name):
            raise Refused(f"${name} is empty or unset")
        return name


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

    api_key_env = KeyVariable(
        "",
        help="Name of the environment variable holding the API key. When set, every endpoint "
        "but /health and /ready needs the header 'X-API-Key: <key>' or "
        "'Authorization: Bearer <key>'. The key itself is never logged.",
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
    """The key callers must send: the value of the variable ``api_key_env`` names (``""``
    when it names none). The setting was refused while that variable was empty or unset
    (:class:`KeyVariable`); one emptied since is refused here."""
    name = settings.api_key_env
    if not name:
        return ""
    key = environ.get(name, "")
    if not key:
        raise InvalidInputError(
            f"The API key variable ${name} is empty or unset: set it, or serve without an "
            "API key (ServeSettings.api_key_env).",
            field="api_key_env",
        )
    return key
