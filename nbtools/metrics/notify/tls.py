"""Which TLS certificates notifications trust: the system's, plus ``ca_file`` when set."""

from __future__ import annotations

import ssl

from nbtools.config import Refused
from nbtools.metrics.config import NotificationSettings, trust_ca_file
from nbtools.metrics.notify.channels import DeliveryError

SETTINGS = "c.NotificationSettings"


def tls_context(settings: NotificationSettings) -> ssl.SSLContext:
    """The system's trusted CAs (or ``$SSL_CERT_FILE``), plus ``ca_file`` when set."""
    context = ssl.create_default_context()
    if settings.ca_file:  # checked when set; read again here, as it may have changed since
        try:
            trust_ca_file(context, settings.ca_file)
        except Refused as reason:
            raise DeliveryError(
                f"{SETTINGS}.ca_file {settings.ca_file!r} cannot be used: {reason}. "
                "Give the path of a PEM file holding the CA certificates to trust."
            ) from None
    return context
