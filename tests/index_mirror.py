"""A private package index (a company's mirror) served by a real HTTP server, for tests:
a login in its URL, relative file URLs, a redirect to another host name and a page that is
not PEP 691."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOGIN = ("ci@example.org", "t0k:en/9")  # characters a URL must quote
WHEEL = "six-1.17.0-py2.py3-none-any.whl"


class Mirror(ThreadingHTTPServer):
    """``/simple/six/`` for the login only; ``/moved/six/`` redirects there (by another host
    name: a redirect's target never gets the login); ``/slow/six/`` answers as ``/simple/six/``
    1.5 s late; ``/junk/six/`` is not JSON, ``/odd/six/`` lists entries no lock can pin
    before a good one, and ``/html/six/`` is not PEP 691."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Answer)
        self.authorizations: list[tuple[str, str | None]] = []

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class Answer(BaseHTTPRequestHandler):
    server: Mirror

    def do_GET(self) -> None:
        authorization = self.headers.get("Authorization")
        self.server.authorizations.append((self.path, authorization))
        if self.path.startswith("/moved/"):
            port = self.server.server_address[1]
            self.send_response(302)
            self.send_header("Location", f"http://localhost:{port}/simple/six/")
            self.end_headers()
            return
        if self.path.startswith("/slow/"):  # a mirror far away: the same answer, late
            time.sleep(1.5)
            self.path = self.path.replace("/slow/", "/simple/", 1)
        if self.path.startswith("/junk/"):  # the JSON API's type, not its content
            self._send(200, "application/vnd.pypi.simple.v1+json", b"{not json")
            return
        if self.path.startswith("/odd/"):  # entries no lock can pin, then a good one
            odd = [
                {"filename": 3, "url": "x", "hashes": {"sha256": "ab"}},
                {"filename": WHEEL, "url": None, "hashes": {"sha256": "ab"}},
                {"filename": WHEEL, "url": "x.whl", "hashes": []},
                {"filename": WHEEL, "url": f"/files/{WHEEL}", "hashes": {"sha256": "cd" * 32},
                 "size": "big", "upload-time": "last tuesday"},
            ]  # fmt: skip
            page = json.dumps({"meta": {"api-version": "1.1"}, "name": "six", "files": odd})
            self._send(200, "application/vnd.pypi.simple.v1+json", page.encode())
            return
        if self.path.startswith("/html/"):
            self._send(200, "text/html", b"<html><a href='six.whl'>six</a></html>")
            return
        expected = "Basic " + base64.b64encode(":".join(LOGIN).encode()).decode()
        if authorization != expected:
            self._send(401, "text/plain", b"login needed")
            return
        page = {
            "meta": {"api-version": "1.1"},
            "name": "six",
            "files": [
                {
                    "filename": WHEEL,
                    "url": f"../../files/{WHEEL}",  # relative to the project page
                    "hashes": {"sha256": "ab" * 32},
                    "size": 11050,
                }
            ],
        }
        self._send(200, "application/vnd.pypi.simple.v1+json", json.dumps(page).encode())

    def _send(self, status: int, kind: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def serving_mirror() -> Iterator[Mirror]:
    server = Mirror()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def with_login(mirror: Mirror, path: str) -> str:
    user, secret = (
        part.replace("@", "%40").replace(":", "%3A").replace("/", "%2F") for part in LOGIN
    )
    return mirror.base.replace("://", f"://{user}:{secret}@") + path
