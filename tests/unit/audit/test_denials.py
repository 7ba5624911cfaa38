"""A refusal is entered at most once a minute for the same user, permission and route
(``nbtools.audit.denials``): the first always, the identical ones after it within the minute
not at all, another user's, permission's or route's as its own first; two at once, once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from threading import Barrier

from nbtools import audit
from nbtools.audit.denials import DENIAL_WINDOW, record_denial
from nbtools.project import Project
from nbtools.store.base import utcnow

ROUTE = "GET /nbtools/api/jobs"


def denials(project: Project) -> list[tuple[str, str, str]]:
    return [
        (e.actor, e.target, e.summary["permission"])
        for e in reversed(audit.list_entries(project, action="access.deny"))
    ]


def test_an_identical_denial_within_the_minute_is_not_entered(any_project: Project) -> None:
    store = any_project.store
    first = utcnow()
    assert record_denial(store, "bob", ROUTE, "read", now=first)
    assert not record_denial(store, "bob", ROUTE, "read", now=first + timedelta(seconds=30))
    assert not record_denial(store, "bob", ROUTE, "read", now=first + DENIAL_WINDOW / 2)
    # each of another user, permission or route is its own first
    assert record_denial(store, "carol", ROUTE, "read", now=first + timedelta(seconds=31))
    assert record_denial(store, "bob", ROUTE, "admin", now=first + timedelta(seconds=32))
    assert record_denial(store, "bob", "GET /nbtools/api/runs", "read", now=first)
    # a minute after the entered one (not after the ones left out), entered again
    assert record_denial(store, "bob", ROUTE, "read", now=first + DENIAL_WINDOW)

    assert denials(any_project) == [
        ("bob", ROUTE, "read"),
        ("carol", ROUTE, "read"),
        ("bob", ROUTE, "admin"),
        ("bob", "GET /nbtools/api/runs", "read"),
        ("bob", ROUTE, "read"),
    ]


def test_two_denials_at_once_are_entered_once(any_project: Project) -> None:
    together = Barrier(2)

    def refuse(actor: str) -> bool:
        together.wait()
        return record_denial(any_project.store, actor, ROUTE, "read")

    for round_ in range(5):
        actor = f"user{round_}"
        with ThreadPoolExecutor(2) as pool:
            entered = list(pool.map(refuse, [actor, actor]))
        assert sorted(entered) == [False, True]
    assert denials(any_project) == [(f"user{n}", ROUTE, "read") for n in range(5)]
