"""Running a served package with uvicorn: dependency check, settings hand-over, exit codes.

The settings reach uvicorn's worker processes through ``$NBTOOLS_SERVE_*`` (each worker
builds its app from them), so ``--workers N`` needs no other channel; so does the purpose the
service uses data for (``$NBTOOLS_PURPOSE``, else the one the package was extracted for).

A stop asked for (SIGTERM, SIGINT, or the end of standard input with ``stop_on_eof``) is
graceful, with one or several workers: the requests in flight are answered (those still
running at the shutdown timeout are cut, and counted), the workers end, a line on standard
error says so, and the exit code is 0, as supervisors (systemd, Docker, Kubernetes) expect
of a service they stopped. SIGHUP restarts the workers of ``--workers N`` one by one
(uvicorn's supervisor) and is ignored, said in the log, by one worker.
"""

from __future__ import annotations

import contextlib
import errno
import importlib.util
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from pathlib import Path
from types import FrameType
from typing import Any

from nbtools.config import PURPOSE_VARIABLE
from nbtools.cpus import check_per_cpu
from nbtools.errors import InvalidInputError, NbtoolsError, PolicyRefusedError
from nbtools.exiting import exit_now
from nbtools.processes import signal_handlers
from nbtools.serve.config import WORKERS_PER_CPU, ServeSettings, api_key
from nbtools.settings import environment_variable
from nbtools.unused_imports import allow_unused_imports

#: What serving needs besides the package's own dependencies (import name → requirement).
SERVE_REQUIREMENTS = {
    "fastapi": "fastapi",
    "uvicorn": "uvicorn",
    "prometheus_client": "prometheus-client",
    "swagger_ui_bundle": "swagger-ui-bundle-v2",
}


#: What uvicorn runs on when they are installed (its "auto" choice) instead of asyncio's own
#: loop and the pure-Python h11 parser: about 1.4 times the requests per second (docs/serving.md).
FAST_STACK = {"uvloop": "uvloop", "httptools": "httptools"}

log = logging.getLogger("nbtools.serve")

#: Host names that listen on this machine only.
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
#: What to do about a host that cannot be listened on.
CHOOSE_HOST = (
    "Choose a name or address of this machine as the host (127.0.0.1: this machine only; "
    "0.0.0.0: every interface)."
)
#: The signals that stop the service gracefully (exit 0).
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
#: The signal that restarts the workers of ``--workers N`` (uvicorn's supervisor), ignored by
#: one worker (:meth:`Stop.hang_up`); none on Windows.
HANGUP = getattr(signal, "SIGHUP", None)
#: The listening socket's queue of connections not accepted yet: uvicorn's own (it sets it
#: again when it serves), holding those made while the service starts.
BACKLOG = 2048

SignalHandler = Callable[[int, FrameType | None], Any]
#: How long a stopped service waits for its threads to end before it ends without them.
THREADS_GRACE_SECONDS = 1.0


class MissingDependenciesError(NbtoolsError):
    """The package cannot be imported here: some of its dependencies are not installed."""


def missing_requirements(requirements: Mapping[str, str]) -> list[str]:
    """The requirements (``{import name: requirement}``) whose module cannot be found."""
    missing = []
    for module, requirement in sorted(requirements.items()):
        if importlib.util.find_spec(module.split(".")[0]) is None:
            missing.append(requirement)
    return missing


def check_requirements(requirements: Mapping[str, str], package: str) -> None:
    """Raise, naming each missing requirement and the command installing them."""
    missing = missing_requirements({**SERVE_REQUIREMENTS, **requirements})
    if missing:
        quoted = " ".join(f"'{item}'" for item in missing)
        raise MissingDependenciesError(
            f"{package} cannot be served here: missing {', '.join(missing)}. Install them "
            f"(pip install {quoted}) or the package with its extra (pip install '.[serve]').",
            missing=missing,
        )


def hand_over(settings: ServeSettings, environ: MutableMapping[str, str]) -> None:
    """Put ``settings`` into ``environ`` as ``$NBTOOLS_SERVE_*`` for the worker processes."""
    for name in settings.trait_names(config=True):
        value = getattr(settings, name)
        variable = environment_variable(ServeSettings, name)
        if value in ("", None):
            environ.pop(variable, None)
        else:
            environ[variable] = str(value)


def serve(
    package: str,
    *,
    app_dir: Path | None,
    host: str,
    port: int,
    workers: int,
    settings: ServeSettings,
    requirements: Mapping[str, str] | None = None,
    stop_on_eof: bool = False,
    purpose: str | None = None,
) -> int:
    """Serve ``package`` (importable, or under ``app_dir``) until stopped; the exit code.
    ``purpose``: the one the package was extracted for (its manifest's), served for unless
    ``$NBTOOLS_PURPOSE`` is set (:func:`serve_for`).

    With ``stop_on_eof`` the service stops (gracefully, its workers with it) when its standard
    input ends: whoever started it and held the other end of that pipe is gone, even if it was
    killed outright (a Jupyter server's previews use this, so none outlives the server).
    """
    check_per_cpu(workers, WORKERS_PER_CPU, least=1, name="workers", field="workers")
    keyed = bool(api_key(settings, os.environ))  # refused here, not in every worker
    allow_unused_imports()  # the package's own code may need them
    check_requirements(requirements or {}, package)
    if settings.record_to:  # its driver's package too (the setting's check knows its name)
        from nbtools.store.database import create_store_engine

        create_store_engine(settings.record_to).dispose()
    if not _has_service(package, app_dir):
        raise InvalidInputError(
            f"{package} has no service module: mark a function with '#| serve' (or tag a cell "
            "'serve') and extract again.",
            package=package,
        )
    settings.freeze_gc = True  # the service is alone in its processes
    hand_over(settings, os.environ)
    configure_logging()
    if app_dir is not None:
        sys.path.insert(0, str(app_dir))  # spawned workers inherit the import path
    with stop_signals() as stop:
        listening = listen(host, port)
        if host not in LOOPBACK and not keyed:
            log.warning(
                "serving on %s without an API key: anyone who can reach port %d can call it",
                host,
                listening.getsockname()[1],
            )
        app = f"{package}.service:app"
        return _run(
            app,
            listening,
            host,
            workers,
            stop,
            stop_on_eof=stop_on_eof,
            purpose=purpose,
            shutdown_seconds=settings.shutdown_timeout_seconds,
        )


def serve_for(extracted_for: str | None, environ: MutableMapping[str, str]) -> None:
    """Serve for ``$NBTOOLS_PURPOSE``, else for ``extracted_for``, the purpose the package was
    extracted for, put into ``environ`` (the workers, and the package's module-level code,
    read it there); say which at start-up. An empty variable is not set, as for
    ``nbtools.data``."""
    given = environ.get(PURPOSE_VARIABLE) or None
    if given is None and extracted_for:
        environ[PURPOSE_VARIABLE] = extracted_for
        log.info(
            "serving for the purpose %r, the one the package was extracted for ($%s is not set)",
            extracted_for,
            PURPOSE_VARIABLE,
        )
    elif given is not None and extracted_for and given != extracted_for:
        log.warning(
            "serving for the purpose %r of $%s, not %r, the one the package was extracted for",
            given,
            PURPOSE_VARIABLE,
            extracted_for,
        )
    elif given is not None:
        log.info("serving for the purpose %r ($%s)", given, PURPOSE_VARIABLE)
    else:
        log.info(
            "serving without a purpose: its calls are refused data that needs one (extract "
            "the package with --purpose, or set $%s)",
            PURPOSE_VARIABLE,
        )


def _run(
    app: str,
    listening: socket.socket,
    host: str,
    workers: int,
    stop: Stop,
    *,
    stop_on_eof: bool,
    purpose: str | None,
    shutdown_seconds: float,
) -> int:
    """Run ``app`` with uvicorn on ``listening`` until ``stop``, whose wait for the requests
    in flight and the connections open ends after ``shutdown_seconds``; the exit code."""
    port = listening.getsockname()[1]  # the one the system chose for --port 0
    shown = f"[{host}]" if ":" in host else host
    log.info("listening on http://%s:%d (try it: http://%s:%d/docs)", shown, port, shown, port)
    log.info("%s", describe_stack())
    serve_for(purpose, os.environ)  # before uvicorn: its workers import the package
    if stop_on_eof:
        _stop_when_input_ends(stop)
    import uvicorn
    from uvicorn.config import STARTUP_FAILURE

    from nbtools.serve.loading import ServiceConfig

    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "workers": workers,
        "lifespan": "on",
        "log_level": "info",
        "server_header": False,
        "timeout_graceful_shutdown": shutdown_seconds,
    }
    config = ServiceConfig(app, **options)
    if workers > 1:
        return _run_workers(config, listening, stop)
    server = uvicorn.Server(config)

    def exit_soon(_number: int, _frame: FrameType | None) -> None:
        server.should_exit = True  # what uvicorn's own handler does on a first signal

    stop.pass_to(exit_soon)
    if stop.signal is None:  # else it came before uvicorn took over: nothing to start
        server.run(sockets=[listening])
    if stop.signal is None and not server.started:
        return STARTUP_FAILURE
    return _stopped(stop, waited=not server.force_exit, cut=config.cut.count)


def _stopped(stop: Stop, *, waited: bool, cut: int) -> int:
    """:meth:`Stop.stopped`'s exit code, the process ended with it at once while threads
    still run: a call past the time limit runs on in its thread until its function returns
    (Python cannot stop a thread), and exiting the usual way waited for it, for ever if it
    hung (a second signal then ended the process with a traceback). Threads that are ending
    (the thread pool's idle ones) are given :data:`THREADS_GRACE_SECONDS` to end."""
    deadline, running = time.monotonic() + THREADS_GRACE_SECONDS, 0
    for thread in threading.enumerate():
        if not thread.daemon and thread is not threading.main_thread():
            thread.join(max(0.0, deadline - time.monotonic()))
            running += thread.is_alive()
    if running:
        log.info("not waiting for %d thread(s) still running (calls past the time limit)", running)
        exit_now(stop.stopped(waited=waited, cut=cut), wait_for_threads=False)
    return stop.stopped(waited=waited, cut=cut)


class Stop:
    """The signal that stopped the service (the first SIGINT or SIGTERM), seen by a handler
    that takes note of it and passes it on to uvicorn (:meth:`pass_to`).

    Installed before uvicorn: a signal that comes before uvicorn is there to act on it is
    kept (and nothing started). One worker: uvicorn handles the signals itself while it
    runs, and once its graceful shutdown is done it raises the signal again for the handler
    it replaced, this one, which takes note: the process then ends with :meth:`stopped`'s 0,
    not killed by the signal (143). Several: uvicorn's supervisor queues the signals, this
    handler in front of its own.
    """

    def __init__(self) -> None:
        self.signal: signal.Signals | None = None
        #: Why the service stopped, when not for a signal from outside (``--stop-on-eof``
        #: sends its own SIGTERM): the log says so instead of naming the signal.
        self.cause: str | None = None
        self._passed_on: SignalHandler | None = None

    def handle(self, number: int, frame: FrameType | None) -> None:
        if self.signal is None:
            self.signal = signal.Signals(number)
        if self._passed_on is not None:
            self._passed_on(number, frame)

    def pass_to(self, handler: SignalHandler) -> None:
        """From now on, pass each signal on to ``handler`` (uvicorn's), this taking note
        first (installed again: uvicorn's supervisor of several workers replaced it)."""
        self._passed_on = handler
        for number in STOP_SIGNALS:
            signal.signal(number, self.handle)

    def hang_up(self, _number: int, _frame: FrameType | None) -> None:
        """SIGHUP, which uvicorn's supervisor of several workers takes (it restarts them one
        by one, its own handler in place of this one): one worker has no other to take over
        while it would load the package again, so the signal is ignored, said in the log,
        where it killed the service (exit 129) with the requests in flight."""
        log.info(
            "SIGHUP ignored: one worker has no other to take over while it restarts (serve "
            "with --workers 2 or more to have SIGHUP restart the workers one by one, or "
            "restart the service)"
        )

    def stopped(self, *, waited: bool = True, cut: int = 0) -> int:
        """Say on standard error that the service stopped as asked (``waited``: for the
        requests in flight; not after a second Ctrl-C), and how many requests in flight the
        shutdown timeout ``cut`` (unanswered); its exit code, 0."""
        by = f" by {self.signal.name}" if self.signal is not None else ""
        if self.cause is not None:
            by = f" {self.cause}"
        how = "the requests in flight were answered"
        if not waited:
            how = "without waiting for the requests in flight (a second signal)"
        elif cut:
            how = (
                f"{cut} request(s) in flight cut unanswered at the shutdown timeout "
                "(--shutdown-timeout), the others answered"
            )
        log.info("stopped%s, %s: exit code 0", by, how)
        return 0


@contextlib.contextmanager
def stop_signals() -> Iterator[Stop]:
    """While serving, SIGINT and SIGTERM are the graceful stop of :class:`Stop`, and SIGHUP
    is ignored (:meth:`Stop.hang_up`) unless uvicorn's supervisor of several workers takes it;
    the handlers they had before come back afterwards."""
    stop = Stop()
    handlers: dict[int, SignalHandler] = dict.fromkeys(STOP_SIGNALS, stop.handle)
    if HANGUP is not None:
        handlers[HANGUP] = stop.hang_up
    with signal_handlers(handlers):
        yield stop


def configure_logging() -> None:
    """The service's log lines on standard error (``INFO: nbtools.serve: listening on …``),
    in this process and in each worker (:class:`~nbtools.serve.loading.ServiceConfig`)."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(name)s: %(message)s")


def describe_stack() -> str:
    """The event loop and HTTP parser uvicorn will choose here, and how to get the fast ones."""
    missing = missing_requirements(FAST_STACK)
    loop = "asyncio" if "uvloop" in missing else "uvloop"
    parser = "h11" if "httptools" in missing else "httptools"
    told = f"uvicorn on {loop} with {parser}"
    if missing:
        return f"{told} (pip install {' '.join(missing)}: about 1.4 times the requests per second)"
    return told


def listen(host: str, port: int) -> socket.socket:
    """The service's listening socket, bound and listening before anything is imported: a
    host that is not this machine's or a port in use is bad input naming the field
    (``host``, ``port``: exit 2), told at once, not a start-up failure of uvicorn's. From
    then on a connection is accepted, and its request answered once the start-up is done
    (uvicorn serves only then), never refused while the package loads: the "listening on"
    line is true when it is logged."""
    if not host:  # the socket layer's every interface: --host "$HOST" with $HOST unset
        raise InvalidInputError(
            f"The host is empty, which would listen on every interface. {CHOOSE_HOST}",
            field="host",
            host=host,
        )
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, as uvicorn binds: asyncio sets TCP_NODELAY only on sockets that say so,
    # and without it small replies wait for the delayed ACK (≈ 40 ms each).
    listening = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listening.bind((host, port))
    except OSError as exc:
        listening.close()
        reason = exc.strerror or str(exc)
        if isinstance(exc, socket.gaierror) or exc.errno == errno.EADDRNOTAVAIL:
            raise InvalidInputError(
                f"Cannot listen on {host}: {reason}. {CHOOSE_HOST}",
                field="host",
                host=host,
            ) from None
        raise InvalidInputError(
            f"Cannot listen on {host}:{port}: {reason}. Choose another port (or stop what "
            "listens there).",
            field="port",
            port=port,
        ) from None
    listening.listen(BACKLOG)
    return listening


def _stop_when_input_ends(stop: Stop) -> None:
    """SIGTERM this process once standard input reaches its end (uvicorn then shuts down as
    on any SIGTERM: the lifespan's shutdown runs, workers are stopped), noted on ``stop`` as
    the cause, unless a signal stopped it first."""

    def watch() -> None:
        with contextlib.suppress(OSError, ValueError):
            while sys.stdin.buffer.read(65536):
                pass  # nothing is ever written: only the end matters
        log.info("standard input closed: stopping")
        if stop.signal is None:
            stop.cause = "as its standard input closed"
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="nbtools-stop-on-eof", daemon=True).start()


def _run_workers(config: Any, listening: socket.socket, stop: Stop) -> int:
    """uvicorn's supervisor of several workers; 3 when a worker failed to start (uvicorn then
    stops them all, but returns normally), 2 when that was the purpose rule refusing the data
    the package's import used (:attr:`~nbtools.serve.loading.ServiceConfig.refused`)."""
    from uvicorn.config import STARTUP_FAILURE
    from uvicorn.supervisors import Multiprocess

    supervisor = Multiprocess(config, sockets=[listening])  # its signal handlers: a queue
    stop.pass_to(lambda number, _frame: supervisor.signal_queue.append(number))
    if stop.signal is None:  # else it came before the supervisor took over
        supervisor.run()  # on SIGINT or SIGTERM it stops the workers and waits for them
    if any(process.exitcode == STARTUP_FAILURE for process in supervisor.processes):
        return PolicyRefusedError.exit_code if config.refused.is_set() else STARTUP_FAILURE
    return stop.stopped(cut=config.cut.count)


def _has_service(package: str, app_dir: Path | None) -> bool:
    """Whether ``package`` has a ``service`` module, found without importing the package
    (importing it would run the notebook's module-level code in this supervising process)."""
    if app_dir is not None:
        return (app_dir / package / "service.py").is_file()
    spec = importlib.util.find_spec(package)
    locations = spec.submodule_search_locations if spec is not None else None
    return any((Path(location) / "service.py").is_file() for location in locations or ())


def requirements_of(manifest: Mapping[str, object]) -> dict[str, str]:
    """The package's dependencies from its extraction manifest (``{module: requirement}``)."""
    found = manifest.get("dependencies")
    return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}
