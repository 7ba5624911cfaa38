"""The usage rule: a dataset is used only for the purposes it allows.

- A ``personal`` or ``sensitive`` dataset needs the job (or run) to have a purpose, and that
  purpose must be one of the dataset's allowed purposes (none listed: no use is allowed).
- Any dataset that lists allowed purposes may be used only for one of them: a job with
  another purpose, or with none, is refused.
- A ``public`` or ``internal`` dataset listing no purposes may be used by any job.

Standard library only: the kernel's :func:`nbtools.data.path` applies the same rule.
"""

from __future__ import annotations

from collections.abc import Sequence

PROTECTED = ("personal", "sensitive")


def refusal(
    name: str, classification: str, allowed: Sequence[str], purpose: str | None
) -> str | None:
    """Why a use of dataset ``name`` for ``purpose`` is refused, or ``None`` when allowed."""
    if not allowed and classification not in PROTECTED:
        return None
    listed = ", ".join(allowed) if allowed else "none"
    if purpose is None:
        why = (
            f"is {classification} data"
            if classification in PROTECTED
            else f"({classification}) may be used only for the purposes it lists"
        )
        return (
            f"Dataset {name!r} {why}: using it needs a purpose (allowed purposes: {listed}); "
            "give the run, job or extraction one, or set $NBTOOLS_PURPOSE where "
            "the code runs (a served package, a script)."
        )
    if purpose not in allowed:
        return (
            f"Dataset {name!r} ({classification}) may not be used for the purpose {purpose!r}: "
            f"its allowed purposes are {listed}. Use another dataset, or ask its owner to "
            "allow this purpose."
        )
    return None
