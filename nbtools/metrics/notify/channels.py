"""Delivering one notification: HTTP POST of the JSON payload, or an e-mail over SMTP."""

from __future__ import annotations

import json
import smtplib
import ssl
import urllib.error
import urllib.request
from email.message import EmailMessage
from typing import Any

from nbtools import __version__
from nbtools.errors import NbtoolsError
from nbtools.jsonvalues import json_default
from nbtools.metrics.config import NotificationSettings
from nbtools.metrics.models import EMAIL, WEBHOOK
from nbtools.metrics.notify.payload import render_email


class DeliveryError(NbtoolsError):
    """One delivery attempt failed (the endpoint is down, slow, or said no)."""


def deliver(
    channel: str, destination: str, payload: dict[str, Any], settings: NotificationSettings
) -> None:
    """Send ``payload`` once, raising :class:`DeliveryError` on any failure."""
    if channel == WEBHOOK:
        post_webhook(destination, payload, settings.timeout_seconds)
    elif channel == EMAIL:
        send_email(destination, payload, settings)
    else:
        raise DeliveryError(f"Unknown notification channel {channel!r}.")


def post_webhook(url: str, payload: dict[str, Any], timeout: float) -> None:
    request = urllib.request.Request(  # noqa: S310 (the scheme is checked when the target is added)
        url,
        data=json.dumps(payload, default=json_default).encode(),
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": f"jupyter-nbtools/{__version__}",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            response.read(1024)
    except urllib.error.HTTPError as exc:
        body = exc.read(300).decode(errors="replace").strip()
        raise DeliveryError(
            f"The webhook answered HTTP {exc.code} {exc.reason}" + (f": {body}" if body else "")
        ) from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DeliveryError(f"The webhook could not be reached: {reason}") from None


def send_email(to: str, payload: dict[str, Any], settings: NotificationSettings) -> None:
    if not settings.smtp_host:
        raise DeliveryError(
            "E-mail is not configured: set c.NotificationSettings.smtp_host (and port, "
            "security, login) in the Jupyter or scheduler configuration."
        )
    subject, body = render_email(payload)
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.mail_from
    message["To"] = to
    message.set_content(body)
    message.add_attachment(
        json.dumps(payload, indent=2, default=json_default).encode(),
        maintype="application",
        subtype="json",
        filename="notification.json",
    )
    try:
        _smtp_send(message, settings)
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(
            f"The SMTP server {settings.smtp_host}:{settings.smtp_port} refused or failed: {exc}"
        ) from None


def _smtp_send(message: EmailMessage, settings: NotificationSettings) -> None:
    host, port, timeout = settings.smtp_host, settings.smtp_port, settings.timeout_seconds
    smtp: smtplib.SMTP
    if settings.smtp_security == "ssl":
        smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
    with smtp:
        if settings.smtp_security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
        if settings.smtp_username:
            smtp.login(settings.smtp_username, settings.smtp_password)
        smtp.send_message(message)
