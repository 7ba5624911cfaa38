"""Kernel specs: which kernels exist, and the Python interpreter (and environment) each runs.

The kernel spec directories (:func:`nbtools.kernels.kernel_dirs`, those runs start kernels
from) are read directly instead of importing jupyter_client, which costs ~0.1 s.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from typing import Any

from nbtools.envsnap.capture import safe_value
from nbtools.errors import InvalidInputError, NotFoundError
from nbtools.kernels import kernel_dirs

#: The kernel ipykernel provides when no spec of that name is installed.
NATIVE_KERNEL = "python3"

#: Interpreter names jupyter_client replaces with its own ``sys.executable``.
_SELF_PYTHON = {"python", f"python{sys.version_info[0]}", "python{}.{}".format(*sys.version_info)}


@dataclass(frozen=True)
class KernelSpec:
    """The parts of a kernel spec environment capture needs."""

    name: str
    display_name: str
    language: str
    argv: tuple[str, ...]
    env: dict[str, str] = field(default_factory=dict)
    resource_dir: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The spec as recorded in a snapshot: secret-looking env values redacted."""
        return {
            "name": self.name,
            "display_name": self.display_name,
            "language": self.language,
            "argv": list(self.argv),
            "env": {name: safe_value(name, value) for name, value in sorted(self.env.items())},
        }


def _read_spec(name: str, directory: Path) -> KernelSpec | None:
    try:
        data = json.loads((directory / "kernel.json").read_text(encoding="utf-8"))
        return KernelSpec(
            name=name,
            display_name=str(data.get("display_name", name)),
            language=str(data.get("language", "")),
            argv=tuple(str(arg) for arg in data["argv"]),
            env={str(k): str(v) for k, v in (data.get("env") or {}).items()},
            resource_dir=str(directory),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None  # not a kernel spec (Jupyter skips these as well)


def list_kernels() -> list[KernelSpec]:
    """Every installed kernel spec, by name (the first directory holding a name wins)."""
    found: dict[str, KernelSpec] = {}
    for directory in kernel_dirs():
        if not directory.is_dir():
            continue
        for child in sorted(directory.iterdir()):
            name = child.name.lower()
            if name not in found and (spec := _read_spec(name, child)) is not None:
                found[name] = spec
    if NATIVE_KERNEL not in found and importlib.util.find_spec("ipykernel") is not None:
        found[NATIVE_KERNEL] = KernelSpec(
            name=NATIVE_KERNEL,
            display_name="Python 3 (ipykernel)",
            language="python",
            argv=(sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"),
        )
    return sorted(found.values(), key=lambda spec: spec.name)


def find_kernel(name: str) -> KernelSpec:
    """The kernel spec called ``name``, or an error listing the installed ones."""
    kernels = list_kernels()
    for spec in kernels:
        if spec.name == name.lower():
            return spec
    names = ", ".join(spec.name for spec in kernels) or "none"
    raise NotFoundError(
        f"No kernel named {name!r}. Installed kernels: {names}. "
        "Choose one of them, or install one (python -m ipykernel install --user).",
        field="kernel",
        kernel=name,
        kernels=[spec.name for spec in kernels],
    )


def interpreter_command(spec: KernelSpec) -> list[str]:
    """The start of the kernel's command line that runs its Python interpreter.

    Everything before ``-m ipykernel…`` is kept, so wrappers such as ``conda run -n ENV python``
    are honoured. A bare ``python`` is the server's own interpreter, as in jupyter_client.
    """
    if spec.language.lower() != "python":
        raise InvalidInputError(
            f"Kernel {spec.name!r} runs {spec.language or 'an unknown language'}, not Python: "
            "environment snapshots capture Python kernels only.",
            kernel=spec.name,
        )
    argv = list(spec.argv)
    starts = [i for i, arg in enumerate(argv[:-1]) if arg == "-m" and "ipykernel" in argv[i + 1]]
    if starts:
        command = argv[: starts[0]]
    elif argv and Path(argv[0]).name.startswith("python"):
        command = argv[:1]
    else:
        command = []
    if not command:
        raise InvalidInputError(
            f"Cannot tell which Python interpreter kernel {spec.name!r} runs: its argv is "
            f"{spec.argv}. Expected '<python> -m ipykernel_launcher ...'.",
            kernel=spec.name,
        )
    if command[0] in _SELF_PYTHON:
        command[0] = sys.executable
    if shutil.which(command[0]) is None:
        raise InvalidInputError(
            f"Kernel {spec.name!r} runs {command[0]!r}, which does not exist or is not "
            f"executable. Reinstall the kernel spec in {spec.resource_dir or 'its directory'}.",
            kernel=spec.name,
        )
    return command


def kernel_environment(spec: KernelSpec) -> dict[str, str]:
    """The process environment the kernel would get: ours plus its spec's ``env``."""
    environ = dict(os.environ)
    for name, value in spec.env.items():
        environ[name] = Template(value).safe_substitute(environ)
    return environ
