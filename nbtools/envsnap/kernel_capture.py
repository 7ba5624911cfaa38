"""Taking environment snapshots: the capture script run in a kernel's own interpreter.

:func:`snapshot_kernel` starts the capture process first, then imports and opens the store
while it runs: importing SQLAlchemy (≈ 0.2 s in a new ``nbtools env snapshot`` process) hides
the capture's ≈ 30 ms, so this module imports no SQLAlchemy (``snapshots`` does, when the
snapshot is stored).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import inspect
import json
import os
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from nbtools.envsnap import capture as capture_script
from nbtools.envsnap.capture import metadata_dirs
from nbtools.envsnap.kernels import (
    KernelSpec,
    find_kernel,
    interpreter_command,
    kernel_environment,
)
from nbtools.envsnap.model import MarkerEnvironment, Snapshot, distributions_from
from nbtools.errors import NbtoolsError
from nbtools.project import Project

CAPTURE_SCRIPT = Path(__file__).with_name("capture.py")

#: What the interpreter runs with ``-c`` (``_SOURCE`` and ``_DIGEST`` filled in by
#: :func:`capture_command`): the capture script's code object, from CACHE_DIR when a capture by
#: the same interpreter version (``sys.hexversion``) compiled this script before, else compiled
#: from its source, which the script then writes there (``CODE_FILE``). Compiling the script
#: was most of a cached capture's own time (docs/performance.md). Python 3.8 syntax, and only
#: the modules imported at start-up (see ``capture``). An interpreter older than
#: :data:`OLDEST_PYTHON` says its version and exits :data:`TOO_OLD` before reading the script
#: (Python 2 reads this much).
BOOTSTRAP = """\
import marshal, os, sys
if sys.version_info < _OLDEST:
    sys.stderr.write("%d.%d.%d" % tuple(sys.version_info[:3]))
    sys.exit(_TOO_OLD)
code = CODE_FILE = None
if len(sys.argv) > 1:
    CODE_FILE = os.path.join(
        sys.argv[1], "capture-%s-%x-_DIGEST.code" % (sys.implementation.name, sys.hexversion)
    )
    try:
        with open(CODE_FILE, "rb") as handle:
            code, CODE_FILE = marshal.load(handle), None
    except (OSError, EOFError, ValueError, TypeError):
        pass
if code is None:
    code = compile(_SOURCE, "<nbtools capture>", "exec")
exec(code, {"__name__": "__main__", "CODE_FILE": CODE_FILE})
"""

#: The oldest Python whose environment the capture script reads.
OLDEST_PYTHON = (3, 7)
#: The exit status of an interpreter older than :data:`OLDEST_PYTHON`.
TOO_OLD = 3

#: Seconds an interpreter may take to report its environment.
CAPTURE_TIMEOUT = 120


class CaptureError(NbtoolsError):
    """The kernel's interpreter could not report its environment."""


def cache_dir(project: Project) -> Path:
    """Where capture caches distribution listings, keyed on site-packages state."""
    return project.store_dir / "envcache"


class RunningCapture:
    """The capture script running in an interpreter (started by the constructor).

    Its report goes to a temporary file, not a pipe: a report larger than a pipe's buffer
    (64 KiB: a few hundred distributions) would otherwise hold the interpreter until this
    process reads it, so it would not finish while this process does other work.

    It runs in a new empty directory of its own (mode 0700, removed once it has reported):
    ``-c`` puts the working directory first on ``sys.path``, and the directory this process
    runs in (a server's, often the project root) may hold files a user wrote (a ``json.py``)
    that the script's imports would run. The interpreter may be any Python, so no option of
    a newer one (``-P``) can say it; ``-I`` would also hide the user's site-packages and
    ``PYTHONPATH``, which the snapshot records."""

    def __init__(
        self,
        command: Sequence[str],
        env: Mapping[str, str] | None = None,
        cache: Path | None = None,
    ) -> None:
        self.command = list(command)
        args = capture_command(command, cache)
        self.deadline = time.monotonic() + CAPTURE_TIMEOUT
        self.report = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115 (closed once read)
        self.directory = tempfile.mkdtemp(prefix="nbtools-capture-")
        try:
            self.process = subprocess.Popen(
                args,
                cwd=self.directory,
                env=dict(env) if env is not None else None,
                stdin=subprocess.DEVNULL,
                stdout=self.report,
                stderr=subprocess.PIPE,
                encoding="utf-8",
                errors="replace",
            )
        except OSError as exc:
            self._close()
            raise CaptureError(f"Cannot start {command[0]!r}: {exc.strerror}.") from None

    def document(self) -> dict[str, Any]:
        """Wait for the interpreter's report (at most :data:`CAPTURE_TIMEOUT` s from its start)."""
        command = self.command
        try:
            _, stderr = self.process.communicate(timeout=max(0.0, self.deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.cancel()
            raise CaptureError(
                f"{command[0]!r} did not report its environment within {CAPTURE_TIMEOUT} s."
            ) from None
        try:
            self.report.seek(0)
            stdout = self.report.read()  # ASCII JSON (capture.py writes it so)
        finally:
            self._close()
        version = stderr.strip()
        if self.process.returncode == TOO_OLD and version.replace(".", "").isdigit():
            oldest = ".".join(map(str, OLDEST_PYTHON))
            raise CaptureError(
                f"{command[0]} runs Python {version}; environment snapshots need Python "
                f"{oldest} or later. Snapshot a kernel with a newer Python.",
                command=command,
            )
        if self.process.returncode != 0:
            tail = "\n".join(stderr.strip().splitlines()[-5:])
            raise CaptureError(
                f"{' '.join(command)} failed to report its environment "
                f"(exit {self.process.returncode}): {tail}",
                command=command,
            )
        try:
            document: dict[str, Any] = json.loads(stdout)
        except json.JSONDecodeError as exc:
            raise CaptureError(
                f"{' '.join(command)} printed something other than the environment: {exc.msg}."
            ) from None
        return document

    def cancel(self) -> None:
        """Stop the interpreter, if it still runs, and reap it."""
        self.process.kill()
        self.process.communicate()
        self._close()

    def _close(self) -> None:
        """Close the report and remove the directory (the interpreter has ended)."""
        self.report.close()
        with contextlib.suppress(OSError):  # something it started wrote there: left alone
            os.rmdir(self.directory)


def capture_command(command: Sequence[str], cache: Path | None = None) -> list[str]:
    """The command line that runs the capture script with interpreter ``command`` (its cache
    in directory ``cache``, if given)."""
    return [*command, "-c", _bootstrap(), *([str(cache)] if cache is not None else [])]


@functools.cache
def _bootstrap() -> str:
    source = CAPTURE_SCRIPT.read_text(encoding="utf-8")
    digest = hashlib.sha256(source.encode()).hexdigest()[:16]
    return (
        BOOTSTRAP.replace("_DIGEST", digest)
        .replace("_TOO_OLD", str(TOO_OLD))
        .replace("_OLDEST", repr(OLDEST_PYTHON))
        .replace("_SOURCE", ascii(source))  # a command line in any locale's encoding
    )


def capture_interpreter(
    command: Sequence[str], env: Mapping[str, str] | None = None, cache: Path | None = None
) -> dict[str, Any]:
    """Run the capture script with ``command`` (an interpreter) and return its document."""
    return RunningCapture(command, env, cache).document()


def interpreter_markers(python: str) -> MarkerEnvironment | None:
    """The PEP 508 marker environment interpreter ``python`` reports (the capture script's
    :func:`~nbtools.envsnap.capture.marker_environment`, as a kernel's capture reports it),
    to read a file for it; None when it reports none (no interpreter that runs, or one too
    old: the caller refuses it, naming it)."""
    source = "\n".join(
        [
            "import json, os, sys",
            f"_IMPLEMENTATIONS = {capture_script._IMPLEMENTATIONS!r}",
            inspect.getsource(capture_script.marker_environment),
            "print(json.dumps(marker_environment(getattr(os, 'uname', lambda: None)())))",
        ]
    )
    try:
        done = subprocess.run(
            [python, "-c", source], capture_output=True, timeout=CAPTURE_TIMEOUT, check=False
        )
        markers = json.loads(done.stdout) if done.returncode == 0 else None
    except (OSError, subprocess.TimeoutExpired, ValueError):
        return None
    if not isinstance(markers, dict):
        return None
    return {str(name): str(value) for name, value in markers.items()}


def snapshot_from_document(
    document: Mapping[str, Any], kernel: KernelSpec | None = None, origin: str = ""
) -> Snapshot:
    """A snapshot of what the capture script reported."""
    return Snapshot(
        source="kernel",
        origin=kernel.name if kernel else origin,
        python=document["python"],
        platform=document["platform"],
        kernel=kernel.to_dict() if kernel else None,
        conda_env=document.get("conda_env"),
        environment=document.get("environment") or {},
        distributions=distributions_from(document["distributions"]),
    )


class _Captured(NamedTuple):
    """A capture this process made: the path entries it saw (and those absent then), their
    state, and the snapshot."""

    paths: list[str]
    absent: list[str]
    stamps: list[list[object]]
    snapshot: Snapshot

    def still_current(self) -> bool:
        return _stamps(self.paths) == self.stamps and not any(map(os.path.isdir, self.absent))


#: The last capture of each interpreter and environment, in this process (see KernelCapture).
_captured: dict[tuple[object, ...], _Captured] = {}
_captured_lock = threading.Lock()


class KernelCapture:
    """The environment of kernel ``kernel_name``, being captured in its own interpreter.

    A process that captures the same interpreter again (a worker records every run's
    environment) checks first, in process, whether anything was installed, removed or
    upgraded since its last capture: the stat of the interpreter's path entries, of each
    distribution's metadata directory and of its METADATA file (the key of the capture
    script's own cache), and that no path entry absent then exists now. Unchanged, the last snapshot
    is the answer and no interpreter is started.
    """

    def __init__(self, project: Project, kernel_name: str) -> None:
        self.spec = find_kernel(kernel_name)
        command, env = interpreter_command(self.spec), kernel_environment(self.spec)
        self.key = (self.spec.name, *command, *sorted((env or {}).items()))
        with _captured_lock:
            last = _captured.get(self.key)
        self.known = last.snapshot if last is not None and last.still_current() else None
        self.running = (
            None if self.known is not None else RunningCapture(command, env, cache_dir(project))
        )

    def snapshot(self) -> Snapshot:
        """The captured snapshot (not stored), once the interpreter has reported it."""
        if self.running is None:
            assert self.known is not None
            return self.known
        document = self.running.document()
        snapshot = snapshot_from_document(document, self.spec)
        paths = [str(entry) for entry in document.get("paths") or []]
        absent = [str(entry) for entry in document.get("absent_paths") or []]
        stamps = _stamps(paths)
        if stamps is not None and "absent_paths" in document:
            with _captured_lock:
                _captured[self.key] = _Captured(paths, absent, stamps, snapshot)
        return snapshot

    def cancel(self) -> None:
        """Stop the capture, if one runs."""
        if self.running is not None:
            self.running.cancel()


def _stamps(paths: list[str]) -> list[list[object]] | None:
    """The cache key of ``paths`` now, or None if one of them cannot be read any more."""
    try:
        return metadata_dirs(paths)[0]
    except OSError:
        return None


def snapshot_kernel(project: Project, kernel_name: str) -> Snapshot:
    """Capture kernel ``kernel_name``'s environment and store it; ``.id`` names it.

    The store is imported and opened while the kernel's interpreter reports."""
    capture = KernelCapture(project, kernel_name)
    try:
        from nbtools.envsnap.snapshots import save_snapshot

        project.store  # noqa: B018 (opened now, while the capture runs)
    except BaseException:
        capture.cancel()
        raise
    return save_snapshot(project, capture.snapshot())
