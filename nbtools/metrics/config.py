"""Settings of the monitoring feature, as traitlets (``c.MetricsSettings…``, ``c.NotificationSettings…``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from traitlets import CaselessStrEnum, Int, Unicode

from nbtools.config import Number, Refused, Settings
from nbtools.limits import DEFAULT_MAX_VALUE_BYTES

if TYPE_CHECKING:
    import ssl


def trust_ca_file(context: ssl.SSLContext, path: str) -> None:
    """Trust the CA certificates of the PEM file at ``path`` in ``context`` besides those it
    trusts; :class:`~nbtools.config.Refused` saying why it cannot (``No such file or
    directory``, ``it holds no PEM certificate (NO_CERTIFICATE_OR_CRL_FOUND)``)."""
    import ssl

    try:
        context.load_verify_locations(cafile=path)
    except ssl.SSLError as error:
        raise Refused(f"it holds no PEM certificate ({error.reason or error})") from None
    except (OSError, ValueError) as error:  # ValueError: a NUL in the path
        reason = error.strerror if isinstance(error, OSError) and error.strerror else error
        raise Refused(str(reason)) from None


class CaFile(Unicode):  # type: ignore[type-arg]
    """The path of a PEM file of CA certificates to trust (empty: none), refused unless it
    can be read and holds one, so that a missing file stops the scheduler or the server as
    it starts, not every delivery once it runs."""

    info_text = "the path of a readable PEM file of CA certificates"

    def validate(self, obj: Any, value: Any) -> str:
        import ssl

        path: str = super().validate(obj, value)
        if path:
            trust_ca_file(ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT), path)
        return path


class MetricsSettings(Settings):
    """Limits on what notebooks may record."""

    env_prefix: ClassVar[str] = "NBTOOLS_METRICS_"

    max_value_bytes = Int(
        DEFAULT_MAX_VALUE_BYTES,
        min=1,
        help="Largest value (as compact JSON, in bytes) one metric may hold. Larger values are "
        "refused with a warning and the run goes on. Every run (nbtools run, the schedulers) "
        "passes it to its kernel as $NBTOOLS_METRIC_MAX_BYTES, which record() reads, and "
        "records it for the harvest of its executed notebook, whichever process ends the run.",
    ).tag(config=True)


class NotificationSettings(Settings):
    """How notifications are delivered: links, SMTP server, timeouts and retries."""

    env_prefix: ClassVar[str] = "NBTOOLS_NOTIFY_"

    base_url = Unicode(
        "",
        help="Public URL of the Jupyter server (e.g. https://hub.example.org/user/ana/), used "
        "for links in notifications. Empty: notifications carry no links.",
    ).tag(config=True)
    smtp_host = Unicode(
        "", help="SMTP server for e-mail notifications. Empty: e-mail deliveries fail, visibly."
    ).tag(config=True)
    smtp_port = Int(
        25, min=1, max=65535, help="SMTP server port (465 for ssl, 587 for starttls)."
    ).tag(config=True)
    smtp_security = CaselessStrEnum(
        ["none", "starttls", "ssl"], "none", help="Encryption of the SMTP connection."
    ).tag(config=True)
    ca_file = CaFile(
        "",
        help="PEM file of CA certificates to trust for the SMTP server and HTTPS webhooks, "
        "besides the system's (or $SSL_CERT_FILE's): for servers whose certificates a private "
        "CA or the server itself signed. Checked where it is set: a file that cannot be read "
        "or holds no certificate is refused as the process starts.",
    ).tag(config=True)
    smtp_username = Unicode(
        "", help="SMTP login; empty for none. Use with smtp_security starttls or ssl."
    ).tag(config=True)
    smtp_password = Unicode(
        "", help="SMTP password; never shown in errors, logs or the REST API."
    ).tag(config=True)
    mail_from = Unicode("nbtools@localhost", help="Sender address of e-mail notifications.").tag(
        config=True
    )
    timeout_seconds = Number(
        10.0,
        min=0.001,
        help="Seconds one delivery attempt may take as a whole (connecting, sending, and "
        "waiting for a webhook's status or the SMTP server's replies) before it fails.",
    ).tag(config=True)
    max_attempts = Int(
        6, min=1, help="Delivery attempts before a notification is marked failed for good."
    ).tag(config=True)
    backoff_seconds = Number(
        30.0, min=0, help="Wait before the first retry; doubled after each failed attempt."
    ).tag(config=True)
    max_backoff_seconds = Number(3600.0, min=0, help="Longest wait between two attempts.").tag(
        config=True
    )
    concurrency = Int(
        4,
        min=1,
        help="Deliveries in flight at once, so one slow endpoint does not hold up the others.",
    ).tag(config=True)
    poll_seconds = Number(
        5.0, min=0.01, help="How often the background sender looks for due notifications."
    ).tag(config=True)
