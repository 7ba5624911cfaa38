"""What a served function takes and gives: JSON, by the service's rules, over real HTTP
(``nbtools serve`` in a subprocess, as in test_service.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.conftest import NotebookFactory
from tests.integration.serve.conftest import RunningService, extract

Serve = Callable[..., RunningService]

NOT_FINITE = "is not a finite number: JSON has no NaN or infinity."


def test_a_body_is_json_of_finite_numbers_read_whole_and_empty_means_no_arguments(
    scorer_package: Path, serve: Serve
) -> None:
    """What Python's json reads but JSON has not (NaN, Infinity) is the caller's error, 422
    naming the field, not a 500 when the reply cannot be written; so is a body too deep to
    read (here ≈ 200 KB, under the size limit). An empty body sent as JSON is {}; a body
    that does not say it is JSON is never read (a web page can send those to localhost)."""
    service = serve(scorer_package)
    deep = b'{"tags": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    with service.client() as client:

        def post(path: str, body: bytes, content_type: str = "application/json") -> Any:
            headers = {"content-type": content_type} if content_type else {}
            return client.post(path, content=body, headers=headers)

        nan = post("/predict", b'{"x": NaN, "tags": ["a"]}')
        batch = post("/predict/batch", b'[{"x": 1}, {"x": Infinity}, {"x": -1e999}, {"x": 1}]')
        empty = post("/run", b"")
        empty_but_needed = post("/predict", b"")
        untyped = post("/run", b"", content_type="")
        too_deep = post("/predict", deep)
        too_long = post("/predict", b'{"x": ' + b"9" * 5000 + b"}")
        not_utf8 = post("/predict", b'{"x": 1, "tags": ["\xe9"]}')
        metrics = client.get("/metrics").text
    assert (nan.status_code, nan.json()["details"]["fields"]) == (
        422,
        [{"field": "x", "message": f"NaN {NOT_FINITE}"}],
    )
    assert [(f["field"], f["message"]) for f in batch.json()["details"]["fields"]] == [
        ("1.x", f"Infinity {NOT_FINITE}"),
        ("2.x", f"-1e999 {NOT_FINITE}"),
    ]
    assert (empty.status_code, empty.json()) == (200, {"total": 6})
    assert empty_but_needed.status_code == 422
    assert [f["field"] for f in empty_but_needed.json()["details"]["fields"]] == ["x"]
    assert (untyped.status_code, untyped.json()["details"]) == (415, {"content_type": ""})
    assert "it came without a Content-Type" in untyped.json()["message"]
    whole = [
        (
            too_deep,
            "It nests JSON arrays or objects too deeply to be read (about a thousand levels).",
        ),
        (
            too_long,
            "It cannot be read: Exceeds the limit (4300 digits) for integer string "
            "conversion: value has 5000 digits.",
        ),
        (not_utf8, "It is not UTF-8 text."),
    ]
    for reply, message in whole:
        assert reply.status_code == 422
        assert reply.json() == {
            "error": "invalid-input",
            "message": f"The request body is invalid. {message}",
            "details": {"fields": [{"field": "", "message": message}]},
        }
    assert 'status="5' not in metrics
    assert "Traceback" not in service.stop()


#: A served function whose result can be a NaN or an infinity.
RATIO = [
    ("markdown", "# Ratio\n> Divides.", []),
    ("code", "import math", ["export"]),
    (
        "code",
        "#| serve\n"
        "def ratio(a: float, b: float) -> dict[str, float]:\n"
        '    """a / b: NaN for 0 / 0, an infinity for a / 0."""\n'
        "    if b == 0:\n"
        "        return {'ratio': math.nan if a == 0 else math.copysign(math.inf, a)}\n"
        "    return {'ratio': a / b}",
        [],
    ),
]


def test_a_result_json_cannot_carry_is_a_500_saying_what_and_where(
    notebook_factory: NotebookFactory, tmp_path: Path, serve: Serve
) -> None:
    """Never turned into null, which a caller would take for an answer; no traceback: the
    function did not fail, its result cannot be sent."""
    package = extract(notebook_factory("ratio.ipynb", RATIO), tmp_path / "ratio-pkg")
    service = serve(package)
    with service.client() as client:
        fine = client.post("/ratio", json={"a": 1, "b": 4})
        nan = client.post("/ratio", json={"a": 0, "b": 0})
        batch = client.post("/ratio/batch", json=[{"a": 1, "b": 2}, {"a": -1, "b": 0}])
        metrics = client.get("/metrics").text
    log = service.stop()
    assert fine.json() == {"ratio": 0.25}
    assert nan.status_code == batch.status_code == 500
    assert nan.json()["error"] == "invalid-result"
    assert nan.json()["message"] == (
        "The function returned NaN at ratio, which JSON cannot carry: it should return a "
        "finite number, or None for no number."
    )
    assert nan.json()["details"]["field"] == "ratio"
    assert batch.json()["details"]["field"] == "1.ratio"
    assert batch.json()["message"].startswith("The function returned -Infinity at 1.ratio,")
    error_id = nan.json()["details"]["error_id"]
    assert f"error {error_id} in /ratio: The function returned NaN at ratio" in log
    assert "Traceback" not in log
    assert 'nbtools_serve_errors_total{endpoint="/ratio",type="invalid-result"} 1.0' in metrics


#: Served functions returning what JSON has no type for, but pydantic (and so the OpenAPI
#: document built from their annotations) writes as text.
TYPED = [
    ("markdown", "# Typed\n> Typed results.", []),
    (
        "code",
        "import dataclasses, datetime, decimal, enum, uuid",
        ["export"],
    ),
    (
        "code",
        "#| serve\n"
        "class Tier(enum.Enum):\n"
        "    GOLD = 'gold'\n\n"
        "@dataclasses.dataclass\n"
        "class Quote:\n"
        "    price: decimal.Decimal\n"
        "    valid_until: datetime.date\n\n"
        "def quote(day: datetime.date) -> Quote:\n"
        "    return Quote(decimal.Decimal('9.90'), day + datetime.timedelta(days=1))\n\n"
        "def stamp() -> dict[str, object]:\n"
        "    return {\n"
        "        'at': datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc),\n"
        "        'id': uuid.UUID(int=1),\n"
        "        'tier': Tier.GOLD,\n"
        "        'raw': b'ok',\n"
        "    }\n\n"
        "class Opaque:\n"
        "    pass\n\n"
        "def bundle() -> dict[str, object]:\n"
        "    return {'parts': [1, {'model': Opaque()}], 'at': datetime.date(2026, 1, 2)}",
        [],
    ),
]


def test_a_result_is_sent_as_the_openapi_document_says_dates_decimals_enums_dataclasses(
    notebook_factory: NotebookFactory, tmp_path: Path, serve: Serve
) -> None:
    """A ``date`` result (a ``Decimal``, a ``UUID``, an ``Enum``, ``bytes``, a dataclass) was a
    500 ``invalid-result`` on every call, where the OpenAPI document promised a string
    (``format: date``) or an object, and a request's ``date`` is read from that text."""
    package = extract(notebook_factory("typed.ipynb", TYPED), tmp_path / "typed-pkg")
    service = serve(package)
    with service.client() as client:
        quote = client.post("/quote", json={"day": "2026-02-28"})
        stamp = client.post("/stamp", json={})
        schema = client.get("/openapi.json").json()["components"]["schemas"]["Quote"]
    service.stop()
    assert quote.status_code == 200, quote.text
    assert quote.json() == {"price": "9.90", "valid_until": "2026-03-01"}
    assert schema["properties"]["valid_until"] == {
        "type": "string",
        "format": "date",
        "title": "Valid Until",
    }
    assert stamp.status_code == 200, stamp.text
    assert stamp.json() == {
        "at": "2026-01-02T03:04:05Z",
        "id": "00000000-0000-0000-0000-000000000001",
        "tier": "gold",
        "raw": "ok",
    }


def test_a_result_without_a_json_form_is_a_500_naming_where_it_stands(
    notebook_factory: NotebookFactory, tmp_path: Path, serve: Serve
) -> None:
    """Said to be the whole result (``the function returned a Opaque``, the type's name only) and named no field,
    where the function returned a dict: the developer looked for the wrong value."""
    package = extract(notebook_factory("typed.ipynb", TYPED), tmp_path / "typed-pkg")
    service = serve(package)
    with service.client() as client:
        bundle = client.post("/bundle", json={})
        batch = client.post("/bundle/batch", json=[{}, {}])
    log = service.stop()
    assert bundle.status_code == batch.status_code == 500
    assert bundle.json()["error"] == "invalid-result"
    assert bundle.json()["message"] == (
        "The function's result cannot be sent as JSON: the function returned an object of "
        "type Opaque at parts.1.model, which is not JSON data."
    )
    assert bundle.json()["details"]["field"] == "parts.1.model"
    assert batch.json()["details"]["field"] == "0.parts.1.model"
    error_id = bundle.json()["details"]["error_id"]
    assert f"error {error_id} in /bundle: The function's result cannot be sent" in log
