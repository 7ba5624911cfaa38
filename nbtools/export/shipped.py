"""Modules kept in a package's directory beside the ones nbtools generates.

nbtools replaces or removes only the files its manifest lists (:mod:`.writer`): any other file
in the package's directory stays there, extraction after extraction. A module the notebook does
not hold (``src/pkg/fast.py``, compiled ``src/pkg/native.cpython-312-x86_64-linux-gnu.so``, a
folder ``src/pkg/vendor/``) ships with the package that way, and the notebook's code may import
it (:func:`nbtools.export.own_imports.unknown_modules`).
"""

from collections.abc import Collection
from pathlib import Path


class ShippedFiles:
    """The files in the package's directory ``out`` that nbtools did not write: not among
    ``generated``, the paths its manifest lists (relative to ``out``), which the next write
    replaces or removes."""

    __slots__ = ("generated", "out")

    def __init__(self, out: Path, generated: Collection[str]) -> None:
        self.out, self.generated = out, generated

    def has_module(self, package: str, module: str) -> bool:
        """Whether ``src/<package>/`` holds the module ``module`` (dotted, relative to the
        package) in a file or folder nbtools did not write."""
        from importlib.machinery import all_suffixes  # only an unknown module's import asks

        base = self.out / "src" / package / Path(*module.split("."))
        files = [base.with_name(base.name + suffix) for suffix in all_suffixes()]
        if any(path.is_file() and self._kept(path) for path in files):
            return True
        return base.is_dir() and any(
            path.is_file() and self._kept(path) for path in base.rglob("*")
        )

    def _kept(self, path: Path) -> bool:
        """``path`` is a file nbtools did not write (nor Python's bytecode cache of one)."""
        relative = path.relative_to(self.out)
        return "__pycache__" not in relative.parts and relative.as_posix() not in self.generated
