"""Imports standing in for a newer standard-library module on older Pythons: no dependency
of a package whose ``requires-python`` excludes those Pythons."""

from __future__ import annotations

from tests.unit.export_helpers import extraction, tomllib

#: ``oldtoml_nbtools_test`` stands for tomli: installed nowhere, so it would be a warning.
FALLBACK = (
    "try:\n    import tomllib\nexcept ImportError:\n    import oldtoml_nbtools_test as tomllib"
)


def unresolved(*cells: tuple[str, str, list[str]]) -> list[str]:
    return [p.message for p in extraction(*cells).problems if p.code == "unresolved-import"]


def test_a_fallback_for_pythons_the_package_does_not_run_on_is_no_dependency() -> None:
    """It warned "No installed distribution provides 'tomli'", though the package requires
    Python 3.11, which has tomllib."""
    found = extraction(
        ("code", FALLBACK + "\n\ndef parse(text):\n    return tomllib.loads(text)", ["export"])
    )
    assert [p.code for p in found.problems] == []
    project = tomllib.loads(found.files["pyproject.toml"])["project"]
    assert (project["requires-python"], project["dependencies"]) == (">=3.11", [])


def test_a_fallback_in_a_test_cell_or_under_except_exception_too() -> None:
    caught = FALLBACK.replace("except ImportError:", "except (ValueError, Exception):")
    assert unresolved(("code", "x = 1", ["export"]), ("code", caught, ["test"])) == []


def test_a_module_also_imported_elsewhere_or_after_an_older_module_is_still_one() -> None:
    """Imported outside the fallback, it runs on every Python; the fallback of a module every
    supported Python has (json) is left as it was: the check runs only for a package needing
    a newer Python."""
    elsewhere = "import oldtoml_nbtools_test\n\ndef f():\n    return oldtoml_nbtools_test"
    assert unresolved(("code", FALLBACK, ["export"]), ("code", elsewhere, ["export"])) == [
        "No installed distribution provides 'oldtoml_nbtools_test', so pyproject.toml cannot "
        "list it."
    ]
    older = "try:\n    import json\nexcept ImportError:\n    import oldjson_nbtools_test as json"
    assert len(unresolved(("code", older, ["export"]))) == 1
    other_error = FALLBACK.replace("except ImportError:", "except ValueError:")
    assert len(unresolved(("code", other_error, ["export"]))) == 1
