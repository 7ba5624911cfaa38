from __future__ import annotations

from packaging.utils import canonicalize_name

from nbtools.envsnap.imports import resolve_distribution_for_imports
from nbtools.envsnap.model import Distribution, Snapshot


def test_resolves_from_a_snapshots_recorded_import_names() -> None:
    snapshot = Snapshot(
        "kernel",
        "k",
        (
            Distribution("scikit-learn", "1.5.0", top_level=("sklearn",)),
            Distribution("google-auth", "2.0", top_level=("google",)),
            Distribution("protobuf", "5.0", top_level=("google",)),
        ),
    )
    resolution = resolve_distribution_for_imports(
        ["sklearn.linear_model", "os.path", "json", "google.protobuf", "not_installed"], snapshot
    )
    assert resolution.distributions == {
        "google-auth": "2.0",
        "protobuf": "5.0",
        "scikit-learn": "1.5.0",
    }
    assert resolution.unresolved == ["not_installed"]


def test_resolves_from_this_interpreter_without_a_snapshot() -> None:
    from importlib.metadata import version

    resolution = resolve_distribution_for_imports(["sqlalchemy.orm", "click", "sys"])
    assert {canonicalize_name(name): v for name, v in resolution.distributions.items()} == {
        "sqlalchemy": version("sqlalchemy"),
        "click": version("click"),
    }
    assert resolution.unresolved == []
