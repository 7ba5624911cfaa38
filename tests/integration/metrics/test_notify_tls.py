"""Notifications over TLS: e-mail over STARTTLS, implicit TLS and with a login against a real
aiosmtpd server, and webhooks over HTTPS against a real HTTPS receiver.

A throw-away CA (trustme) signs the servers' certificates for ``localhost``; the client
trusts it through ``ca_file`` or ``$SSL_CERT_FILE``, as an operator would.
"""

from __future__ import annotations

import json
import logging
import shutil
import socket
import ssl
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import trustme
from click.testing import CliRunner

from nbtools.cli.app import cli
from nbtools.metrics.config import NotificationSettings
from nbtools.metrics.notify.sender import NotificationSender
from nbtools.metrics.tables import Notification
from nbtools.project import Project
from tests.conftest import LogLines, logged
from tests.integration.metrics.conftest import (
    Clock,
    MailServer,
    queue,
    running_mail_server,
    running_webhook,
    statuses,
)
from tests.postgres import free_port

PASSWORD = "correct-horse-battery-staple"
WRONG_PASSWORD = "Tr0ub4dor&3-wrong"


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def ca_file(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ca") / "private-ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


def server_context(ca: trustme.CA, hostname: str = "localhost") -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(hostname).configure_cert(context)
    return context


@pytest.fixture
def starttls_server(ca: trustme.CA) -> Iterator[MailServer]:
    """Requires STARTTLS before mail and offers login only over TLS (aiosmtpd's default)."""
    with running_mail_server(
        tls_context=server_context(ca), require_starttls=True, password=PASSWORD
    ) as server:
        yield server


@pytest.fixture
def smtps_server(ca: trustme.CA) -> Iterator[MailServer]:
    with running_mail_server(ssl_context=server_context(ca), password=PASSWORD) as server:
        yield server


def configure(
    settings: NotificationSettings,
    server: MailServer,
    security: str,
    ca_file: Path | None = None,
    password: str = "",
) -> NotificationSettings:
    settings.smtp_host, settings.smtp_port = "localhost", server.port
    settings.smtp_security = security
    settings.ca_file = str(ca_file or "")
    settings.smtp_username = "nbtools" if password else ""
    settings.smtp_password = password
    settings.mail_from = "nbtools@example.org"
    return settings


def deliver_once(
    project: Project, settings: NotificationSettings, clock: Clock
) -> tuple[Notification, tuple[str, int, str | None]]:
    (queued,) = queue(project, clock, "email", "ops@example.org")
    NotificationSender(project.store, settings, clock).deliver_due()
    return queued, statuses(project)[queued.id]


def test_starttls_with_login_delivers_the_message(
    project: Project,
    starttls_server: MailServer,
    settings: NotificationSettings,
    clock: Clock,
    ca_file: Path,
) -> None:
    configure(settings, starttls_server, "starttls", ca_file, PASSWORD)
    _, (status, attempts, error) = deliver_once(project, settings, clock)
    assert (status, attempts, error) == ("delivered", 1, None)
    assert starttls_server.logins == ["nbtools"]
    (message,) = starttls_server.messages
    assert message["Subject"] == "nbtools: [job-1] run 1 failed"
    assert (message["From"], message["To"]) == ("nbtools@example.org", "ops@example.org")
    text, attachment = [part for part in message.walk() if not part.is_multipart()]
    assert "run 1 failed" in text.get_payload(decode=True).decode()
    assert json.loads(attachment.get_payload(decode=True))["job"]["name"] == "job-1"


@pytest.mark.parametrize("trust", ["ca_file", "SSL_CERT_FILE"])
def test_implicit_tls_delivers_trusting_a_private_ca(
    project: Project,
    smtps_server: MailServer,
    settings: NotificationSettings,
    clock: Clock,
    ca_file: Path,
    monkeypatch: pytest.MonkeyPatch,
    trust: str,
) -> None:
    if trust == "SSL_CERT_FILE":
        monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    configure(settings, smtps_server, "ssl", ca_file if trust == "ca_file" else None)
    _, status = deliver_once(project, settings, clock)
    assert status == ("delivered", 1, None)
    assert [m["Subject"] for m in smtps_server.messages] == ["nbtools: [job-1] run 1 failed"]


@pytest.fixture
def nbtools_logs() -> Iterator[LogLines]:
    with logged(logging.getLogger("nbtools")) as lines:
        yield lines


def test_a_wrong_password_fails_clearly_at_once_and_is_never_shown(
    project: Project,
    starttls_server: MailServer,
    settings: NotificationSettings,
    clock: Clock,
    ca_file: Path,
    nbtools_logs: LogLines,
) -> None:
    """The server's 535 is permanent: it was retried until the attempts ran out, each
    failing the same way."""
    configure(settings, starttls_server, "starttls", ca_file, WRONG_PASSWORD)
    queued, (status, attempts, error) = deliver_once(project, settings, clock)
    assert (status, attempts) == ("failed", 1)
    assert error is not None
    assert error.startswith(
        f"Permanent failure, not retried: The SMTP server localhost:{starttls_server.port} "
        "refused the login of 'nbtools' (535 "
    )
    assert error.endswith("Check c.NotificationSettings.smtp_username and smtp_password.")

    clock.now += timedelta(hours=2)
    assert NotificationSender(project.store, settings, clock).deliver_due() == 0
    assert statuses(project)[queued.id] == ("failed", 1, error)
    assert starttls_server.messages == []
    assert starttls_server.logins == []

    shown = CliRunner().invoke(cli, ["--root", str(project.root), "alerts", "deliveries", "--json"])
    assert shown.exit_code == 0, shown.output
    (listed,) = json.loads(shown.output)
    assert listed["last_error"] == error
    assert nbtools_logs.lines
    assert all(error in line for line in nbtools_logs.lines)
    for text in (shown.output, *nbtools_logs.lines):
        assert WRONG_PASSWORD not in text


@pytest.mark.parametrize(
    ("password", "expected", "state"),
    [
        ("", "refused the message (530 Must issue a STARTTLS command first). It requires "
         "encryption: set c.NotificationSettings.smtp_security to 'starttls'.", "failed"),
        (PASSWORD, "offers no login (AUTH) on this connection (servers usually offer it only "
         "over TLS). Set c.NotificationSettings.smtp_security to 'starttls' or 'ssl'",
         "pending"),
    ],
)  # fmt: skip
def test_plain_against_a_server_requiring_starttls_says_so(
    project: Project,
    starttls_server: MailServer,
    settings: NotificationSettings,
    clock: Clock,
    password: str,
    expected: str,
    state: str,
) -> None:
    """The server's 530 (a 5xx) fails the delivery at once; a login the server does not
    offer, which it never answered, is retried."""
    configure(settings, starttls_server, "none", password=password)
    _, (status, _, error) = deliver_once(project, settings, clock)
    assert status == state
    assert expected in (error or "")
    assert starttls_server.messages == []


@pytest.mark.parametrize(
    ("signed_by", "hostname", "problem"),
    [
        ("another CA", "localhost", "unable to get local issuer certificate"),
        ("our CA", "mail.example.org", "Hostname mismatch"),
    ],
)
def test_an_untrusted_certificate_is_refused_naming_the_problem(
    project: Project,
    settings: NotificationSettings,
    clock: Clock,
    ca: trustme.CA,
    ca_file: Path,
    signed_by: str,
    hostname: str,
    problem: str,
) -> None:
    """For good, at the first attempt: the certificate does not change by itself (it was
    retried until the attempts ran out, each failing the same way)."""
    signer = trustme.CA() if signed_by == "another CA" else ca
    with running_mail_server(
        tls_context=server_context(signer, hostname), require_starttls=True
    ) as server:
        configure(settings, server, "starttls", ca_file)
        _, (status, attempts, error) = deliver_once(project, settings, clock)
        assert server.messages == []
    assert (status, attempts) == ("failed", 1)
    assert error is not None
    assert error.startswith(
        "Permanent failure, not retried: The certificate of the SMTP server "
        f"localhost:{server.port} was rejected: {problem}"
    )
    assert "set c.NotificationSettings.ca_file to that CA's PEM file" in error


@pytest.mark.parametrize(
    ("security", "expected"),
    [
        ("ssl", "failed (WRONG_VERSION_NUMBER). Check c.NotificationSettings.smtp_security"),
        ("starttls", "does not offer STARTTLS. Set c.NotificationSettings.smtp_security to"),
    ],
)
def test_a_security_mode_the_server_does_not_speak_is_named(
    project: Project,
    settings: NotificationSettings,
    clock: Clock,
    security: str,
    expected: str,
) -> None:
    with running_mail_server() as server:
        configure(settings, server, security)
        _, (_, _, error) = deliver_once(project, settings, clock)
    assert expected in (error or "")


def test_a_ca_file_gone_since_it_was_set_is_named(
    project: Project,
    smtps_server: MailServer,
    settings: NotificationSettings,
    clock: Clock,
    ca_file: Path,
) -> None:
    """A missing file is refused where it is set (tests/unit/test_settings_sources.py); one
    removed while the scheduler runs fails each delivery, naming the setting."""
    missing = project.root / "no-such-ca.pem"
    shutil.copyfile(ca_file, missing)
    configure(settings, smtps_server, "ssl", missing)
    missing.unlink()
    _, (_, _, error) = deliver_once(project, settings, clock)
    assert error == (
        f"c.NotificationSettings.ca_file '{missing}' cannot be used: No such file or "
        "directory. Give the path of a PEM file holding the CA certificates to trust."
    )


def test_an_smtp_server_that_is_down_is_a_recorded_failure(
    project: Project, settings: NotificationSettings, clock: Clock
) -> None:
    settings.smtp_host, settings.smtp_port = "127.0.0.1", free_port()
    _, (status, _, error) = deliver_once(project, settings, clock)
    assert status == "pending"
    assert (error or "").startswith(
        f"The SMTP server 127.0.0.1:{settings.smtp_port} could not be reached: [Errno 111]"
    )


@pytest.mark.parametrize("trusted", [True, False], ids=["ca_file", "untrusted"])
def test_an_https_webhook_is_checked_against_the_trusted_certificates(
    project: Project,
    settings: NotificationSettings,
    clock: Clock,
    ca: trustme.CA,
    ca_file: Path,
    trusted: bool,
) -> None:
    settings.ca_file = str(ca_file) if trusted else ""
    with running_webhook(tls=server_context(ca)) as receiver:
        (queued,) = queue(project, clock, "webhook", f"{receiver.url}/hook")
        NotificationSender(project.store, settings, clock).deliver_due()
    status, attempts, error = statuses(project)[queued.id]
    if trusted:
        assert (status, attempts, error) == ("delivered", 1, None)
        assert receiver.received[0][1]["event"] == "failure"
    else:  # for good: only a new certificate or ca_file can change the answer
        assert (status, attempts) == ("failed", 1)
        assert error is not None
        assert error.startswith(
            "Permanent failure, not retried: The webhook's certificate was rejected: unable "
            "to get local issuer certificate"
        )
        assert "set c.NotificationSettings.ca_file to that CA's PEM file" in error
        assert receiver.received == []
        shown = CliRunner().invoke(
            cli, ["--root", str(project.root), "alerts", "deliveries", "--json"]
        )
        assert shown.exit_code == 0, shown.output
        assert [d["last_error"] for d in json.loads(shown.output)] == [error]


def test_a_tls_handshake_cut_by_the_network_is_retried(
    project: Project, settings: NotificationSettings, clock: Clock, ca_file: Path
) -> None:
    """A TLS failure that is not the certificate's (here the connection closes in the middle
    of the handshake, as a restarting proxy does) may not happen again: retried."""
    settings.ca_file = str(ca_file)
    with socket.create_server(("127.0.0.1", 0)) as listener:
        closer = threading.Thread(target=lambda: listener.accept()[0].close())
        closer.start()
        url = f"https://127.0.0.1:{listener.getsockname()[1]}/hook"
        (queued,) = queue(project, clock, "webhook", url)
        NotificationSender(project.store, settings, clock).deliver_due()
        closer.join(10)
    status, attempts, error = statuses(project)[queued.id]
    assert (status, attempts) == ("pending", 1)
    assert (error or "").startswith("The webhook could not be reached: ")
