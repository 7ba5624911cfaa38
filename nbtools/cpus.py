"""The CPUs this process may run on: how many processes are worth starting at once."""

from __future__ import annotations

import os

from nbtools.errors import InvalidInputError


def available_cpus() -> int:
    """The CPUs this process may run on (its affinity, where the system has one), at least 1."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def most_per_cpu(per_cpu: int) -> int:
    """``per_cpu`` processes for each CPU this process may run on: the most processes of a
    kind worth starting (a number such as 100000 would start them until the machine failed)."""
    return per_cpu * available_cpus()


def check_per_cpu(count: int, per_cpu: int, *, least: int, name: str, field: str) -> None:
    """Refuse ``count`` processes below ``least`` or over :func:`most_per_cpu`: an
    InvalidInputError naming ``field``, its message the setting as ``name`` says it."""
    most = most_per_cpu(per_cpu)
    if not least <= count <= most:
        raise InvalidInputError(
            f"{name} must be from {least} to {most} ({per_cpu} for each of the "
            f"{available_cpus()} CPUs this process may run on), not {count}.",
            field=field,
        )
