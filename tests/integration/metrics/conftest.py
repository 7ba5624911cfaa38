"""Real local endpoints for notification tests: an HTTP webhook receiver and an SMTP server."""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email import message_from_bytes
from email.message import Message
from email.policy import default
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

import pytest
from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute

from nbtools.metrics.config import NotificationSettings
from nbtools.metrics.notify.outbox import add_target, enqueue
from nbtools.metrics.notify.payload import JobRef, build_payload
from nbtools.metrics.notify.sender import NotificationSender
from nbtools.metrics.rules import RunFacts
from nbtools.metrics.tables import Notification
from nbtools.project import Project
from tests.postgres import free_port
from tests.unit.metrics.conftest import add_run

T = TypeVar("T")


def not_json(token: str) -> None:
    """What a strict JSON parser says of ``NaN`` and ``Infinity`` (Python's accepts them)."""
    raise ValueError(f"{token} is not JSON")


@dataclass
class WebhookReceiver:
    """Records JSON bodies POSTed to it; answers with the statuses queued in ``replies``."""

    url: str
    received: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    #: The Authorization header of each request received (None when it had none).
    authorizations: list[str | None] = field(default_factory=list)
    #: The Idempotency-Key header of each request received.
    idempotency_keys: list[str | None] = field(default_factory=list)
    #: The paths of the GET requests it received (answered 200): a webhook is only POSTed to.
    gets: list[str] = field(default_factory=list)
    #: The statuses of the next answers (then 204), each alone or with headers to send.
    replies: list[int | tuple[int, dict[str, str]]] = field(default_factory=list)
    #: Requests to paths starting with /slow wait until this is set.
    release_slow: threading.Event = field(default_factory=threading.Event)
    got_request: threading.Event = field(default_factory=threading.Event)


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    with running_webhook() as receiver:
        yield receiver


@contextmanager
def running_webhook(tls: ssl.SSLContext | None = None) -> Iterator[WebhookReceiver]:
    """A webhook receiver on a free port of localhost; over HTTPS with ``tls``."""
    receiver = WebhookReceiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers["Content-Length"]))
            body = json.loads(raw, parse_constant=not_json)  # strictly: no NaN, no Infinity
            receiver.authorizations.append(self.headers.get("Authorization"))
            receiver.idempotency_keys.append(self.headers.get("Idempotency-Key"))
            receiver.got_request.set()
            if self.path.startswith("/slow"):
                receiver.release_slow.wait(30)
            reply = receiver.replies.pop(0) if receiver.replies else 204
            status, headers = reply if isinstance(reply, tuple) else (reply, {})
            if status < 300:
                receiver.received.append((self.path, body))
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            if status >= 300:
                self.wfile.write(b"receiver says no")

        def do_GET(self) -> None:
            receiver.gets.append(self.path)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}"
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
        receiver.url = f"https://localhost:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield receiver
    receiver.release_slow.set()
    server.shutdown()
    server.server_close()


@dataclass
class MailServer:
    host: str
    port: int
    #: Every message received, accepted or not.
    messages: list[Message] = field(default_factory=list)
    #: The recipients the server took for each message received (its envelope's).
    envelopes: list[list[str]] = field(default_factory=list)
    #: Replies to ``MAIL FROM`` (then "250 OK") and to ``RCPT TO`` of an address: "550 …"
    #: refuses it.
    sender_replies: list[str] = field(default_factory=list)
    recipient_replies: dict[str, str] = field(default_factory=dict)
    #: The user names that logged in successfully.
    logins: list[str] = field(default_factory=list)
    #: The answers to the next messages (then "250 OK"): "451 …" takes one and says no.
    replies: list[str] = field(default_factory=list)


@contextmanager
def running_mail_server(
    ssl_context: ssl.SSLContext | None = None,
    password: str | None = None,
    **smtp_options: Any,
) -> Iterator[MailServer]:
    """A real aiosmtpd server on localhost; with ``password``, any user logs in with it.

    ``ssl_context`` makes it speak TLS from the first byte (SMTPS); ``smtp_options`` go to
    aiosmtpd's SMTP (``tls_context``, ``require_starttls``, ``auth_require_tls`` …).
    """
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    server = MailServer("127.0.0.1", free_port())

    class Handler:
        async def handle_MAIL(
            self, _server: Any, _session: Any, envelope: Any, address: str, options: list[str]
        ) -> str:
            if server.sender_replies:
                return server.sender_replies.pop(0)
            envelope.mail_from = address
            envelope.mail_options.extend(options)
            return "250 OK"

        async def handle_RCPT(
            self, _server: Any, _session: Any, envelope: Any, address: str, options: list[str]
        ) -> str:
            if address in server.recipient_replies:
                return server.recipient_replies[address]
            envelope.rcpt_tos.append(address)
            envelope.rcpt_options.extend(options)
            return "250 OK"

        async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
            server.messages.append(message_from_bytes(envelope.content, policy=default))
            server.envelopes.append(list(envelope.rcpt_tos))
            return server.replies.pop(0) if server.replies else "250 OK"

    def authenticate(
        _server: Any, _session: Any, _envelope: Any, _mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        if data.password.decode() != password:
            return AuthResult(success=False, handled=False)
        server.logins.append(data.login.decode())
        return AuthResult(success=True)

    if password is not None:
        smtp_options["authenticator"] = authenticate
    controller = Controller(
        Handler(), hostname=server.host, port=server.port, ssl_context=ssl_context, **smtp_options
    )
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


@pytest.fixture
def mail_server() -> Iterator[MailServer]:
    with running_mail_server() as server:
        yield server


class Clock:
    """An injectable clock, so backoff is tested without sleeping."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sender(
    project: Project, settings: NotificationSettings, clock: Clock
) -> Iterator[NotificationSender]:
    created = NotificationSender(project.store, settings, clock)
    yield created
    created.stop(10)


@pytest.fixture
def settings() -> NotificationSettings:
    return NotificationSettings(
        base_url="http://lab.example/",
        timeout_seconds=5,
        max_attempts=3,
        backoff_seconds=30,
        concurrency=2,
        poll_seconds=0.05,
    )


def queue(
    project: Project, clock: Clock, channel: str, destination: str, run_id: int = 1
) -> list[Notification]:
    job = JobRef(run_id, f"job-{run_id}")
    run = RunFacts(run_id, "failed", {"accuracy": 0.5}, {"alpha": 0.1})
    add_run(project, job.id, run_id, "failed")
    with project.store.session(write=True) as session:
        add_target(session, job.id, channel, destination, ["failure"])
        return enqueue(
            session, job_id=job.id, event="failure", run_id=run_id, now=clock(),
            payload=build_payload("failure", job, run, None),
        )  # fmt: skip


def statuses(project: Project) -> dict[int, tuple[str, int, str | None]]:
    with project.store.session() as session:
        return {
            n.id: (n.status, n.attempts, n.last_error)
            for n in session.scalars(select(Notification))
        }


def stored(project: Project, column: InstrumentedAttribute[T], notification_id: int) -> T | None:
    """What the outbox holds now in ``column`` (``Notification.claimed_at``, say) of the
    notification ``notification_id``."""
    with project.store.session() as session:
        return session.scalar(select(column).where(Notification.id == notification_id))
