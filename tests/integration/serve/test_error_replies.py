"""The service's error replies as a client and a dashboard see them (the app in this
process, its lifespan run by FastAPI's test client): the same reply whichever way a body
came, each error counted under its own type."""

from __future__ import annotations

import gzip
import json
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from nbtools.serve import create_app
from nbtools.serve.config import ServeSettings


def chunks(size: int) -> Iterator[bytes]:
    """A JSON body of about ``size`` bytes, streamed (no Content-Length)."""
    yield b'{"x": 1, "tags": ["'
    yield b"a" * size
    yield b'"]}'


@pytest.fixture
def limited(scorer_package: Path, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    monkeypatch.syspath_prepend(str(scorer_package / "src"))
    monkeypatch.delitem(sys.modules, "scorer", raising=False)
    settings = ServeSettings(max_body_bytes=1000)
    return TestClient(create_app("scorer", {"predict": "scorer.core:predict"}, settings))


def test_a_streamed_body_over_the_limit_gets_the_413_a_declared_one_gets(
    limited: TestClient,
) -> None:
    """Its details were ``{}``: a client could not tell the limit."""
    with limited as client:
        declared = client.post("/predict", json={"x": 1, "tags": ["a" * 2000]})
        streamed = client.post(
            "/predict", content=chunks(2000), headers={"content-type": "application/json"}
        )
        metrics = client.get("/metrics").text
    assert "content-length" not in streamed.request.headers
    assert (declared.status_code, streamed.status_code) == (413, 413)
    assert (
        streamed.json()
        == declared.json()
        == {
            "error": "payload-too-large",
            "message": "The request body is over the limit of 1000 bytes.",
            "details": {"limit": 1000},
        }
    )
    assert 'nbtools_serve_errors_total{endpoint="/predict",type="body-too-large"} 2.0' in metrics


def test_a_body_not_sent_as_json_is_counted_as_such_not_as_invalid_input(
    limited: TestClient,
) -> None:
    """A 415 was counted under ``validation``, the type of the 422s a dashboard counts."""
    with limited as client:
        statuses = [
            client.post("/predict", data={"x": "1"}).status_code,
            client.post("/predict", content=b"{}").status_code,
            client.post("/predict", json={"x": "one"}).status_code,
        ]
        metrics = client.get("/metrics").text
    assert statuses == [415, 415, 422]
    assert (
        'nbtools_serve_errors_total{endpoint="/predict",type="unsupported-media-type"} 2.0'
        in metrics
    )
    assert 'nbtools_serve_errors_total{endpoint="/predict",type="validation"} 1.0' in metrics


def test_a_422_lists_the_first_problems_and_counts_the_rest(
    scorer_package: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A body under the size limit with a bad item in every place was answered with one
    entry per item and a message naming them all: 26 MB for 786 KB, built while the worker
    answered nothing else."""
    monkeypatch.syspath_prepend(str(scorer_package / "src"))
    monkeypatch.delitem(sys.modules, "scorer", raising=False)
    app = create_app("scorer", {"predict": "scorer.core:predict"}, ServeSettings())
    many = {"x": 1, "tags": [1] * 50_000}  # 100 KB, each item not a string
    long_names = {"x": 1, **{f"k{i:04d}" + "a" * 995: 1 for i in range(200)}}  # 200 KB
    with TestClient(app) as client:
        items = client.post("/predict", json=many)
        names = client.post("/predict", json=long_names)
    assert (items.status_code, names.status_code) == (422, 422)
    listed = items.json()["details"]["fields"]
    assert listed[:2] == [
        {"field": "tags.0", "message": "Input should be a valid string, not an integer"},
        {"field": "tags.1", "message": "Input should be a valid string, not an integer"},
    ]
    assert (len(listed), items.json()["details"]["unlisted"]) == (100, 49_900)
    assert items.json()["message"].endswith(", tags.98, tags.99 (and 49900 more).")
    assert len(items.content) < 10_000
    # fields of 1000 characters: as many as 16 KiB of names and messages hold
    listed = names.json()["details"]["fields"]
    assert [len(f["field"]) for f in listed] == [1000] * 15
    assert names.json()["details"]["unlisted"] == 185
    assert len(names.content) < 2 * 16 * 1024 + 1000


def test_other_requests_are_answered_while_a_large_body_s_problems_are_worked_out(
    scorer_package: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A megabyte of bad items held the event loop for seconds (pydantic worked out every
    problem, then the reply listed 100): a /health asked meanwhile waited for it. It is
    validated in a worker thread, the items after the first 100 problems only counted; the
    reply is the one a small body gets."""
    monkeypatch.syspath_prepend(str(scorer_package / "src"))
    monkeypatch.delitem(sys.modules, "scorer", raising=False)
    app = create_app("scorer", {"predict": "scorer.core:predict"}, ServeSettings())
    worst = json.dumps({"x": 1, "tags": [1] * 500_000}, separators=(",", ":")).encode()
    assert 1000 * 1000 < len(worst) < ServeSettings().max_body_bytes
    order: list[str] = []
    with TestClient(app) as client:
        headers = {"content-type": "application/json"}

        def post() -> None:
            reply = client.post("/predict", content=worst, headers=headers)
            order.append("worst")
            answers["worst"] = reply

        answers: dict[str, httpx.Response] = {}
        posting = threading.Thread(target=post)
        posting.start()
        while posting.is_alive():  # asked again and again while the body is read
            time.sleep(0.02)
            if client.get("/health").status_code == 200 and posting.is_alive():
                order.append("health")
        posting.join()
        small = client.post("/predict", json={"x": 1, "tags": [1] * 150})
    assert order.count("health") >= 3, order  # answered while the body was validated
    reply = answers["worst"]
    assert reply.status_code == 422
    listed = reply.json()["details"]["fields"]
    assert (
        listed[:2]
        == small.json()["details"]["fields"][:2]
        == [
            {"field": "tags.0", "message": "Input should be a valid string, not an integer"},
            {"field": "tags.1", "message": "Input should be a valid string, not an integer"},
        ]
    )
    assert (len(listed), reply.json()["details"]["unlisted"]) == (100, 499_900)
    assert reply.json()["message"].endswith(", tags.98, tags.99 (and 499900 more).")


def test_an_unknown_path_or_a_method_a_path_does_not_take_says_what_to_do(
    limited: TestClient,
) -> None:
    """They said only "Not Found" and "Method Not Allowed" (Starlette's words), with no
    details: a client with a typo in its URL or its method learnt nothing of the service."""
    with limited as client:
        typo = client.post("/predcit", json={"x": 1})
        get = client.get("/predict")
        put = client.put("/health")
    assert typo.status_code == 404
    assert typo.json() == {
        "error": "not-found",
        "message": "No endpoint at /predcit: GET / lists this service's endpoints, and /docs "
        "describes them.",
        "details": {"path": "/predcit"},
    }
    assert (get.status_code, put.status_code) == (405, 405)
    assert get.json() == {
        "error": "method-not-allowed",
        "message": "/predict takes OPTIONS, POST, not GET.",
        "details": {"method": "GET", "allowed": ["OPTIONS", "POST"]},
    }
    assert put.json()["message"] == "/health takes GET, HEAD, OPTIONS, not PUT."


def test_a_compressed_body_is_415_naming_its_encoding(limited: TestClient) -> None:
    """Content-Encoding was not read: a gzip body was a 422 "It is not UTF-8 text." and a
    plain one labelled gzip was taken."""
    json_type = {"content-type": "application/json"}
    with limited as client:
        gzipped = client.post(
            "/predict",
            content=gzip.compress(b'{"x": 1}'),
            headers={**json_type, "content-encoding": "gzip"},
        )
        labelled = client.post(
            "/predict", content=b'{"x": 1}', headers={**json_type, "content-encoding": "GZIP"}
        )
        identity = client.post(
            "/predict", content=b'{"x": 1}', headers={**json_type, "content-encoding": "identity"}
        )
        metrics = client.get("/metrics").text
    assert (gzipped.status_code, labelled.status_code) == (415, 415)
    assert gzipped.json() == {
        "error": "unsupported-media-type",
        "message": "The request body must be sent as it is, not compressed: this service "
        "does not decode Content-Encoding gzip. Send it without compressing it and without "
        "that header.",
        "details": {"content_encoding": "gzip"},
    }
    assert gzipped.headers["accept-encoding"] == "identity"
    assert identity.json() == {"score": 2.0}
    assert (
        'nbtools_serve_errors_total{endpoint="/predict",type="unsupported-media-type"} 2.0'
        in metrics
    )


def test_a_body_declared_in_a_charset_other_than_utf_8_is_415_naming_it(
    limited: TestClient,
) -> None:
    """JSON is UTF-8 (RFC 8259): a body declared Latin-1 or UTF-16 was read as UTF-8 all the
    same: ``café`` in Latin-1 a 422 "It is not UTF-8 text.", as if the client had sent bad
    JSON, while UTF-16 was taken (its byte order mark read). Both are refused by the
    Content-Type's charset, whatever the bytes."""
    with limited as client:
        latin = client.post(
            "/predict",
            content='{"x": 1, "tags": ["café"]}'.encode("latin-1"),
            headers={"content-type": "application/json; charset=latin-1"},
        )
        utf16 = client.post(
            "/predict",
            content='{"x": 1}'.encode("utf-16"),
            headers={"content-type": "application/json;charset=UTF-16"},
        )
        said_utf8 = [
            client.post("/predict", content=b'{"x": 1}', headers={"content-type": given})
            for given in (
                "application/json; charset=utf-8",
                'application/json; charset="UTF-8"',
                "application/json;charset=utf8",
                "application/json",
            )
        ]
        metrics = client.get("/metrics").text
    assert (latin.status_code, utf16.status_code) == (415, 415)
    assert latin.json() == {
        "error": "unsupported-media-type",
        "message": "The request body must be JSON in UTF-8 (RFC 8259), not latin-1: send it "
        "as UTF-8, with 'Content-Type: application/json' (or charset=utf-8).",
        "details": {"content_type": "application/json; charset=latin-1", "charset": "latin-1"},
    }
    assert utf16.json()["details"]["charset"] == "UTF-16"
    assert [reply.json() for reply in said_utf8] == [{"score": 2.0}] * 4
    assert (
        'nbtools_serve_errors_total{endpoint="/predict",type="unsupported-media-type"} 2.0'
        in metrics
    )
