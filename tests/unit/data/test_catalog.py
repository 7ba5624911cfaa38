from __future__ import annotations

import os

import pytest
from sqlalchemy import event

from nbtools.data.catalog import (
    add_dataset,
    dataset_spec,
    edit_dataset,
    get_dataset,
    list_datasets,
    page_datasets,
    remove_dataset,
)
from nbtools.data.catalogfile import sync_catalog
from nbtools.data.fields import retention_days
from nbtools.data.schema import Field
from nbtools.errors import ConflictError, InvalidInputError, NotFoundError
from nbtools.project import Project
from tests.unit.data.conftest import share_a_location

#: For tests of what is refused or normalized before anything reaches the store: on SQLite
#: alone (a NUL byte, which PostgreSQL's text cannot hold, is tested on both).
BEFORE_THE_STORE = pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)


def _add(project: Project, name: str, **declared: object):  # type: ignore[no-untyped-def]
    return add_dataset(project, dataset_spec(project, name, declared))


def test_add_reads_the_schema_and_show_returns_it(catalog_project: Project) -> None:
    (catalog_project.root / "data" / "customers.csv").write_text("id,email\n1,a@b.c\n")
    added = _add(
        catalog_project,
        "customers",
        location="data/customers.csv",
        description=" One row per customer. ",
        tags=["crm", "crm", "eu"],
        classification="personal",
        purposes=["churn-model"],
        retention="12w",
        owner="data-team",
    )
    shown = get_dataset(catalog_project, "customers")
    assert shown == added
    assert shown.schema == (Field("id", "integer"), Field("email", "string"))
    assert shown.spec.tags == ("crm", "eu")
    assert shown.spec.description == "One row per customer."
    assert shown.to_dict()["purposes"] == ["churn-model"]
    assert retention_days(shown.spec.retention) == 84


def test_locations_paths_inside_the_root_and_urls(catalog_project: Project) -> None:
    root = catalog_project.root
    assert _add(catalog_project, "a", location=str(root / "data" / "x.csv")).spec.location == (
        "data/x.csv"
    )
    assert _add(catalog_project, "b", location=f"file://{root}/data/y.csv").spec.location == (
        "data/y.csv"
    )
    assert _add(catalog_project, "c", location="./data//z.csv").spec.location == "data/z.csv"
    url = _add(catalog_project, "d", location="s3://bucket/k.parquet")
    assert url.spec.location == "s3://bucket/k.parquet"
    assert url.schema is None
    assert "s3fs" in (url.schema_note or "")
    for bad in ("../x.csv", "/etc/passwd", "file:///etc/passwd", "nosuchproto://x", " ", "a\0b"):
        with pytest.raises(InvalidInputError) as caught:
            _add(catalog_project, "bad", location=bad)
        assert caught.value.details["field"] == "location"
    with pytest.raises(InvalidInputError) as caught:  # the login's end was shown
        _add(catalog_project, "bad", location="nosuchproto://me:s3@cret:x@host/k")
    assert caught.value.message.startswith("Location 'nosuchproto://host/k' uses the protocol")
    os.symlink("/tmp", root / "escape")
    with pytest.raises(InvalidInputError):
        _add(catalog_project, "bad", location="escape/x.csv")
    assert [d.name for d in list_datasets(catalog_project)] == ["a", "b", "c", "d"]


@pytest.mark.parametrize(
    "form",
    [
        "file://{root}/data/x.csv",
        "file://localhost{root}/data/x.csv",  # RFC 8089: the local host, named
        "file://LocalHost{root}/data/x.csv",
        "file:{root}/data/x.csv",  # RFC 8089's form with one slash
        "FILE:///{root}/data/x.csv",
        "local://{root}/data/x.csv",  # fsspec's other name for file:
        "local:{root}/data/x.csv",
    ],
)
@BEFORE_THE_STORE
def test_every_form_of_a_file_url_is_the_root_relative_path(
    catalog_project: Project, form: str
) -> None:
    """Before, ``file://localhost/ROOT/x`` was stored as ``localhost/ROOT/x`` and
    ``file:/ROOT/x`` as a directory named ``file:`` inside the root."""
    location = form.format(root=catalog_project.root)
    assert _add(catalog_project, "x", location=location).spec.location == "data/x.csv"


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ("file://server/share/x.csv", "on the machine 'server'"),
        ("file:data/x.csv", "without an absolute path"),
        ("file://localhost", "without an absolute path"),
        ("file:", "without an absolute path"),
        ("file://localhost/etc/passwd", "outside the project root"),
        ("file:/etc/passwd", "outside the project root"),
        ("simplecache::file://{root}/data/x.csv", "chains fsspec protocols"),
        ("dir::file://{root}/data", "chains fsspec protocols"),
        ("simplecache::s3://bucket/k.csv", "chains fsspec protocols"),
    ],
)
@BEFORE_THE_STORE
def test_other_machines_relative_file_urls_and_chains_are_refused(
    catalog_project: Project, form: str, message: str
) -> None:
    """Before, a chain was stored as a path inside the root (``simplecache::file:/ROOT/…``)."""
    with pytest.raises(InvalidInputError, match=message) as caught:
        _add(catalog_project, "x", location=form.format(root=catalog_project.root))
    assert caught.value.details["field"] == "location"
    assert list_datasets(catalog_project) == []


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ("data/a\x00b.csv", "NUL byte"),
        ("{root}/data/a\x00b.csv", "NUL byte"),
        ("file://{root}/data/a\x00b.csv", "NUL byte"),
        ("ping/x.csv", "loop of symbolic links"),
        ("pong", "loop of symbolic links"),
        ("data/self", "loop of symbolic links"),
        ("{root}/ping/x.csv", "loop of symbolic links"),
        ("file://{root}/data/self/x.csv", "loop of symbolic links"),
    ],
)
def test_a_nul_byte_or_a_loop_of_symbolic_links_is_refused_naming_the_location(
    catalog_project: Project, form: str, message: str
) -> None:
    """Each form of a path (root-relative, absolute, ``file:`` URL) ended in a ValueError or
    RuntimeError: a traceback in the CLI, a 500 over REST."""
    root = catalog_project.root
    os.symlink("pong", root / "ping")
    os.symlink("ping", root / "pong")
    os.symlink("self", root / "data" / "self")
    with pytest.raises(InvalidInputError, match=message) as caught:
        _add(catalog_project, "x", location=form.format(root=root))
    assert caught.value.details["field"] == "location"
    assert list_datasets(catalog_project) == []


def test_a_path_with_a_colon_or_double_colon_inside_stays_a_path(
    catalog_project: Project,
) -> None:
    assert _add(catalog_project, "a", location="data/a::b.csv").spec.location == "data/a::b.csv"
    assert _add(catalog_project, "b", location="data/file:x.csv").spec.location == (
        "data/file:x.csv"
    )


@pytest.mark.parametrize(
    ("field", "declared"),
    [
        ("name", {"name": "1abc"}),
        ("name", {"name": "a b"}),
        ("name", {"name": "x" * 129}),
        ("classification", {"classification": "secret"}),
        ("tags", {"tags": ["a b"]}),
        ("purposes", {"purposes": ["-x"]}),
        ("retention", {"retention": "90"}),
        ("retention", {"retention": "0d"}),
        ("retention", {"retention": "3m"}),
        ("description", {"description": "x" * 10_001}),
        ("colour", {"colour": "red"}),
        ("location", {"location": None}),
    ],
)
@BEFORE_THE_STORE
def test_bad_declarations_name_the_field_and_change_nothing(
    catalog_project: Project, field: str, declared: dict[str, object]
) -> None:
    declared = dict(declared)
    name = str(declared.pop("name", "ok"))
    with pytest.raises(InvalidInputError) as caught:
        _add(catalog_project, name, **{"location": "data/x.csv", **declared})
    assert caught.value.details["field"] == field
    assert list_datasets(catalog_project) == []


def test_names_are_unique(catalog_project: Project) -> None:
    _add(catalog_project, "x", location="data/x.csv")
    with pytest.raises(ConflictError):
        _add(catalog_project, "x", location="data/other.csv")
    assert get_dataset(catalog_project, "x").spec.location == "data/x.csv"


def test_edit_replaces_given_fields_and_reads_the_schema_again(catalog_project: Project) -> None:
    data = catalog_project.root / "data" / "x.csv"
    _add(catalog_project, "x", location="data/x.csv", tags=["a"], purposes=["p"])
    assert get_dataset(catalog_project, "x").schema is None
    data.write_text("amount\n1\n")
    edited = edit_dataset(catalog_project, "x", {})
    assert edited.schema == (Field("amount", "integer"),)
    assert edited.updated_at > edited.created_at
    edited = edit_dataset(catalog_project, "x", {"tags": [], "classification": "sensitive"})
    assert edited.spec.tags == ()
    assert edited.spec.purposes == ("p",)
    assert edited.spec.classification == "sensitive"
    with pytest.raises(InvalidInputError):
        edit_dataset(catalog_project, "x", {"classification": "nope"})
    assert get_dataset(catalog_project, "x").spec.classification == "sensitive"
    with pytest.raises(NotFoundError):
        edit_dataset(catalog_project, "missing", {})


def test_a_location_a_link_now_leads_out_of_the_root_can_still_be_reclassified(
    catalog_project: Project, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The data moved to a shared disk, its file replaced by a link there: every edit
    (``--classification personal`` too) was refused, saying to see ``--location``, which it
    did not give. The stored location is kept; its schema is not read out of the root."""
    data = catalog_project.root / "data"
    (data / "events.csv").write_text("id\n1\n")
    _add(catalog_project, "events", location="data/events.csv")
    shared = tmp_path_factory.mktemp("shared") / "events.csv"
    shared.write_text("secret_column\n1\n")
    (data / "events.csv").unlink()
    (data / "events.csv").symlink_to(shared)

    edited = edit_dataset(catalog_project, "events", {"classification": "personal"})
    assert (edited.spec.location, edited.spec.classification) == ("data/events.csv", "personal")
    assert edited.schema is None
    assert edited.schema_note == (
        "leads out of the project root (through a symbolic link made since it was "
        "catalogued): schema not read; give it a location inside the root"
    )
    with pytest.raises(InvalidInputError) as moved:  # a location given anew is checked
        edit_dataset(catalog_project, "events", {"location": str(shared)})
    assert moved.value.details["field"] == "location"

    # datasets.yaml declaring it again (the whole file was refused) reclassifies it too
    (catalog_project.root / "datasets.yaml").write_text(
        "datasets:\n  events:\n    location: data/events.csv\n    classification: sensitive\n"
    )
    assert sync_catalog(catalog_project).updated == ["events"]
    assert get_dataset(catalog_project, "events").spec.classification == "sensitive"


def test_remove_and_filters(catalog_project: Project) -> None:
    _add(catalog_project, "a", location="data/a.csv", tags=["t"], classification="public")
    _add(catalog_project, "b", location="data/b.csv", classification="personal")
    assert [d.name for d in list_datasets(catalog_project, tag="t")] == ["a"]
    assert [d.name for d in list_datasets(catalog_project, classification="personal")] == ["b"]
    remove_dataset(catalog_project, "a")
    assert [d.name for d in list_datasets(catalog_project)] == ["b"]
    with pytest.raises(NotFoundError):
        remove_dataset(catalog_project, "a")


def test_a_page_of_the_catalog_reads_only_the_page(catalog_project: Project) -> None:
    for name in ("e", "d", "c", "b", "a"):
        tags = ["t"] if name in "bde" else []
        _add(catalog_project, name, location=f"data/{name}.csv", tags=tags)
    statements: list[str] = []
    engine = catalog_project.store.engine

    def seen(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", seen)
    try:
        page = page_datasets(catalog_project, offset=1, limit=2)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert ([d.name for d in page.datasets], page.total) == (["b", "c"], 5)
    whole = [s for s in statements if "datasets.description" in s]
    assert len(whole) == 1  # one count, one page: never every record
    assert "LIMIT" in whole[0]
    tagged = page_datasets(catalog_project, tag="t", offset=1, limit=1)
    assert ([d.name for d in tagged.datasets], tagged.total) == (["d"], 3)
    past = page_datasets(catalog_project, tag="t", offset=3)
    assert (past.datasets, past.total) == ([], 3)
    assert page_datasets(catalog_project, offset=5).to_dict() == {
        "total": 5, "offset": 5, "limit": 50, "datasets": []
    }  # fmt: skip
    for bad in ({"offset": -1}, {"limit": 0}, {"limit": 1001}):
        with pytest.raises(InvalidInputError) as caught:
            page_datasets(catalog_project, **bad)
        assert caught.value.details["field"] in bad


def test_a_location_holds_one_dataset_however_it_is_written(catalog_project: Project) -> None:
    """Before, ``zz_copy`` at the location of a personal dataset was catalogued as public, and
    the check matched that file to whichever came last."""
    root = catalog_project.root
    os.symlink(root / "data", root / "linkdir")
    _add(catalog_project, "customers", location="data/customers.csv", classification="personal")
    for written in (
        "linkdir/customers.csv",  # through a symlink inside the root
        "data/customers.csv",
        "./data//customers.csv",
        str(root / "data" / "customers.csv"),
        f"file://{root}/linkdir/customers.csv",
    ):
        with pytest.raises(ConflictError) as caught:
            _add(catalog_project, "zz_copy", location=written, classification="public")
        assert caught.value.details == {
            "field": "location",
            "location": "data/customers.csv",
            "dataset": "customers",
        }
        assert "'customers'" in caught.value.message
    _add(catalog_project, "other", location="data/other.csv")
    with pytest.raises(ConflictError) as caught:
        edit_dataset(catalog_project, "other", {"location": "linkdir/customers.csv"})
    assert caught.value.details["dataset"] == "customers"
    assert [(d.name, d.spec.location) for d in list_datasets(catalog_project)] == [
        ("customers", "data/customers.csv"),
        ("other", "data/other.csv"),
    ]
    # a dataset kept where it is, or moved to a free location, is no conflict
    assert edit_dataset(catalog_project, "customers", {"owner": "crm"}).spec.owner == "crm"
    assert edit_dataset(catalog_project, "other", {"location": "data/o2.csv"}).spec.location == (
        "data/o2.csv"
    )
    remove_dataset(catalog_project, "customers")
    assert _add(catalog_project, "zz_copy", location="linkdir/customers.csv").name == "zz_copy"


def test_datasets_sharing_a_location_from_before_can_be_fixed(catalog_project: Project) -> None:
    """A store written before the rule may hold two datasets at one location: editing one to
    reclassify or move it is allowed, moving a third there is not."""
    _add(catalog_project, "customers", location="data/c.csv", classification="personal")
    _add(catalog_project, "copy", location="data/copy.csv", classification="public")
    _add(catalog_project, "third", location="data/third.csv")
    share_a_location(catalog_project, ["copy"], "data/c.csv")
    edited = edit_dataset(catalog_project, "copy", {"classification": "personal"})
    assert (edited.spec.location, edited.spec.classification) == ("data/c.csv", "personal")
    with pytest.raises(ConflictError):
        edit_dataset(catalog_project, "third", {"location": "data/c.csv"})
    assert edit_dataset(catalog_project, "copy", {"location": "data/c2.csv"}).spec.location == (
        "data/c2.csv"
    )
