"""Every route of the extension, collected from the handler modules."""

from __future__ import annotations

from typing import Any

from jupyter_nbtools.handlers import (
    alerts,
    artifacts,
    audit,
    datasets,
    env,
    extract,
    job_inputs,
    jobs,
    lineage,
    metrics,
    notebook,
    openapi,
    runs,
    services,
    status,
    versions,
)

API_PREFIX = r"/nbtools/api"


def all_routes() -> list[tuple[str, Any]]:
    """(URL pattern, handler class) pairs, prefixed with ``/nbtools/api``."""
    modules = (
        status,
        notebook,
        env,
        extract,
        jobs,
        runs,
        artifacts,
        job_inputs,
        versions,
        lineage,
        metrics,
        alerts,
        audit,
        datasets,
        services,
        openapi,
    )
    return [
        (API_PREFIX + pattern, handler) for module in modules for pattern, handler in module.ROUTES
    ]
