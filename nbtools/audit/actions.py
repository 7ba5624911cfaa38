"""The actions the audit trail records (``docs/governance.md`` describes each), and the check
of an action filter: one of them, or a family of them (``job.*``)."""

from __future__ import annotations

import difflib

from nbtools.errors import InvalidInputError

#: Every action an entry may have: ``record`` appends no other.
ACTIONS = frozenset(
    {
        "dataset.add",
        "dataset.edit",
        "dataset.remove",
        "dataset.purge",
        "policy.refuse",
        "access.deny",
        "job.create",
        "job.edit",
        "job.pause",
        "job.resume",
        "job.archive",
        "job.delete",
        "run.submit",
        "run.rerun",
        "run.cancel",
        "version.restore",
        "version.gc",
        "env.recreate",
        "service.start",
        "service.call",
        "service.stop",
        "rule.add",
        "rule.remove",
        "alert.ack",
        "notify.add",
        "notify.remove",
        "notify.retry",
        "runs.prune",
        "store.copy",
    }
)

#: The families of actions (``job.*``: every ``job.`` action).
FAMILIES = frozenset(action.split(".")[0] + ".*" for action in ACTIONS)


def checked_filter(action: str) -> str:
    """``action`` if it is an action or a family of them; else an :class:`InvalidInputError`
    naming the field ``action`` and listing both (a typo such as ``job.created`` matches no
    entry, which a filter must not hide)."""
    if action in ACTIONS or action in FAMILIES:
        return action
    close = difflib.get_close_matches(action, sorted(ACTIONS | FAMILIES), n=1)
    hint = f"Did you mean {close[0]}? " if close else ""
    raise InvalidInputError(
        f"action {action!r:.60} is not an action of the audit trail. {hint}Actions: "
        f"{', '.join(sorted(ACTIONS))}; or a family of them: {', '.join(sorted(FAMILIES))}.",
        field="action",
        actions=sorted(ACTIONS),
        families=sorted(FAMILIES),
    )
