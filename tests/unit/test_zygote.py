"""Which kernels the zygote forks, and how it notices its imports changed on disk."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from nbtools.zygote import PER_KERNEL, fingerprint, qualifies

LAUNCHER = [sys.executable, "-m", "ipykernel_launcher", "-f", "/tmp/kernel.json"]


def test_the_default_kernel_of_this_interpreter_in_the_workers_environment_qualifies() -> None:
    per_kernel = dict.fromkeys(PER_KERNEL, "set for this kernel only")
    assert qualifies("python3", LAUNCHER, {**os.environ, **per_kernel})


@pytest.mark.parametrize(
    ("name", "argv"),
    [
        ("python3-other", LAUNCHER),
        ("python3", ["/usr/bin/env", *LAUNCHER[1:]]),
        ("python3", [sys.executable, "-m", "some_other_kernel", "-f", "/tmp/kernel.json"]),
        ("python3", [sys.executable, "-m"]),
        ("python3", ["no-such-interpreter", *LAUNCHER[1:]]),
    ],
)
def test_other_kernels_and_interpreters_start_normally(name: str, argv: list[str]) -> None:
    assert not qualifies(name, argv, dict(os.environ))


def test_a_run_environment_unlike_the_workers_starts_normally() -> None:
    assert not qualifies("python3", LAUNCHER, {**os.environ, "PYTHONPATH": "/elsewhere"})
    missing = dict(os.environ)
    missing.pop("PATH")
    assert not qualifies("python3", LAUNCHER, missing)


def test_the_fingerprint_changes_when_a_package_is_replaced_on_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "nbtools_fake_kernel_dependency"
    package.mkdir()
    (package / "__init__.py").write_text("VERSION = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    before = fingerprint(["nbtools_fake_kernel_dependency", "nbtools_absent_package"])
    assert [entry[0] for entry in before] == ["nbtools_fake_kernel_dependency"]
    assert fingerprint(["nbtools_fake_kernel_dependency"]) == before
    upgraded = package / "__init__.py.new"  # as an installer does: a new file in its place
    upgraded.write_text("VERSION = 2\n")
    upgraded.replace(package / "__init__.py")
    assert fingerprint(["nbtools_fake_kernel_dependency"]) != before
