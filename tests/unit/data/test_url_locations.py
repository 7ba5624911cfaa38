"""A URL location has one spelling (docs/governance.md, "How a URL location is spelled"): the
catalog stores it so, finds it however it is written (adding, editing, syncing, a notebook's
literal URL), and migration ``location_0002`` spells the locations of an older store so,
marking the datasets whose URLs then meet, as ``location_0001`` marked shared locations."""

from __future__ import annotations

import json
import logging

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from nbtools.data.catalog import (
    add_dataset,
    dataset_spec,
    edit_dataset,
    list_datasets,
    remove_dataset,
)
from nbtools.data.catalogfile import export_catalog, sync_catalog
from nbtools.data.check import check_notebook
from nbtools.data.sharing import shared_locations
from nbtools.data.tables import datasets
from nbtools.errors import ConflictError, InvalidInputError
from nbtools.project import Project
from tests.conftest import make_notebook
from tests.unit.data.conftest import marked, store_as_written

S3 = "s3://Bucket/x.csv"
HTTP = "https://example.com/a/b/~user.csv"


def _add(project: Project, name: str, location: str, **declared: object) -> str:
    spec = dataset_spec(project, name, {"location": location, **declared})
    return add_dataset(project, spec).spec.location


def _at(project: Project) -> dict[str, str]:
    return {dataset.name: dataset.spec.location for dataset in list_datasets(project)}


@pytest.mark.parametrize(
    ("stored", "spellings", "others"),
    [
        (
            S3,
            ["S3://Bucket/x.csv", "s3://Bucket/x.csv", "s3://Bucket/x.csv/", "S3://Bucket/x.csv//"],
            # the bucket's case, and an object key's dots and escapes, name other objects
            [
                "s3://bucket/x.csv",
                "s3://Bucket/X.csv",
                "s3://Bucket/./x.csv",
                "s3://Bucket/%78.csv",
            ],
        ),
        (
            HTTP,
            [
                "HTTPS://Example.com:443/a/./b/%7Euser.csv",
                "https://example.com/a/b/~user.csv",
                "https://EXAMPLE.COM/a/c/../b/%7euser.csv",
                "https://example.com:/a/b/./~user.csv",
                "https://example.com/a/%62/~user.csv",
            ],
            # the path's case and its trailing slash are the server's to read; another port
            [
                "https://example.com/A/b/~user.csv",
                "https://example.com/a/b/~user.csv/",
                "https://example.com:8443/a/b/~user.csv",
                "http://example.com/a/b/~user.csv",
            ],
        ),
        # fsspec's two names of S3 (of GCS) are one object; an Azure account's host any case;
        # what names another object (a//b is a key of its own) stays another location
        (
            "s3://Bucket/a/b.csv",
            ["s3a://Bucket/a/b.csv", "S3A://Bucket/a/b.csv/", "s3://Bucket/a/b.csv"],
            ["s3://Bucket/a//b.csv", "s3a://Bucket//a/b.csv", "s3://bucket/a/b.csv"],
        ),
        (
            "gs://bucket/a/b.csv",
            ["gcs://bucket/a/b.csv", "GCS://bucket/a/b.csv//", "gs://bucket/a/b.csv"],
            ["gs://bucket/a//b.csv", "gcs://bucket/A/b.csv"],
        ),
        (
            "abfs://data@acct.dfs.core.windows.net/a/b.csv",
            ["abfs://data@ACCT.DFS.Core.Windows.Net/a/b.csv", "ABFS://data@Acct.dfs.core.windows.net/a/b.csv/"],
            ["abfs://Data@acct.dfs.core.windows.net/a/b.csv", "abfs://data@acct.dfs.core.windows.net/a//b.csv"],
        ),
    ],
)  # fmt: skip
def test_every_spelling_of_a_url_is_one_location(
    catalog_project: Project, stored: str, spellings: list[str], others: list[str]
) -> None:
    """Before, each spelling was another location: a second dataset at it, declared public,
    was catalogued beside a personal one."""
    assert _add(catalog_project, "personal", spellings[0], classification="personal") == stored
    for written in spellings:
        with pytest.raises(ConflictError) as caught:
            _add(catalog_project, "zz_copy", written, classification="public")
        assert caught.value.details == {
            "field": "location",
            "location": stored,
            "dataset": "personal",
        }
    _add(catalog_project, "moved", "data/m.csv")
    for written in spellings:
        with pytest.raises(ConflictError):
            edit_dataset(catalog_project, "moved", {"location": written})
        # the dataset's own location, written another way, is no move
        assert edit_dataset(catalog_project, "personal", {"location": written}).spec.location == (
            stored
        )
    for index, written in enumerate(others):
        assert _add(catalog_project, f"other{index}", written) != stored
    assert _at(catalog_project)["personal"] == stored
    remove_dataset(catalog_project, "personal")
    assert _add(catalog_project, "zz_copy", spellings[-1]) == stored


def test_a_spelling_too_long_once_spelled_is_refused_naming_the_location(
    catalog_project: Project,
) -> None:
    """A capital dotted I is two characters in lower case: the column holds 2048."""
    location = "https://" + "\u0130" * 1500 + ".example/x"
    with pytest.raises(InvalidInputError) as caught:
        _add(catalog_project, "long", location)
    assert caught.value.details == {"field": "location"}
    assert list_datasets(catalog_project) == []


def test_datasets_yaml_reads_every_spelling_as_one_location(catalog_project: Project) -> None:
    (catalog_project.root / "datasets.yaml").write_text(
        "datasets:\n"
        "  raw: {location: 'S3://Bucket/x.csv/', classification: personal}\n"
        "  zz_copy: {location: 's3://Bucket/x.csv', classification: public}\n"
    )
    with pytest.raises(InvalidInputError) as caught:
        sync_catalog(catalog_project)
    assert caught.value.details == {"field": "location", "dataset": "zz_copy", "other": "raw"}
    assert list_datasets(catalog_project) == []

    (catalog_project.root / "datasets.yaml").write_text(
        "datasets:\n  raw: {location: 'S3://Bucket/x.csv/'}\n"
        "  web: {location: 'HTTPS://Example.com:443/a/./b/%7Euser.csv'}\n"
    )
    assert sync_catalog(catalog_project).added == ["raw", "web"]
    assert _at(catalog_project) == {"raw": S3, "web": HTTP}
    assert sync_catalog(catalog_project).unchanged == ["raw", "web"]  # as written: no change
    exported = export_catalog(catalog_project, "exported.yaml").read_text()
    assert S3 in exported
    assert HTTP in exported
    assert sync_catalog(catalog_project, "exported.yaml").unchanged == ["raw", "web"]


def test_the_data_check_finds_a_dataset_at_any_spelling_of_its_url(
    catalog_project: Project,
) -> None:
    """Before, a notebook reading ``S3://Bucket/x.csv`` used no dataset as far as the check
    knew: the personal data was read for any purpose."""
    _add(catalog_project, "raw", S3, classification="personal", purposes=["billing"])
    _add(catalog_project, "web", HTTP)
    code = (
        "import pandas as pd\n"
        "a = pd.read_csv('S3://Bucket/x.csv/')\n"
        "b = pd.read_csv('HTTPS://Example.com:443/a/./b/%7Euser.csv')\n"
        "c = pd.read_csv('s3://bucket/x.csv')\n"  # another bucket
        "d = pd.read_csv('simplecache::s3://Bucket/x.csv')\n"  # a chain: no location
    )
    (catalog_project.root / "nb.ipynb").write_text(json.dumps(make_notebook([("code", code, [])])))
    result = check_notebook(catalog_project, "nb.ipynb", "marketing", enforce=False)
    assert [(use.dataset, use.how, use.refused is not None) for use in result.uses] == [
        ("raw", "detected", True),
        ("web", "detected", False),
    ]
    assert [found.dataset for found in result.undeclared] == ["raw", "web", None, None]


def test_an_older_store_s_urls_are_spelled_and_those_that_meet_are_marked(
    catalog_project: Project, caplog: pytest.LogCaptureFixture
) -> None:
    for name in "abcdefgh":
        _add(catalog_project, name, f"data/{name}.csv")
    written = {
        "a": "S3://Bucket/x.csv",
        "b": "s3://Bucket/x.csv/",
        "c": S3,
        "d": "s3://bucket/x.csv",  # another bucket
        "e": "HTTPS://Example.com:443/a/./b/%7Euser.csv",
        "f": HTTP,
        "g": "HTTP://Other.Example:80/%7Ex",  # alone once spelled
    }
    with caplog.at_level(logging.WARNING, logger="nbtools.store"):
        store_as_written(catalog_project, written, "location_0001")
    assert [record.getMessage() for record in caplog.records] == [
        "The data catalog now stores each URL location in one spelling (docs/governance.md), "
        "and 5 datasets share 2 locations (URLs written differently before): "
        f"{HTTP}: e, f; {S3}: a, b, c. They keep working and can be edited; give each its own "
        "location or remove the extra ones. `nbtools data list` and `nbtools status` name them "
        "until then."
    ]
    assert _at(catalog_project) == {
        "a": S3,
        "b": S3,
        "c": S3,
        "d": "s3://bucket/x.csv",
        "e": HTTP,
        "f": HTTP,
        "g": "http://other.example/~x",
        "h": "data/h.csv",  # a path: as it was
    }
    assert marked(catalog_project) == {
        **dict.fromkeys("abcef", True),
        **dict.fromkeys("dgh", False),
    }
    assert shared_locations(catalog_project) == {HTTP: ["e", "f"], S3: ["a", "b", "c"]}

    # they keep working: edited, refused a newcomer at any spelling, moved apart
    assert edit_dataset(catalog_project, "b", {"owner": "crm"}).spec.location == S3
    with pytest.raises(ConflictError) as caught:
        _add(catalog_project, "z", "S3://Bucket/x.csv/")
    assert (caught.value.details["field"], caught.value.details["dataset"]) == ("location", "a")
    edit_dataset(catalog_project, "e", {"location": "https://example.com/e.csv"})
    assert shared_locations(catalog_project) == {S3: ["a", "b", "c"]}
    assert marked(catalog_project)["e"] is False
    # a dataset alone at its spelled URL is covered by the index
    row = {"name": "y", "location": "http://other.example/~x", "classification": "internal"}
    with pytest.raises(IntegrityError), catalog_project.store.connection() as connection:
        connection.execute(insert(datasets).values(row))


def test_an_older_store_with_every_url_spelled_so_already_is_left_as_it_is(
    catalog_project: Project, caplog: pytest.LogCaptureFixture
) -> None:
    _add(catalog_project, "raw", S3)
    _add(catalog_project, "local", "data/x.csv")
    with caplog.at_level(logging.WARNING, logger="nbtools.store"):
        store_as_written(catalog_project, {"raw": S3}, "location_0001")
    assert caplog.records == []
    assert _at(catalog_project) == {"local": "data/x.csv", "raw": S3}
    assert marked(catalog_project) == {"local": False, "raw": False}
    assert shared_locations(catalog_project) == {}


def test_an_older_store_s_object_store_urls_are_spelled_and_those_that_meet_are_marked(
    catalog_project: Project, caplog: pytest.LogCaptureFixture
) -> None:
    """Migration ``location_0003`` spells the URLs ``location_0002`` kept (``s3a://``,
    ``gcs://``, an Azure host's capitals), marking the datasets that then meet."""
    for name in "abcd":
        _add(catalog_project, name, f"data/{name}.csv")
    written = {
        "a": "s3a://Bucket/x.csv",
        "b": "s3://Bucket/x.csv",
        "c": "gcs://bucket/y.csv",  # alone once spelled
        "d": "s3://Bucket/a//x.csv",  # another object
    }
    with caplog.at_level(logging.WARNING, logger="nbtools.store"):
        store_as_written(catalog_project, written, "location_0002")
    assert [record.getMessage() for record in caplog.records] == [
        "The data catalog now spells an object store's URL with one name of its protocol "
        "(s3a:// as s3://, gcs:// as gs://) and an Azure account's host in lower case "
        "(docs/governance.md), and 2 datasets share 1 location (URLs of one object written "
        "differently before): s3://Bucket/x.csv: a, b. They keep working and can be edited; "
        "give each its own location or remove the extra ones. `nbtools data list` and "
        "`nbtools status` name them until then."
    ]
    assert _at(catalog_project) == {
        "a": "s3://Bucket/x.csv",
        "b": "s3://Bucket/x.csv",
        "c": "gs://bucket/y.csv",
        "d": "s3://Bucket/a//x.csv",
    }
    assert marked(catalog_project) == {"a": True, "b": True, "c": False, "d": False}
    assert shared_locations(catalog_project) == {"s3://Bucket/x.csv": ["a", "b"]}
