from __future__ import annotations

import pytest

from nbtools.envsnap.diff import diff
from nbtools.envsnap.model import Distribution, Snapshot
from nbtools.envsnap.requirements import parse_requirements, to_requirements
from nbtools.errors import InvalidInputError
from tests.envsnap_support import BROKEN, EDITABLE, VCS

SNAPSHOT = Snapshot(
    "kernel",
    "python3",
    (
        Distribution("requests", "2.32.3"),
        EDITABLE,
        VCS,
        Distribution(
            "wheelpkg",
            "3.0",
            direct_url={"url": "file:///w/wheelpkg-3.0-py3-none-any.whl", "archive_info": {}},
        ),
        Distribution("plain-dir", "0.1", direct_url={"url": "file:///src/plain", "dir_info": {}}),
        BROKEN,
    ),
    python={"version": "3.11.7", "implementation": "cpython"},
    platform={"system": "linux", "machine": "x86_64"},
)


def test_export_pins_every_distribution_and_reads_back_the_same() -> None:
    text = to_requirements(SNAPSHOT)
    assert "requests==2.32.3\n" in text
    assert "-e /src/my-lib  # my-lib==0.2\n" in text
    assert "tool @ git+https://github.com/o/tool@abc123  # tool==1.0\n" in text
    assert "wheelpkg @ file:///w/wheelpkg-3.0-py3-none-any.whl  # wheelpkg==3.0\n" in text
    assert "#   cracked: METADATA is missing" in text
    back = parse_requirements(text)
    assert [c.describe() for c in diff(SNAPSHOT, back).changes] == ["- cracked 1.0"]


def test_pip_freeze_style_input() -> None:
    text = (
        "# comment\n"
        "--index-url https://pypi.org/simple\n"
        "Flask==3.0.0 \\\n"
        "    --hash=sha256:abc\n"
        "-e git+https://github.com/o/r@0f3a#egg=editable_thing\n"
        "numpy===1.26.4 ; python_version >= '3.9'  # trailing\n"
        "\n"
    )
    snapshot = parse_requirements(text)
    assert {d.key: d.version for d in snapshot.distributions} == {
        "flask": "3.0.0",
        "editable-thing": None,
        "numpy": "1.26.4",
    }
    assert snapshot.by_key()["editable-thing"].origin == "vcs"


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        ("a==1\nrequests>=2\n", 2, "'requests>=2' is not pinned"),
        ("a==1\n\nb==2.*\n", 3, "'b==2.*' is not pinned"),
        ("pandas\n", 1, "'pandas' is not pinned"),
        ("a==1\nthis is not valid\n", 2, "is not a requirement"),
        ("a==1\nb==2\nA==3\n", 3, "listed again (first on line 1)"),
        ("-r base.txt\n", 1, "includes another file"),
        ("--frobnicate\n", 1, "unknown option '--frobnicate'"),
        ("-e ./somewhere\n", 1, "cannot tell the distribution name"),
        ("x==1 \\\n  --hash=sha256:a\ny>1\n", 3, "'y>1' is not pinned"),
    ],
)
def test_malformed_files_name_the_line(text: str, line: int, problem: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        parse_requirements(text, "reqs.txt")
    assert info.value.message.startswith(f"reqs.txt, line {line}: ")
    assert problem in info.value.message
    assert info.value.details["line"] == line
