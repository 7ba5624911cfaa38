"""A face's names load on first use, and an unknown name is an AttributeError naming it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from nbtools import export
from nbtools.lazy import loader


def test_a_name_loads_its_submodule_only_when_asked() -> None:
    script = (
        "import sys, nbtools.export as face\n"
        "before = 'nbtools.export.naming' in sys.modules\n"
        "face.suggest_package_name\n"
        "print(before, 'nbtools.export.naming' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.stdout.split() == ["False", "True"], done.stderr


def test_the_name_is_the_submodules_own() -> None:
    from nbtools.export.naming import suggest_package_name

    assert export.suggest_package_name is suggest_package_name
    assert export.suggest_package_name("Sales Report") == "sales_report"


def test_an_unknown_name_is_an_attribute_error() -> None:
    load = loader("nbtools.export", {"run_extract": ("api", "run_extract")})
    with pytest.raises(AttributeError, match=r"module 'nbtools\.export' has no attribute 'nope'"):
        load("nope")
    with pytest.raises(AttributeError, match=r"has no attribute 'nothing_here'"):
        getattr(export, "nothing_here")  # noqa: B009 - the face's own lookup


def test_a_module_beside_its_submodules_loads_them_and_names_itself() -> None:
    from nbtools.jobs import models, tables

    assert tables.Run is models.Run
    with pytest.raises(AttributeError, match=r"module 'nbtools\.jobs\.tables' has no attribute"):
        getattr(tables, "Nope")  # noqa: B009 - the module's own lookup


def test_no_face_name_is_also_a_submodule_s_name() -> None:
    """Importing a submodule binds its name on the package: a face name spelled as a
    submodule would turn into that module once anything imported it (``export.locate``
    was the module of problem locations after a package's tests ran)."""
    import importlib
    import pkgutil

    import nbtools

    checked, clashes = [], []
    for info in pkgutil.walk_packages(nbtools.__path__, "nbtools."):
        if not info.ispkg:
            continue
        face = importlib.import_module(info.name)
        names = getattr(face, "_LAZY", {})
        submodules = {sub.name for sub in pkgutil.iter_modules(face.__path__)}
        checked += [f"{info.name}.{name}" for name in names]
        clashes += [f"{info.name}.{name}" for name in names if name in submodules]
    assert "nbtools.export.locate" in checked
    assert clashes == []
