"""The catalog over REST (read-only, the ``read`` action): list, search, show."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jupyter_server.auth.authorizer import Authorizer
from tornado.httpclient import HTTPClientError

from nbtools.data.catalog import add_dataset, dataset_spec
from nbtools.project import Project
from tests.server.openapi_spec import reply_validator

API = ("nbtools", "api", "datasets")


class ReadNothing(Authorizer):
    """Denies reading nbtools (to show the catalog needs ``read``)."""

    def is_authorized(self, handler: Any, user: Any, action: str, resource: str) -> bool:
        return not (resource == "nbtools" and action == "read")


@pytest.fixture
def catalog(jp_root_dir: Path) -> None:
    (jp_root_dir / "tx.csv").write_text("customer_payment_amount,day\n1.5,2026-01-02\n")
    project = Project(jp_root_dir)
    try:
        for name, spec in {
            "tx_2026": {"location": "tx.csv", "classification": "personal", "tags": ["finance"]},
            "ledger": {"location": "s3://b/ledger.parquet", "description": "Payments by customer"},
            "weather": {"location": "w.csv", "classification": "public"},
        }.items():
            add_dataset(project, dataset_spec(project, name, spec))
    finally:
        project.close()


async def get(jp_fetch: Any, *path: str, **params: Any) -> Any:
    response = await jp_fetch(*API, *path, params=params)
    return json.loads(response.body)


async def test_list_search_and_show(jp_fetch: Any, catalog: None) -> None:
    listed = await get(jp_fetch)
    reply_validator("/datasets", "get", 200).validate(listed)
    assert (listed["total"], listed["offset"], listed["limit"]) == (3, 0, 50)
    assert [d["name"] for d in listed["datasets"]] == ["ledger", "tx_2026", "weather"]
    personal = await get(jp_fetch, classification="personal")
    assert [d["name"] for d in personal["datasets"]] == ["tx_2026"]
    assert [d["name"] for d in (await get(jp_fetch, tag="finance"))["datasets"]] == ["tx_2026"]

    found = await get(jp_fetch, "search", q="payment")
    reply_validator("/datasets/search", "get", 200).validate(found)
    assert {d["name"] for d in found} == {"tx_2026", "ledger"}
    assert all(isinstance(d["rank"], float) for d in found)
    assert await get(jp_fetch, "search", q="payment", limit="1") == found[:1]

    shown = await get(jp_fetch, "tx_2026")
    reply_validator("/datasets/{name}", "get", 200).validate(shown)
    assert shown["schema"][0] == {"name": "customer_payment_amount", "type": "number"}

    usage = await get(jp_fetch, "tx_2026", "usage")
    reply_validator("/datasets/{name}/usage", "get", 200).validate(usage)
    assert usage == {"dataset": "tx_2026", "runs": [], "jobs": [], "packages": [], "versions": []}


async def test_the_catalog_a_page_at_a_time(jp_fetch: Any, catalog: None) -> None:
    """The panel counts the catalog from the first page: ``total`` whatever the page."""
    pages = [await get(jp_fetch, offset=str(offset), limit="2") for offset in (0, 2, 3, 99)]
    assert [[d["name"] for d in page["datasets"]] for page in pages] == [
        ["ledger", "tx_2026"],
        ["weather"],
        [],
        [],
    ]
    assert {page["total"] for page in pages} == {3}
    assert (pages[3]["offset"], pages[3]["limit"]) == (99, 2)
    tagged = await get(jp_fetch, tag="finance", offset="1")
    assert (tagged["total"], tagged["datasets"]) == (1, [])
    assert (await get(jp_fetch, tag="none", limit="1000"))["total"] == 0


async def test_an_empty_catalog(jp_fetch: Any) -> None:
    assert await get(jp_fetch) == {"total": 0, "offset": 0, "limit": 50, "datasets": []}


#: 33 different words, one more than a search takes (letters only: digits are words of their own).
TOO_MANY_WORDS = " ".join(f"w{chr(97 + n // 26)}{chr(97 + n % 26)}" for n in range(33))


@pytest.mark.parametrize(
    ("path", "params", "status", "field"),
    [
        (("search",), {}, 400, "q"),
        (("search",), {"q": "***"}, 400, "q"),
        (("search",), {"q": "payment\x01"}, 400, "q"),  # read as "payment " by tornado
        (("search",), {"q": TOO_MANY_WORDS}, 400, "q"),
        (("search",), {"q": "a " * 501}, 400, "q"),  # 3,000 such words: a minute of CPU
        (("search",), {"q": "x", "limit": "0"}, 400, "limit"),
        ((), {"classification": "secret"}, 400, "classification"),
        ((), {"limit": "0"}, 400, "limit"),
        ((), {"limit": "1001"}, 400, "limit"),
        ((), {"offset": "-1"}, 400, "offset"),
        ((), {"offset": "two"}, 400, "offset"),
        (("1bad",), {}, 400, "name"),
        (("1bad", "usage"), {}, 400, "name"),
        (("missing",), {}, 404, None),
    ],
)
async def test_bad_requests_name_the_input(
    jp_fetch: Any, catalog: None, path: tuple[str, ...], params: dict[str, str], status: int,
    field: str | None,
) -> None:  # fmt: skip
    with pytest.raises(HTTPClientError) as info:
        await get(jp_fetch, *path, **params)
    assert info.value.code == status
    assert json.loads(info.value.response.body)["details"].get("field") == field


@pytest.mark.parametrize("jp_server_config", [{
    "ServerApp": {"jpserver_extensions": {"jupyter_nbtools": True}, "authorizer_class": ReadNothing}
}])  # fmt: skip
async def test_the_catalog_needs_read(jp_fetch: Any) -> None:
    for path in ((), ("search",), ("x",), ("x", "usage")):
        with pytest.raises(HTTPClientError) as info:
            await get(jp_fetch, *path, q="x")
        assert info.value.code == 403
