"""Delivering one notification: HTTP POST of the JSON payload, or an e-mail (see ``mail``).

Each attempt is bounded as a whole by ``timeout_seconds`` (:mod:`.deadline`), and carries the
payload's ``notification_id``, the same on every attempt of one delivery, so that a receiver
can drop a delivery it has already received (an attempt whose answer was lost is sent again).

A failure is permanent (:class:`UndeliverableError`: the delivery ends at once) when the
endpoint said no for good: a webhook's HTTP 4xx other than 408, 425 and 429, or a redirect (a
3xx: never followed, see :class:`_NoRedirect`), or its certificate was rejected (untrusted,
expired, naming another host: only a change of the certificate or of ``ca_file`` can help)
(see ``mail`` for e-mail). Anything else (a connection that failed or was cut, the time
limit, a 5xx, those three) is retried, not before the ``Retry-After`` the answer carries, if
it carries one.
"""

from __future__ import annotations

import base64
import contextlib
import email.utils
import http.client
import ssl
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from nbtools._version import __version__
from nbtools.errors import NbtoolsError
from nbtools.jsonvalues import dumps_text
from nbtools.metrics.config import NotificationSettings
from nbtools.metrics.notify.deadline import AttemptDeadline
from nbtools.metrics.tables import EMAIL, WEBHOOK

#: The HTTP 4xx answers that say "not now" rather than "no": retried.
TRANSIENT_4XX = frozenset({408, 425, 429})


class DeliveryError(NbtoolsError):
    """One delivery attempt failed (the endpoint is down, slow, or said no); ``retry_after``
    is when the endpoint asked to be tried again (an HTTP ``Retry-After``: seconds from its
    answer, or a moment), if it did."""

    def __init__(self, message: str, retry_after: float | datetime | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class UndeliverableError(DeliveryError):
    """An attempt failed for a reason another attempt cannot change (until the target or the
    settings do): the delivery fails at once, without the retries."""


def permanent_status(status: int) -> bool:
    """Whether an HTTP answer refuses the delivery for good: a 4xx but 408 (Request Timeout),
    425 (Too Early) and 429 (Too Many Requests)."""
    return 400 <= status < 500 and status not in TRANSIENT_4XX


def retry_after(value: str | None) -> float | datetime | None:
    """An HTTP ``Retry-After`` header: seconds to wait, or the moment (aware) it names; None
    when there is none or it is neither."""
    text = (value or "").strip()
    if text.isascii() and text.isdigit():
        return float(text)
    try:
        moment = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def deliver(
    channel: str, destination: str, payload: dict[str, Any], settings: NotificationSettings
) -> str | None:
    """Send ``payload`` once, raising :class:`DeliveryError` on any failure; what did not
    reach some of the recipients while the others got it (an e-mail's), if anything."""
    if channel == WEBHOOK:
        post_webhook(destination, payload, settings)
        return None
    if channel == EMAIL:
        from nbtools.metrics.notify.mail import send_email  # smtplib and ssl only when needed

        return send_email(destination, payload, settings)
    raise DeliveryError(f"Unknown notification channel {channel!r}.")


def post_webhook(url: str, payload: dict[str, Any], settings: NotificationSettings) -> None:
    """POST ``payload`` as JSON, with its ``notification_id`` as the ``Idempotency-Key``
    header; an https URL is checked against the trusted certificates, and credentials in the
    URL (``https://user:password@host/``) are sent as HTTP Basic authentication, as curl
    does, not as part of the host name. A 2xx status and its headers, received within the
    time limit, are the answer: the body that follows is not waited for."""
    context = None
    if url.lower().startswith("https:"):
        from nbtools.metrics.notify.tls import tls_context

        context = tls_context(settings)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": f"jupyter-nbtools/{__version__}",
        "Idempotency-Key": str(payload["notification_id"]),
    }
    parts = urllib.parse.urlsplit(url)
    if parts.username is not None:
        user = urllib.parse.unquote(parts.username)
        password = urllib.parse.unquote(parts.password or "")
        token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        headers["Authorization"] = f"Basic {token}"
        url = parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()
    request = urllib.request.Request(  # noqa: S310 (the scheme is checked when the target is added)
        url, data=dumps_text(payload).encode(), method="POST", headers=headers
    )
    deadline = AttemptDeadline(settings.timeout_seconds)
    try:
        with deadline:
            opener = urllib.request.build_opener(_Watched(deadline, context), _NoRedirect)
            _post(opener, request, settings.timeout_seconds)
            if deadline.expired:  # http.client takes an answer cut short for a whole one
                raise DeliveryError(deadline.exceeded("The webhook"))
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        if deadline.expired:
            raise DeliveryError(deadline.exceeded("The webhook")) from None
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, ssl.SSLCertVerificationError):
            raise UndeliverableError(
                f"The webhook's certificate was rejected: {reason.verify_message}. If a private "
                "CA signed it, set c.NotificationSettings.ca_file to that CA's PEM file."
            ) from None
        raise DeliveryError(f"The webhook could not be reached: {reason}") from None


def _post(
    opener: urllib.request.OpenerDirector, request: urllib.request.Request, timeout: float
) -> None:
    try:
        with opener.open(request, timeout=timeout):
            return
    except urllib.error.HTTPError as exc:
        body = ""
        with contextlib.suppress(OSError, http.client.HTTPException):  # its time may be up
            body = exc.read(300).decode(errors="replace").strip()
        answer = f"The webhook answered HTTP {exc.code} {exc.reason}" + (
            f": {body}" if body else ""
        )
        if 300 <= exc.code < 400:
            raise UndeliverableError(_redirected(exc, exc.headers.get("Location"))) from None
        if permanent_status(exc.code):
            raise UndeliverableError(answer) from None
        raise DeliveryError(answer, retry_after(exc.headers.get("Retry-After"))) from None


def _redirected(answer: urllib.error.HTTPError, location: str | None) -> str:
    from nbtools.urls import password_hidden

    where = f" to {password_hidden(location)[:300]}" if location else ""
    return (
        f"The webhook answered HTTP {answer.code} {answer.reason}, redirecting{where}. nbtools does not follow a webhook's "
        "redirect (it would send the notification without its body, or its login to another "
        "site): set the target's URL to the address it redirects to."
    )


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects are answers, never followed: urllib follows a POST's 301, 302 and 303 with a
    GET without the body (the notification lost, the delivery taken as done), and a
    redirect may lead to another site, which the target's login must never reach."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class _Watched(urllib.request.HTTPHandler, urllib.request.HTTPSHandler):
    """urllib's handlers of http and https URLs, whose connections ``deadline`` watches."""

    def __init__(self, deadline: AttemptDeadline, context: ssl.SSLContext | None) -> None:
        urllib.request.HTTPSHandler.__init__(self, context=context)
        self._deadline = deadline
        self._tls = context

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(self._watched(http.client.HTTPConnection), req)

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(self._watched(http.client.HTTPSConnection), req, context=self._tls)

    def _watched(
        self, kind: type[http.client.HTTPConnection]
    ) -> Callable[..., http.client.HTTPConnection]:
        def connection(host: str, **options: Any) -> http.client.HTTPConnection:
            made = kind(host, **options)
            self._deadline.watch(lambda: made.sock)
            return made

        return connection
