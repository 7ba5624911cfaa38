"""SHA-256 digests of small inputs, without loading OpenSSL for them.

``hashlib`` loads OpenSSL's ``libcrypto`` when it is imported: ≈ 2.3 ms here, a tenth of what
``nbtools extract`` spends beyond importing its CLI toolkit. CPython carries its own SHA-256 as
well (the module ``hashlib`` falls back to without OpenSSL): free to import, about a quarter
as fast per byte (≈ 140 MB/s against ≈ 580 here). So a digest is taken with CPython's own code
while the bytes this process has hashed are too few to pay for the import, and with
``hashlib`` from then on, or at once where something imported it already (a server, a run).
The digest is the same either way.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Protocol

#: Bytes hashed with CPython's own SHA-256 before ``hashlib`` is worth its import (≈ 2.3 ms:
#: ≈ 400 KB at the difference in speed).
BUILTIN_BUDGET = 400_000
#: CPython's own SHA-256: ``_sha2`` since 3.12, ``_sha256`` before.
BUILTIN_MODULES = ("_sha2", "_sha256")

_hashed = 0


class _Hash(Protocol):
    def hexdigest(self) -> str: ...


@functools.cache
def _builtin() -> Callable[[bytes], _Hash] | None:
    """CPython's own SHA-256 constructor, if this interpreter was built with it (looked up
    once: a module that is missing would be searched for again on every import)."""
    for name in BUILTIN_MODULES:
        try:
            module = __import__(name)
        except ImportError:
            continue
        constructor: Callable[[bytes], _Hash] | None = getattr(module, "sha256", None)
        if constructor is not None:
            return constructor
    return None


def sha256_hex(data: bytes) -> str:
    """The SHA-256 of ``data``, in hexadecimal."""
    global _hashed
    _hashed += len(data)
    if "hashlib" not in sys.modules and _hashed <= BUILTIN_BUDGET:
        builtin = _builtin()
        if builtin is not None:
            return builtin(data).hexdigest()
    import hashlib

    return hashlib.sha256(data).hexdigest()
