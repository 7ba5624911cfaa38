"""Running a served package with uvicorn: dependency check, settings hand-over, exit codes.

The settings reach uvicorn's worker processes through ``$NBTOOLS_SERVE_*`` (each worker
builds its app from them), so ``--workers N`` needs no other channel.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from nbtools.errors import InvalidInputError, NbtoolsError
from nbtools.serve.config import ServeSettings
from nbtools.settings import environment_variable

#: What serving needs besides the package's own dependencies (import name → requirement).
SERVE_REQUIREMENTS = {
    "fastapi": "fastapi",
    "uvicorn": "uvicorn",
    "prometheus_client": "prometheus-client",
}


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


def hand_over(settings: ServeSettings, environ: dict[str, str] | os._Environ[str]) -> None:
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
) -> int:
    """Serve ``package`` (importable, or under ``app_dir``) until stopped; the exit code."""
    if workers < 1:
        raise InvalidInputError("--workers must be at least 1.", workers=workers)
    if settings.record_to and workers > 1:
        raise InvalidInputError(
            "--record-to writes one series per service and needs --workers 1 (each worker "
            "would write its own minute); run one worker per process behind a balancer.",
            workers=workers,
        )
    check_requirements(requirements or {}, package)
    if app_dir is not None:
        sys.path.insert(0, str(app_dir))
    if importlib.util.find_spec(f"{package}.service") is None:
        raise InvalidInputError(
            f"{package} has no service module: mark a function with '#| serve' (or tag a cell "
            "'serve') and extract again.",
            package=package,
        )
    hand_over(settings, os.environ)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(name)s: %(message)s")
    import uvicorn

    # Exits with status 3 itself when start-up fails (one worker).
    uvicorn.run(
        f"{package}.service:app",
        host=host,
        port=port,
        workers=workers,
        app_dir=str(app_dir) if app_dir else None,
        lifespan="on",
        log_level="info",
        server_header=False,
    )
    return 0


def requirements_of(manifest: Mapping[str, object]) -> dict[str, str]:
    """The package's dependencies from its extraction manifest (``{module: requirement}``)."""
    found = manifest.get("dependencies")
    return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}
