"""A version's notebook rebuilt from the store, and notebooks prepared for comparison."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from nbtools.project import Project
from nbtools.versioning.history import Version, objects
from nbtools.versioning.objects import ObjectStore
from nbtools.versioning.parts import (
    ImageText,
    Notebook,
    Parts,
    assemble,
    binary_blobs,
    encode_image,
    referenced_blobs,
)


@dataclass(frozen=True)
class LoadedManifest:
    """A version's manifest with its source and output blobs read; images only named."""

    sha: str
    manifest: dict[str, Any]
    blobs: dict[str, bytes]
    images: list[str]

    @property
    def objects(self) -> set[str]:
        """Every object the version needs directly (delta bases not included)."""
        return {self.sha, *self.blobs, *self.images}


def load_manifest(connection: Connection, store: ObjectStore, manifest_sha: str) -> LoadedManifest:
    """Read a manifest and the blobs it names (each checked against its hash)."""
    manifest = json.loads(store.read(connection, [manifest_sha])[manifest_sha])
    blobs = store.read(connection, referenced_blobs(manifest))
    images = [sha for name in _bundled(manifest) for sha in binary_blobs(json.loads(blobs[name]))]
    return LoadedManifest(manifest_sha, manifest, blobs, images)


def _bundled(manifest: Mapping[str, Any]) -> list[str]:
    """The output and attachment blobs of a manifest (those that may hold images)."""
    names: list[str] = []
    for cell in manifest["cells"]:
        names.extend(cell.get("outputs", ()))
        if "attachments" in cell:
            names.append(cell["attachments"])
    return names


def image_placeholder(mime: str, sha: str, fmt: str) -> str:
    """What a diff sees instead of an image: its hash, so it compares changed or unchanged."""
    return f"<{mime} sha256:{sha}>"


def version_notebook(project: Project, version: Version, images: bool = True) -> Notebook:
    """The notebook of ``version``; with ``images=False``, images are placeholders (no I/O).

    Raises :class:`~nbtools.versioning.objects.DamagedObjectError` if an object it needs is
    missing or damaged.
    """
    store = objects(project)
    with project.store.connection() as connection:
        loaded = load_manifest(connection, store, version.manifest)
        if not images:
            return assemble(loaded.manifest, loaded.blobs, image_placeholder)
        found = store.read(connection, loaded.images)
    return assemble(loaded.manifest, loaded.blobs, _decoded_images(found))


def _decoded_images(found: Mapping[str, bytes]) -> ImageText:
    def image_text(mime: str, sha: str, fmt: str) -> str:
        return encode_image(found[sha], fmt)

    return image_text


def comparable(parts: Parts) -> Notebook:
    """A notebook from its parts with images as placeholders, as :func:`version_notebook`
    gives with ``images=False``: the two compare image by image."""
    blobs = {sha: blob.data() for sha, blob in parts.blobs.items() if not blob.binary}
    return assemble(parts.manifest, blobs, image_placeholder)
