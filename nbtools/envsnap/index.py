"""The files a package index offers for a release (PEP 691 JSON simple API), cached on disk.

A lock file names the exact wheel or sdist of each pinned distribution with its hash; the
installed metadata has neither, so they are looked up on the index once and kept in the cache.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import itertools
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import Version

from nbtools._version import __version__
from nbtools.atomic import atomic_write
from nbtools.errors import NbtoolsError
from nbtools.urls import checked_http_url, without_login

DEFAULT_INDEX = "https://pypi.org/simple"
_ACCEPT = "application/vnd.pypi.simple.v1+json"


#: Told how many releases were looked up, of how many (``releases``).
Progress = Callable[[int, int], None]


def unfollowed(done: int, total: int) -> None:
    """The progress of work nobody follows."""


class IndexUnavailableError(NbtoolsError):
    """The package index could not be asked for the files of a release."""


@dataclass(frozen=True)
class IndexFile:
    """One file of a release as the index describes it."""

    filename: str
    url: str
    hashes: dict[str, str]
    size: int | None = None
    upload_time: str | None = None

    @property
    def is_wheel(self) -> bool:
        return self.filename.endswith(".whl")

    def version(self) -> Version | None:
        try:
            if self.is_wheel:
                return parse_wheel_filename(self.filename)[1]
            return parse_sdist_filename(self.filename)[1]
        except (InvalidWheelFilename, InvalidSdistFilename):
            return None

    def tags(self) -> set[str]:
        return {str(tag) for tag in parse_wheel_filename(self.filename)[3]}


def checked_index_url(url: str) -> str:
    """``url`` without its credentials (``user:token@``) and final slash, refused (the error
    naming ``index_url``) unless an HTTP request can be made to it
    (:func:`nbtools.urls.checked_http_url`)."""
    checked = checked_http_url(url, field="index_url", what="A package index")
    return without_login(checked).rstrip("/")


class PackageIndex:
    """A PEP 691 index (PyPI by default) with a per-project cache of its answers.

    Credentials in ``url`` (``https://user:token@host/simple``, as pip accepts them) are sent
    as HTTP basic authentication and left out of :attr:`url`, which errors, the cache's key
    and the lock file show."""

    def __init__(self, url: str = DEFAULT_INDEX, cache: Path | None = None, timeout: float = 30):
        self.url = checked_index_url(url)
        parts = urllib.parse.urlsplit(url)
        self._authorization: str | None = None
        if parts.username is not None:
            login = urllib.parse.unquote(parts.username)
            secret = urllib.parse.unquote(parts.password or "")
            token = base64.b64encode(f"{login}:{secret}".encode()).decode("ascii")
            self._authorization = f"Basic {token}"
        self.timeout = timeout
        digest = hashlib.sha256(self.url.encode()).hexdigest()[:16]
        self.cache = cache / "index" / digest if cache else None

    def release_files(self, name: str, version: str) -> list[IndexFile]:
        """The files of ``name`` ``version``; empty when the index does not have it."""
        wanted = Version(version)
        files, cached = self._project_files(name, fresh=False)
        if cached and not any(file.version() == wanted for file in files):
            files, _ = self._project_files(name, fresh=True)  # released since it was cached?
        return [file for file in files if file.version() == wanted]

    def releases(
        self, wanted: Iterable[tuple[str, str]], progress: Progress = unfollowed
    ) -> dict[tuple[str, str], list[IndexFile]]:
        """``release_files`` for many releases, asked concurrently; ``progress(done, total)``
        is told each one found (from the threads asking)."""
        pairs = list(dict.fromkeys(wanted))
        done = itertools.count(1)
        progress(0, len(pairs))

        def ask(pair: tuple[str, str]) -> list[IndexFile]:
            files = self.release_files(*pair)
            progress(next(done), len(pairs))
            return files

        with ThreadPoolExecutor(max_workers=8) as pool:
            return dict(zip(pairs, pool.map(ask, pairs), strict=True))

    def _project_files(self, name: str, fresh: bool) -> tuple[list[IndexFile], bool]:
        """The project's files, and whether they came from the cache."""
        cache_file = self.cache / f"{canonicalize_name(name)}.json" if self.cache else None
        data = None if fresh or cache_file is None else _read_cache(cache_file)
        cached = data is not None
        if data is None:
            data = self._fetch(name)
            if cache_file is not None:  # whole or not at all: exports may run at once
                cache_file.parent.mkdir(parents=True, exist_ok=True)
                atomic_write(cache_file, json.dumps(data).encode(), durable=False)
        page = f"{self.url}/{canonicalize_name(name)}/"
        files = [
            IndexFile(
                filename=item["filename"],
                url=urllib.parse.urljoin(page, item["url"]),  # PEP 691 allows relative URLs
                hashes=dict(item.get("hashes") or {}),
                size=item["size"] if type(item.get("size")) is int else None,
                upload_time=_moment(item.get("upload-time")),
            )
            for item in data["files"]
            if _is_file(item) and not item.get("yanked")
        ]
        return files, cached

    def _fetch(self, name: str) -> dict[str, Any]:
        url = f"{self.url}/{canonicalize_name(name)}/"
        request = urllib.request.Request(  # noqa: S310 (the scheme is checked in __init__)
            url,
            headers={
                "Accept": _ACCEPT,
                "Accept-Encoding": "gzip",
                "User-Agent": f"jupyter-nbtools/{__version__}",
            },
        )
        if self._authorization is not None:  # not sent on where a redirect leads
            request.add_unredirected_header("Authorization", self._authorization)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                body = response.read()
                if response.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                kind = response.headers.get("Content-Type", "")
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return {"files": []}
            login = (
                " It asks for a login: give the URL with one (https://user:token@host/simple)."
                if exc.code in (401, 403) and self._authorization is None
                else ""
            )
            raise IndexUnavailableError(
                f"The index {self.url} answered {exc.code} for {name}.{login}",
                field="index_url",
                index=self.url,
            ) from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise IndexUnavailableError(
                f"Cannot reach the index {self.url} ({reason}). A pylock.toml pins the files "
                "an index lists: use an index this machine reaches, or export "
                "requirements.txt, which needs none.",
                field="index_url",
                index=self.url,
            ) from None
        if not kind.startswith(_ACCEPT):
            raise IndexUnavailableError(
                f"The index {self.url} does not serve the JSON simple API (PEP 691) that a "
                "pylock.toml export reads: use one that does (PyPI, devpi, Artifactory, Nexus).",
                field="index_url",
                index=self.url,
            )
        try:
            data = json.loads(body)
        except ValueError:  # not JSON, or not UTF-8
            data = None
        if not (isinstance(data, dict) and isinstance(data.get("files"), list)):
            raise IndexUnavailableError(
                f"The index {self.url} answered for {name} with a page that is not the JSON "
                "simple API's (PEP 691: an object listing 'files').",
                field="index_url",
                index=self.url,
            )
        return data


def _read_cache(path: Path) -> dict[str, Any] | None:
    """A cached answer, or ``None`` when there is none or it is not one (a file written by
    hand, or cut short by a full disk): the index is asked again."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("files"), list) else None


def _is_file(item: object) -> bool:
    """Whether an entry of a project page's ``files`` describes a file a lock can pin: a
    name, a URL and hashes (anything else is skipped, as pip skips it)."""
    return (
        isinstance(item, dict)
        and isinstance(item.get("filename"), str)
        and isinstance(item.get("url"), str)
        and isinstance(item.get("hashes"), dict)
        and bool(item["hashes"])
    )


def _moment(value: object) -> str | None:
    """A file's ``upload-time`` if it is an ISO 8601 moment (else left out of the lock)."""
    if not isinstance(value, str):
        return None
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value
