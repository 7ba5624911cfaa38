from __future__ import annotations

import pytest

from nbtools.data.catalog import add_dataset, dataset_spec, get_dataset, list_datasets
from nbtools.data.catalogfile import export_catalog, sync_catalog
from nbtools.errors import ConflictError, InvalidInputError
from nbtools.project import Project

CATALOG = """\
datasets:
  customers:
    location: data/customers.csv
    description: One row per customer.
    tags: [crm]
    classification: personal
    purposes: [churn-model, billing]
    retention: 90d
  events:
    location: s3://bucket/events.parquet
"""


def test_sync_adds_then_changes_nothing_and_the_file_wins(catalog_project: Project) -> None:
    (catalog_project.root / "datasets.yaml").write_text(CATALOG)
    (catalog_project.root / "data" / "customers.csv").write_text("id\n1\n")
    first = sync_catalog(catalog_project)
    assert (first.added, first.updated) == (["customers", "events"], [])
    again = sync_catalog(catalog_project)
    assert (again.added, again.updated, again.unchanged) == ([], [], ["customers", "events"])
    before = get_dataset(catalog_project, "customers")
    assert before.spec.purposes == ("churn-model", "billing")
    assert before.schema is not None

    # a change made outside the file is overwritten by the next sync
    from nbtools.data.catalog import edit_dataset

    edit_dataset(catalog_project, "customers", {"classification": "public"})
    add_dataset(catalog_project, dataset_spec(catalog_project, "local", {"location": "x.csv"}))
    report = sync_catalog(catalog_project)
    assert report.updated == ["customers"]
    assert report.not_in_file == ["local"]
    assert get_dataset(catalog_project, "customers").spec.classification == "personal"
    pruned = sync_catalog(catalog_project, prune=True)
    assert pruned.removed == ["local"]
    assert [d.name for d in list_datasets(catalog_project)] == ["customers", "events"]


def test_export_round_trips(catalog_project: Project) -> None:
    (catalog_project.root / "datasets.yaml").write_text(CATALOG)
    sync_catalog(catalog_project)
    exported = export_catalog(catalog_project, "exported/catalog.yaml")
    assert exported == catalog_project.root / "exported" / "catalog.yaml"
    text = exported.read_text()
    assert "schema" not in text
    report = sync_catalog(catalog_project, "exported/catalog.yaml")
    assert report.unchanged == ["customers", "events"]


#: A file with one good entry and one bad: nothing of it is stored, on each engine.
PARTLY_BAD = "datasets:\n  ok: {location: a.csv}\n  bad: {location: ../x.csv}"


@pytest.mark.parametrize(
    ("store_url", "content", "message"),
    [
        # a file refused as it is read, before anything reaches the store: on SQLite alone
        ("sqlite", "datasets: [a, b]", "must map names"),
        ("sqlite", "other: {}", "one mapping"),
        ("sqlite", "datasets:\n  a: text", "must be a mapping"),
        ("sqlite", "datasets:\n  ok: {location: a.csv, classification: top}", "Classification"),
        ("sqlite", "datasets: {a: [", "not valid YAML"),
        ("sqlite", "datasets: &a [*a]", "must map names"),  # cycles through aliases end
        ("sqlite", "datasets: &d {s: *d}", "Unknown dataset field"),
        ("sqlite", "datasets: {a: " + "[" * 5000 + "]" * 5000 + "}", "too deeply"),
        ("sqlite", "datasets: {a: {location: a.csv, x: " + "9" * 5000 + "}}", "4300 digits"),
        ("sqlite", PARTLY_BAD, "'bad'"),
        ("postgresql", PARTLY_BAD, "'bad'"),
    ],
    indirect=["store_url"],
)
def test_a_bad_file_changes_nothing(catalog_project: Project, content: str, message: str) -> None:
    (catalog_project.root / "datasets.yaml").write_text(content)
    with pytest.raises(InvalidInputError, match=message):
        sync_catalog(catalog_project)
    assert list_datasets(catalog_project) == []


def test_missing_empty_and_outside_files(catalog_project: Project) -> None:
    with pytest.raises(InvalidInputError, match="does not exist"):
        sync_catalog(catalog_project)
    (catalog_project.root / "datasets.yaml").write_text("")
    assert sync_catalog(catalog_project).added == []
    with pytest.raises(InvalidInputError):
        sync_catalog(catalog_project, "../datasets.yaml")
    with pytest.raises(InvalidInputError):
        export_catalog(catalog_project, "/tmp/datasets.yaml")


PERSONAL = """\
datasets:
  s:
    location: data/tx.csv
    classification: personal
    purposes: [billing]
"""


@pytest.mark.parametrize(
    ("content", "key", "lines"),
    [
        # the same name declared again, as public: YAML kept the last, silently
        (PERSONAL + "  s:\n    location: data/tx.csv\n    classification: public\n", "s", [2, 6]),
        (PERSONAL + "    classification: public\n", "classification", [4, 6]),
        (PERSONAL + '    "classification": public\n', "classification", [4, 6]),  # quoted
        (PERSONAL + "datasets: {}\n", "datasets", [1, 6]),
        ("datasets:\n  s: {location: a.csv, location: b.csv}\n", "location", [2, 2]),
        ("datasets:\n  s:\n    location: a.csv\n    tags: [a, {b: 1, b: 2}]\n", "b", [4, 4]),
    ],
)
def test_a_key_declared_twice_refuses_the_file_and_changes_nothing(
    catalog_project: Project, content: str, key: str, lines: list[int]
) -> None:
    (catalog_project.root / "datasets.yaml").write_text(PERSONAL)
    sync_catalog(catalog_project)
    (catalog_project.root / "datasets.yaml").write_text(content)
    with pytest.raises(InvalidInputError, match="declared twice") as caught:
        sync_catalog(catalog_project)
    assert caught.value.details == {"field": "path", "key": key, "lines": lines}
    where = f"line {lines[0]}" if lines[0] == lines[1] else f"lines {lines[0]} and {lines[1]}"
    assert f"datasets.yaml: {key!r} is declared twice in one mapping, on {where}" in str(
        caught.value.message
    )
    [kept] = list_datasets(catalog_project)
    assert (kept.spec.classification, kept.spec.purposes) == ("personal", ("billing",))


def test_a_merged_field_given_again_overrides_and_aliases_are_read_once(
    catalog_project: Project,
) -> None:
    """``<<: *defaults`` then the field itself is YAML's override, not a key written twice;
    a structure reached again through an alias is not a second declaration either."""
    (catalog_project.root / "datasets.yaml").write_text(
        "datasets:\n"
        "  base: &base {location: data/a.csv, classification: personal, purposes: &p [billing]}\n"
        "  copy: {<<: *base, location: data/b.csv}\n"
        "  same: {location: data/c.csv, purposes: *p}\n"
        "  open:\n"
        "    <<: *base\n"
        "    location: data/d.csv\n"
        "    classification: public\n"
        "    purposes: []\n"
    )
    assert sync_catalog(catalog_project).added == ["base", "copy", "same", "open"]
    assert get_dataset(catalog_project, "copy").spec.classification == "personal"
    assert get_dataset(catalog_project, "same").spec.purposes == ("billing",)
    assert get_dataset(catalog_project, "open").spec.classification == "public"
    # The whole declaration again, through an alias, is a second dataset at its location.
    with open(catalog_project.root / "datasets.yaml", "a") as file:
        file.write("  again: *base\n")
    with pytest.raises(InvalidInputError, match=r"'base' and 'again' are both at 'data/a\.csv'"):
        sync_catalog(catalog_project)


def test_two_datasets_at_one_location_refuse_the_file_and_change_nothing(
    catalog_project: Project,
) -> None:
    """Before, a second entry at a personal dataset's location, declared public, was synced."""
    (catalog_project.root / "datasets.yaml").write_text(PERSONAL)
    sync_catalog(catalog_project)
    (catalog_project.root / "datasets.yaml").write_text(
        PERSONAL + "  new: {location: data/new.csv}\n  zz_copy:\n    location: ./data/tx.csv\n"
        "    classification: public\n"
    )
    with pytest.raises(InvalidInputError) as caught:
        sync_catalog(catalog_project)
    assert caught.value.details == {"field": "location", "dataset": "zz_copy", "other": "s"}
    assert "datasets 's' and 'zz_copy' are both at 'data/tx.csv'" in caught.value.message
    assert [d.name for d in list_datasets(catalog_project)] == ["s"]

    # a store dataset the file does not declare keeps its location unless pruned
    add_dataset(catalog_project, dataset_spec(catalog_project, "local", {"location": "l.csv"}))
    (catalog_project.root / "datasets.yaml").write_text(
        PERSONAL + "  new: {location: data/new.csv}\n  public: {location: l.csv}\n"
    )
    with pytest.raises(ConflictError) as conflict:
        sync_catalog(catalog_project)
    assert (conflict.value.details["field"], conflict.value.details["dataset"]) == (
        "location",
        "local",
    )
    assert [d.name for d in list_datasets(catalog_project)] == ["local", "s"]  # nothing written
    report = sync_catalog(catalog_project, prune=True)
    assert (report.added, report.removed) == (["new", "public"], ["local"])


def test_datasets_may_trade_locations_in_one_sync(catalog_project: Project) -> None:
    """The file is written in one transaction: only the end state must hold one dataset at
    each location."""
    (catalog_project.root / "datasets.yaml").write_text(
        "datasets:\n  a: {location: data/a.csv}\n  b: {location: data/b.csv}\n"
    )
    sync_catalog(catalog_project)
    (catalog_project.root / "datasets.yaml").write_text(
        "datasets:\n  a: {location: data/b.csv}\n  b: {location: data/a.csv}\n"
    )
    assert sync_catalog(catalog_project).updated == ["a", "b"]
    assert [(d.name, d.spec.location) for d in list_datasets(catalog_project)] == [
        ("a", "data/b.csv"),
        ("b", "data/a.csv"),
    ]
