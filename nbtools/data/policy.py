"""The usage rule: a dataset is used only for the purposes it allows.

- A ``personal`` or ``sensitive`` dataset needs the job (or run) to have a purpose, and that
  purpose must be one of the dataset's allowed purposes (none listed: no use is allowed).
- Any dataset that lists allowed purposes refuses a job whose purpose is another one.
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
    listed = ", ".join(allowed) if allowed else "none"
    if classification in PROTECTED and purpose is None:
        return (
            f"Dataset {name!r} is {classification} data: using it needs a purpose "
            f"(allowed purposes: {listed}); give the run, job or package one."
        )
    if purpose is not None and (allowed or classification in PROTECTED) and purpose not in allowed:
        return (
            f"Dataset {name!r} ({classification}) may not be used for the purpose {purpose!r}: "
            f"its allowed purposes are {listed}. Use another dataset, or ask its owner to "
            "allow this purpose."
        )
    return None
