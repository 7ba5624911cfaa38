from __future__ import annotations

import hashlib
import subprocess
import sys

import pytest

from nbtools.digest import BUILTIN_BUDGET, sha256_hex


@pytest.mark.parametrize("size", [0, 1, 63, 64, 65, 1000, BUILTIN_BUDGET + 1])
def test_the_digest_is_sha256(size: int) -> None:
    data = bytes(range(256)) * (size // 256) + bytes(size % 256)
    assert sha256_hex(data) == hashlib.sha256(data).hexdigest()


def _fresh(code: str) -> list[str]:
    """The lines ``code`` prints in a new interpreter (where nothing imported hashlib)."""
    result = subprocess.run(
        [sys.executable, "-c", "from nbtools.digest import sha256_hex\n" + code],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.split()


def test_small_inputs_do_not_import_hashlib_and_a_large_one_does() -> None:
    small, half = b"notebook", b"x" * (BUILTIN_BUDGET // 2)
    found = _fresh(
        "import sys\n"
        "print(sha256_hex(b'notebook'), 'hashlib' in sys.modules)\n"
        f"print(sha256_hex(b'x' * {BUILTIN_BUDGET // 2}), 'hashlib' in sys.modules)\n"
        # the budget counts every byte hashed so far: this one crosses it
        f"print(sha256_hex(b'x' * {BUILTIN_BUDGET // 2}), 'hashlib' in sys.modules)\n"
    )
    assert found == [
        hashlib.sha256(small).hexdigest(),
        "False",
        hashlib.sha256(half).hexdigest(),
        "False",
        hashlib.sha256(half).hexdigest(),
        "True",
    ]


def test_without_cpythons_own_sha256_hashlib_is_used() -> None:
    found = _fresh(
        "import sys\n"
        "for name in ('_sha2', '_sha256'): sys.modules[name] = None  # as if not built\n"
        "print(sha256_hex(b'notebook'), 'hashlib' in sys.modules)\n"
    )
    assert found == [hashlib.sha256(b"notebook").hexdigest(), "True"]
