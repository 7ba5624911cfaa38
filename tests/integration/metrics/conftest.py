"""Real local endpoints for notification tests: an HTTP webhook receiver and an SMTP server."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass
class WebhookReceiver:
    """Records JSON bodies POSTed to it; answers with the statuses queued in ``replies``."""

    url: str
    received: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    replies: list[int] = field(default_factory=list)
    #: Requests to paths starting with /slow wait until this is set.
    release_slow: threading.Event = field(default_factory=threading.Event)
    got_request: threading.Event = field(default_factory=threading.Event)


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            receiver.got_request.set()
            if self.path.startswith("/slow"):
                receiver.release_slow.wait(30)
            status = receiver.replies.pop(0) if receiver.replies else 204
            if status < 300:
                receiver.received.append((self.path, body))
            self.send_response(status)
            self.end_headers()
            if status >= 300:
                self.wfile.write(b"receiver says no")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield receiver
    receiver.release_slow.set()
    server.shutdown()
    server.server_close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class MailServer:
    host: str
    port: int
    messages: list[Message] = field(default_factory=list)


@pytest.fixture
def mail_server() -> Iterator[MailServer]:
    from aiosmtpd.controller import Controller

    server = MailServer("127.0.0.1", free_port())

    class Handler:
        async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
            server.messages.append(message_from_bytes(envelope.content))
            return "250 OK"

    controller = Controller(Handler(), hostname=server.host, port=server.port)
    controller.start()
    yield server
    controller.stop()
