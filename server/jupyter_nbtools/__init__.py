"""Jupyter Server extension of jupyter-nbtools: a thin REST layer over the nbtools core."""

from __future__ import annotations

from typing import Any

from nbtools import __version__

__all__ = ["__version__"]


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "jupyterlab-nbtools"}]


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    from jupyter_nbtools.app import NbtoolsApp

    return [{"module": "jupyter_nbtools", "app": NbtoolsApp}]
