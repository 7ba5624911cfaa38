"""Kernel specs: which kernels exist, and the Python interpreter (and environment) each runs.

The kernel spec directories (:func:`nbtools.kernels.kernel_dirs`, those runs start kernels
from) are read directly instead of importing jupyter_client, which costs ~0.1 s.
"""

from __future__ import annotations

import contextlib
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


def _kernel_files() -> dict[str, Path]:
    """Each kernel name → its ``kernel.json``: the first kernel directory holding a folder of
    that name with a ``kernel.json`` wins, valid or not (as in jupyter_client, whose runs
    would fail on an invalid one rather than take another)."""
    found: dict[str, Path] = {}
    for directory in kernel_dirs():
        if not directory.is_dir():
            continue
        for child in sorted(directory.iterdir()):
            name = child.name.lower()
            if name not in found and (child / "kernel.json").is_file():
                found[name] = child / "kernel.json"
    return found


def _read_spec(name: str, path: Path) -> KernelSpec:
    """Kernel ``name``'s spec from its ``kernel.json`` at ``path``, or an error naming the file
    and what is wrong with it."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise _invalid(name, path, f"it cannot be read ({error.strerror})") from None
    except UnicodeDecodeError:
        raise _invalid(name, path, "it is not UTF-8 text") from None
    except json.JSONDecodeError as error:
        where = f"line {error.lineno}, column {error.colno}"
        raise _invalid(name, path, f"it is not valid JSON ({where}: {error.msg})") from None
    except RecursionError:
        raise _invalid(name, path, "its JSON is nested too deeply") from None
    if not isinstance(data, dict):
        raise _invalid(name, path, "it is not a JSON object")
    argv = data.get("argv")
    if not isinstance(argv, list) or not all(isinstance(arg, str) for arg in argv) or not argv:
        problem = (
            "it has no argv"
            if argv is None
            else "argv is empty"
            if argv == []
            else "argv is not a list of strings"
        )
        raise _invalid(name, path, f"{problem} (the command line that starts the kernel)")
    for key in ("display_name", "language"):
        if not isinstance(data.get(key, ""), str):
            raise _invalid(name, path, f"{key} is not a string")
    env = data.get("env") or {}
    if not isinstance(env, dict) or not all(isinstance(value, str) for value in env.values()):
        raise _invalid(name, path, "env is not an object whose values are strings")
    return KernelSpec(
        name=name,
        display_name=data.get("display_name", name),
        language=data.get("language", ""),
        argv=tuple(argv),
        env=env,
        resource_dir=str(path.parent),
    )


def _invalid(name: str, path: Path, problem: str) -> InvalidInputError:
    return InvalidInputError(
        f"Kernel {name!r} has an invalid spec file, {path}: {problem}. Fix the file, or "
        f"install the kernel again (python -m ipykernel install --user --name {name}).",
        field="kernel",
        kernel=name,
        path=str(path),
    )


def _native_kernel() -> KernelSpec | None:
    """ipykernel's own kernel, as this interpreter runs it (None without ipykernel)."""
    if importlib.util.find_spec("ipykernel") is None:
        return None
    return KernelSpec(
        name=NATIVE_KERNEL,
        display_name="Python 3 (ipykernel)",
        language="python",
        argv=(sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"),
    )


def list_kernels() -> list[KernelSpec]:
    """Every usable kernel spec, by name (one whose spec file is invalid is left out, as
    Jupyter leaves it out of its list)."""
    files = _kernel_files()
    found = []
    for name, path in files.items():
        with contextlib.suppress(InvalidInputError):
            found.append(_read_spec(name, path))
    if NATIVE_KERNEL not in files and (native := _native_kernel()) is not None:
        found.append(native)
    return sorted(found, key=lambda spec: spec.name)


def find_kernel(name: str) -> KernelSpec:
    """The kernel spec called ``name``; an error naming its spec file if that is invalid, or
    listing the installed kernels if there is none."""
    key = name.lower()
    files = _kernel_files()
    if key in files:
        return _read_spec(key, files[key])
    if key == NATIVE_KERNEL and (native := _native_kernel()) is not None:
        return native
    kernels = list_kernels()
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
            field="kernel",
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
            field="kernel",
            kernel=spec.name,
        )
    if command[0] in _SELF_PYTHON:
        command[0] = sys.executable
    if shutil.which(command[0]) is None:
        raise InvalidInputError(
            f"Kernel {spec.name!r} runs {command[0]!r}, which does not exist or is not "
            f"executable. Reinstall the kernel spec in {spec.resource_dir or 'its directory'}.",
            field="kernel",
            kernel=spec.name,
        )
    return command


def kernel_environment(spec: KernelSpec) -> dict[str, str]:
    """The process environment the kernel would get: ours plus its spec's ``env``."""
    environ = dict(os.environ)
    for name, value in spec.env.items():
        environ[name] = Template(value).safe_substitute(environ)
    return environ
