from __future__ import annotations

from nbtools.envsnap.diff import diff
from nbtools.envsnap.model import Distribution, Snapshot

PY311 = {"version": "3.11.7", "implementation": "cpython"}
LINUX = {"system": "linux", "machine": "x86_64"}


def env(*dists: Distribution, python: dict[str, str] | None = None) -> Snapshot:
    return Snapshot("kernel", "k", dists, python=python or PY311, platform=LINUX)


def test_identical_content_has_the_same_id_whatever_the_order_or_installer() -> None:
    a = env(Distribution("A", "1"), Distribution("b", "2", installer="pip"))
    b = env(Distribution("b", "2", installer="uv"), Distribution("a", "1"))
    assert a.id == b.id
    assert diff(a, b).empty
    assert diff(a, b).summary() == "no differences"


def test_every_kind_of_change() -> None:
    old = env(
        Distribution("kept", "1.0"),
        Distribution("gone", "0.1"),
        Distribution("up", "1.0"),
        Distribution("down", "2.0"),
        Distribution(
            "local", "1.0", direct_url={"url": "file:///a", "dir_info": {"editable": True}}
        ),
        Distribution("weird", "abc"),
    )
    new = env(
        Distribution("kept", "1.0"),
        Distribution("new-one", "3.0"),
        Distribution("up", "1.10"),
        Distribution("down", "1.9"),
        Distribution("local", "1.0"),
        Distribution("weird", "xyz"),
        python={"version": "3.12.1", "implementation": "cpython"},
    )
    changes = diff(old, new)
    assert not changes.empty
    assert changes.python == ("3.11.7", "3.12.1")
    assert changes.lines() == [
        "~ Python 3.11.7 -> 3.12.1",
        "+ new-one 3.0",
        "- gone 0.1",
        "~ up 1.0 -> 1.10 (upgraded)",
        "~ down 2.0 -> 1.9 (downgraded)",
        "~ local 1.0 -> 1.0 (changed): editable /a -> index",
        "~ weird abc -> xyz (changed)",
    ]
    assert changes.summary() == (
        "Python 3.11.7 -> 3.12.1; 1 added, 1 removed, 1 upgraded, 1 downgraded, 2 changed"
    )
    assert changes.to_dict()["changes"][0] == {
        "name": "new-one",
        "kind": "added",
        "old": None,
        "new": "3.0",
        "detail": "",
    }


def test_broken_metadata_counts_as_a_change() -> None:
    old = env(Distribution("x", "1.0"))
    new = env(Distribution("x", "1.0", broken="METADATA is missing"))
    assert diff(old, new).lines() == [
        "~ x 1.0 -> 1.0 (changed): metadata broken: METADATA is missing"
    ]


def test_facts_missing_on_one_side_are_not_compared() -> None:
    imported = Snapshot("requirements", "r.txt", (Distribution("x", "1.0"),))
    assert diff(imported, env(Distribution("x", "1.0"))).empty
