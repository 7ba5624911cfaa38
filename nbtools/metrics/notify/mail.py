"""E-mail notifications over SMTP: plain, STARTTLS or implicit TLS, with an optional login.

Every failure becomes a :class:`DeliveryError` whose message names the problem and the
setting that fixes it; the SMTP password never appears in it. A 5xx reply of the server (a
refused sender, recipients, message or login: RFC 5321's permanent answers) fails the
delivery at once (:class:`UndeliverableError`), and so do an address that is not all ASCII
(``ü@exämple.org``) with a server not offering SMTPUTF8 and a server's certificate rejected:
no retry would change the server. A 4xx reply, and a connection that failed, are retried. Recipients refused while the server takes the message for the others
are not retried (that would send it to the others again): the delivery says whom it missed.
The whole conversation with the server is bounded by ``timeout_seconds`` (:mod:`.deadline`).
"""

from __future__ import annotations

import smtplib
import ssl
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Any

from nbtools.jsonvalues import dumps_text
from nbtools.metrics.config import NotificationSettings
from nbtools.metrics.notify.channels import DeliveryError, UndeliverableError
from nbtools.metrics.notify.deadline import AttemptDeadline
from nbtools.metrics.notify.payload import render_email
from nbtools.metrics.notify.tls import SETTINGS as _SETTINGS
from nbtools.metrics.notify.tls import tls_context


def send_email(to: str, payload: dict[str, Any], settings: NotificationSettings) -> str | None:
    """Send ``payload`` to the addresses ``to``; the recipients the server refused while it
    took the message for the others, and why, if any."""
    if not settings.smtp_host:
        raise DeliveryError(
            f"E-mail is not configured: set {_SETTINGS}.smtp_host (and port, security, login) "
            "in the Jupyter or scheduler configuration."
        )
    subject, body = render_email(payload)
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.mail_from
    message["To"] = to
    message["Date"] = format_datetime(datetime.now(timezone.utc))
    message["Message-ID"] = _message_id(str(payload["notification_id"]), settings.mail_from)
    message.set_content(body)
    message.add_attachment(
        dumps_text(payload, indent=2).encode(),
        maintype="application",
        subtype="json",
        filename="notification.json",
    )
    deadline = AttemptDeadline(settings.timeout_seconds)
    try:
        with deadline:
            refused = _smtp_send(message, to.split(", "), settings, deadline)
    except DeliveryError as error:
        raise type(error)(_redacted(error.message, settings)) from None
    except (smtplib.SMTPException, OSError) as error:
        failure = DeliveryError
        if deadline.expired:
            problem = deadline.exceeded(f"The SMTP server {_where(settings)}")
        else:
            problem = _explain(error, settings)
            failure = UndeliverableError if _permanent(error) else DeliveryError
        raise failure(_redacted(problem, settings)) from None
    if not refused:
        return None
    return _redacted(
        f"The SMTP server {_where(settings)} refused {_recipients(refused)}; the other "
        "recipients got the message. Not retried: another attempt would send it to them again.",
        settings,
    )


def _permanent(error: BaseException) -> bool:
    """Whether the server refused for good: a 5xx reply (to every recipient, when it refused
    them all), or its certificate was rejected (a new certificate or ``ca_file`` can help,
    not another attempt)."""
    if isinstance(error, ssl.SSLCertVerificationError):
        return True
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        return bool(codes) and all(500 <= code < 600 for code in codes)
    return isinstance(error, smtplib.SMTPResponseException) and 500 <= error.smtp_code < 600


def _recipients(refused: dict[str, tuple[int, bytes]]) -> str:
    """Refused recipients with the server's reply to each: ``b@x.org (550 No such user)``."""
    return "; ".join(
        f"{address} ({_reply(code, text)})" for address, (code, text) in refused.items()
    )


class _WatchedSMTP(smtplib.SMTP):
    """smtplib's client, its socket watched by ``deadline`` from the moment it connects."""

    def __init__(self, deadline: AttemptDeadline, host: str, port: int, timeout: float) -> None:
        deadline.watch(lambda: self.sock)
        super().__init__(host, port, timeout=timeout)


class _WatchedSMTPSSL(smtplib.SMTP_SSL):
    """:class:`_WatchedSMTP` over TLS from the first byte."""

    def __init__(
        self,
        deadline: AttemptDeadline,
        host: str,
        port: int,
        timeout: float,
        context: ssl.SSLContext,
    ) -> None:
        deadline.watch(lambda: self.sock)
        super().__init__(host, port, timeout=timeout, context=context)


def _message_id(notification_id: str, mail_from: str) -> str:
    """The Message-ID of a notification's e-mail: the same on every attempt (as its
    ``notification_id``), at the domain of the sender's address."""
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "localhost"
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        domain = "localhost"
    return f"<{notification_id}@{domain}>"


def _smtp_send(
    message: EmailMessage,
    recipients: list[str],
    settings: NotificationSettings,
    deadline: AttemptDeadline,
) -> dict[str, tuple[int, bytes]]:
    """Send ``message`` to ``recipients``; those the server refused while it took the others,
    with its reply to each."""
    sender = parseaddr(settings.mail_from)[1]
    international = [a for a in dict.fromkeys([sender, *recipients]) if not a.isascii()]
    host, port, timeout = settings.smtp_host, settings.smtp_port, settings.timeout_seconds
    security = settings.smtp_security.lower()
    smtp: smtplib.SMTP
    if security == "ssl":
        smtp = _WatchedSMTPSSL(deadline, host, port, timeout, tls_context(settings))
    else:
        smtp = _WatchedSMTP(deadline, host, port, timeout)
    with smtp:
        smtp.ehlo()
        if security == "starttls":
            if not smtp.has_extn("starttls"):
                raise DeliveryError(
                    f"The SMTP server {_where(settings)} does not offer STARTTLS. Set "
                    f"{_SETTINGS}.smtp_security to 'ssl' if it expects TLS from the first byte "
                    "(usually port 465), or 'none'."
                )
            smtp.starttls(context=tls_context(settings))
            smtp.ehlo()
        if international and not smtp.has_extn("smtputf8"):
            raise UndeliverableError(_no_smtputf8(international, sender, settings))
        if settings.smtp_username:
            if not smtp.has_extn("auth"):
                hint = " (servers usually offer it only over TLS)" if security == "none" else ""
                raise DeliveryError(
                    f"The SMTP server {_where(settings)} offers no login (AUTH) on this "
                    f"connection{hint}. Set {_SETTINGS}.smtp_security to 'starttls' or 'ssl', "
                    "or clear smtp_username if the server needs no login."
                )
            smtp.login(settings.smtp_username, settings.smtp_password)
        return smtp.send_message(message)


def _no_smtputf8(international: list[str], sender: str, settings: NotificationSettings) -> str:
    """Why addresses that are not all ASCII cannot go through the server, and what to do."""
    named = [
        f"{address!r} (the sender, {_SETTINGS}.mail_from)" if address == sender else repr(address)
        for address in international
    ]
    written = [
        f"{address!r} can be written {form!r}"
        for address in international
        if (form := _ascii_form(address)) is not None
    ]
    return (
        f"The SMTP server {_where(settings)} does not offer SMTPUTF8, which addresses that are "
        f"not all ASCII need: {', '.join(named)}. Use ASCII addresses"
        + (f" ({'; '.join(written)})" if written else "")
        + " or a server that offers SMTPUTF8."
    )


def _ascii_form(address: str) -> str | None:
    """``address`` with its domain in its ASCII (``xn--``) form, if its local part is ASCII."""
    local, _, domain = address.rpartition("@")
    if not local.isascii():
        return None
    try:
        return f"{local}@{domain.encode('idna').decode('ascii')}"
    except UnicodeError:
        return None


def _explain(error: BaseException, settings: NotificationSettings) -> str:
    """A message naming what went wrong with the SMTP server and which setting fixes it."""
    where = _where(settings)
    if isinstance(error, ssl.SSLCertVerificationError):
        return (
            f"The certificate of the SMTP server {where} was rejected: {error.verify_message}. "
            f"If a private CA signed it, set {_SETTINGS}.ca_file to that CA's PEM file; "
            "the certificate must name the host given as smtp_host."
        )
    if isinstance(error, ssl.SSLError):
        return (
            f"TLS with the SMTP server {where} failed ({error.reason or error}). Check "
            f"{_SETTINGS}.smtp_security: 'ssl' for TLS from the first byte (usually port 465), "
            "'starttls' for a plain connection upgraded to TLS (usually port 587)."
        )
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return (
            f"The SMTP server {where} refused the login of {settings.smtp_username!r} "
            f"({_reply(error.smtp_code, error.smtp_error)}). Check {_SETTINGS}.smtp_username "
            "and smtp_password."
        )
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return f"The SMTP server {where} refused every recipient: {_recipients(error.recipients)}."
    if isinstance(error, smtplib.SMTPResponseException):
        reply = _reply(error.smtp_code, error.smtp_error)
        hint = ""
        if "starttls" in reply.lower():
            hint = f" It requires encryption: set {_SETTINGS}.smtp_security to 'starttls'."
        elif error.smtp_code == 530:
            hint = f" It requires a login: set {_SETTINGS}.smtp_username and smtp_password."
        return f"The SMTP server {where} refused the message ({reply}).{hint}"
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return f"The SMTP server {where} closed the connection: {error}."
    return f"The SMTP server {where} could not be reached: {error}"


def _where(settings: NotificationSettings) -> str:
    return f"{settings.smtp_host}:{settings.smtp_port}"


def _reply(code: int, text: bytes | str) -> str:
    decoded = text.decode(errors="replace") if isinstance(text, bytes) else text
    return f"{code} {' '.join(decoded.split())}"


def _redacted(message: str, settings: NotificationSettings) -> str:
    """``message`` without the SMTP password, should a server have echoed it back."""
    if settings.smtp_password:
        return message.replace(settings.smtp_password, "***")
    return message
