"""Delivering one notification: HTTP POST of the JSON payload, or an e-mail (see ``mail``)."""

from __future__ import annotations

import base64
import json
import ssl
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from nbtools._version import __version__
from nbtools.errors import NbtoolsError
from nbtools.jsonvalues import json_default
from nbtools.metrics.config import NotificationSettings
from nbtools.metrics.tables import EMAIL, WEBHOOK


class DeliveryError(NbtoolsError):
    """One delivery attempt failed (the endpoint is down, slow, or said no)."""


def deliver(
    channel: str, destination: str, payload: dict[str, Any], settings: NotificationSettings
) -> None:
    """Send ``payload`` once, raising :class:`DeliveryError` on any failure."""
    if channel == WEBHOOK:
        post_webhook(destination, payload, settings)
    elif channel == EMAIL:
        from nbtools.metrics.notify.mail import send_email  # smtplib and ssl only when needed

        send_email(destination, payload, settings)
    else:
        raise DeliveryError(f"Unknown notification channel {channel!r}.")


def post_webhook(url: str, payload: dict[str, Any], settings: NotificationSettings) -> None:
    """POST ``payload`` as JSON; an https URL is checked against the trusted certificates,
    and credentials in the URL (``https://user:password@host/``) are sent as HTTP Basic
    authentication, as curl does, not as part of the host name."""
    context = None
    if url.lower().startswith("https:"):
        from nbtools.metrics.notify.tls import tls_context

        context = tls_context(settings)
    headers = {"Content-Type": "application/json", "User-Agent": f"jupyter-nbtools/{__version__}"}
    parts = urllib.parse.urlsplit(url)
    if parts.username is not None:
        user = urllib.parse.unquote(parts.username)
        password = urllib.parse.unquote(parts.password or "")
        token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        headers["Authorization"] = f"Basic {token}"
        url = parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()
    request = urllib.request.Request(  # noqa: S310 (the scheme is checked when the target is added)
        url, data=json.dumps(payload, default=json_default).encode(), method="POST", headers=headers
    )
    try:
        with urllib.request.urlopen(  # noqa: S310
            request, timeout=settings.timeout_seconds, context=context
        ) as response:
            response.read(1024)
    except urllib.error.HTTPError as exc:
        body = exc.read(300).decode(errors="replace").strip()
        raise DeliveryError(
            f"The webhook answered HTTP {exc.code} {exc.reason}" + (f": {body}" if body else "")
        ) from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, ssl.SSLCertVerificationError):
            raise DeliveryError(
                f"The webhook's certificate was rejected: {reason.verify_message}. If a private "
                "CA signed it, set c.NotificationSettings.ca_file to that CA's PEM file."
            ) from None
        raise DeliveryError(f"The webhook could not be reached: {reason}") from None
