"""Hand-made distributions and kernel specs for environment snapshot tests.

A kernel spec whose ``env`` puts a temporary site directory on ``PYTHONPATH`` gives a real
interpreter with distributions the test controls (including broken ones).
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nbtools.envsnap.model import Distribution

EDITABLE = Distribution(
    "my-lib", "0.2", direct_url={"url": "file:///src/my-lib", "dir_info": {"editable": True}}
)
VCS = Distribution(
    "tool",
    "1.0",
    direct_url={
        "url": "https://github.com/o/tool",
        "vcs_info": {"vcs": "git", "commit_id": "abc123"},
    },
)
BROKEN = Distribution("cracked", "1.0", broken="METADATA is missing")


def write_dist(
    site: Path,
    name: str,
    version: str,
    *,
    metadata: str | bytes | None = None,
    direct_url: dict[str, Any] | None = None,
    top_level: list[str] | None = None,
    record: list[str] | None = None,
    wheel_tags: list[str] | None = None,
) -> Path:
    """A ``NAME-VERSION.dist-info`` directory as pip would write it."""
    path = site / f"{name.replace('-', '_')}-{version}.dist-info"
    path.mkdir(parents=True)
    if metadata is None:
        metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\nLong text.\n"
    if isinstance(metadata, str):
        metadata = metadata.encode()
    (path / "METADATA").write_bytes(metadata)
    (path / "INSTALLER").write_text("pip\n")
    tags = "".join(f"Tag: {tag}\n" for tag in wheel_tags or ["py3-none-any"])
    (path / "WHEEL").write_text(f"Wheel-Version: 1.0\nRoot-Is-Purelib: true\n{tags}")
    if direct_url is not None:
        (path / "direct_url.json").write_text(json.dumps(direct_url))
    if top_level is not None:
        (path / "top_level.txt").write_text("\n".join(top_level) + "\n")
    (path / "RECORD").write_text("\n".join(record or []) + "\n")
    return path


def edit_in_place(metadata: Path, old: bytes, new: bytes) -> None:
    """Rewrite ``old`` as ``new`` (as long) inside ``metadata``, in the same file (same inode
    and size), then set its times back as they were: an edit within the same second on a
    file system keeping whole seconds, or a copy keeping times (``cp -p``), looks so."""
    assert len(old) == len(new)
    before = metadata.stat()
    data = metadata.read_bytes()
    with metadata.open("r+b") as handle:  # not a new file: the folder is left as it was
        handle.write(data.replace(old, new))
    os.utime(metadata, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = metadata.stat()
    assert (after.st_ino, after.st_size, after.st_mtime_ns) == (
        before.st_ino,
        before.st_size,
        before.st_mtime_ns,
    )


@dataclass
class EnvKernel:
    """A kernel spec named ``name`` running this interpreter with ``site`` on its path."""

    name: str
    site: Path
    kernels: Path


def install_kernel(
    kernels: Path, site: Path, name: str = "envtest", python: str = sys.executable, **env: str
) -> EnvKernel:
    """Write a kernel spec into ``kernels`` (a ``kernels`` directory on the Jupyter path)."""
    spec_dir = kernels / name
    spec_dir.mkdir(parents=True, exist_ok=True)
    site.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": f"Env test {name}",
        "language": "python",
        "env": {"PYTHONPATH": str(site), **env},
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    return EnvKernel(name, site, kernels)


#: The ``python_version`` marker of the Python nbtools (and these tests) run on.
OURS = "{}.{}".format(*sys.version_info)
#: A Python other than the one nbtools runs on, where this machine has one (pyenv's builds).
OTHER_PYTHON = next(
    (
        python
        for version in ("3.12.1", "3.13.0", "3.10.13")
        if (python := Path.home() / ".pyenv" / "versions" / version / "bin" / "python").exists()
        and not version.startswith(f"{OURS}.")
    ),
    None,
)
