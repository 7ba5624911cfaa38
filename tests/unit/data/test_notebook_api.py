from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from nbtools.data.catalog import add_dataset, dataset_spec
from nbtools.data.policy import refusal
from nbtools.project import Project
from tests.conftest import run_python

SCRIPT = """
import json, sys, warnings
import nbtools
warnings.simplefilter("always")
with warnings.catch_warnings(record=True) as caught:
    print(json.dumps([nbtools.data.path(sys.argv[1]), [str(w.message) for w in caught]]))
"""


def _path(cwd: Path, name: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", SCRIPT, name],
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": os.environ.get("PYTHONPATH", ""), **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_path_finds_the_project_above_and_warns_outside_the_purposes(project: Project) -> None:
    spec = {"location": "data/c.csv", "classification": "personal", "purposes": ["churn"]}
    add_dataset(project, dataset_spec(project, "customers", spec))
    (project.root / "sub" / "dir").mkdir(parents=True)
    done = _path(project.root / "sub" / "dir", "customers", NBTOOLS_PURPOSE="churn")
    assert done.returncode == 0, done.stderr
    shown, location = done.stdout.splitlines()[0], json.loads(done.stdout.splitlines()[1])
    assert shown.startswith("data read: customers (personal) at ")
    assert location == [str(project.root / "data" / "c.csv"), []]
    refused = _path(project.root, "customers", NBTOOLS_PURPOSE="ads")
    assert (
        "may not be used for the purpose 'ads'" in json.loads(refused.stdout.splitlines()[1])[1][0]
    )
    missing = _path(project.root, "nope")
    assert "No dataset named 'nope'" in missing.stderr


def test_the_line_path_shows_leaves_out_a_url_s_login(project: Project) -> None:
    """The line is a notebook's output, saved with it: the login of a location's URL (its
    password holding an unencoded '@') is not in it; path() returns the URL to open, whole."""
    url = "memory://me:Zq9@Xk7@bucket/c.csv"
    add_dataset(project, dataset_spec(project, "clicks", {"location": url}))
    done = _path(project.root, "clicks")
    assert done.returncode == 0, done.stderr
    shown, returned = done.stdout.splitlines()[0], json.loads(done.stdout.splitlines()[1])[0]
    assert shown == "data read: clicks (internal) at memory://bucket/c.csv"
    assert returned == url


def test_no_project_is_a_clear_error(tmp_path: Path) -> None:
    assert "set NBTOOLS_ROOT" in _path(tmp_path, "x").stderr


def test_importing_nbtools_data_imports_nothing_heavy() -> None:
    code = "import sys, nbtools.data; print(sorted(m for m in sys.modules if m.startswith(('sqlalchemy', 'fsspec', 'nbtools'))))"
    out = run_python(code)
    assert json.loads(out.stdout.replace("'", '"')) == [
        "nbtools",
        "nbtools._version",
        "nbtools.data",
        "nbtools.lazy",  # the face's loader: standard library only
    ]


@pytest.mark.parametrize(
    ("classification", "allowed", "purpose", "refused"),
    [
        ("personal", ["churn"], "churn", None),
        ("personal", ["churn"], None, "needs a purpose"),
        ("sensitive", [], "churn", "allowed purposes are none"),
        ("personal", ["churn", "billing"], "ads", "churn, billing"),
        ("internal", [], None, None),
        ("internal", [], "ads", None),
        ("public", ["reporting"], "ads", "may not be used"),
        ("public", ["reporting"], "reporting", None),
        # Listing purposes limits public and internal data too: no purpose is not one of them.
        ("public", ["reporting"], None, "allowed purposes: reporting"),
        ("internal", ["pricing", "ops"], None, "allowed purposes: pricing, ops"),
        ("public", [], None, None),
    ],
)
def test_the_usage_rule(
    classification: str, allowed: list[str], purpose: str | None, refused: str | None
) -> None:
    message = refusal("d", classification, allowed, purpose)
    if refused is None:
        assert message is None
    else:
        assert message is not None
        assert refused in message
