from __future__ import annotations

import sys

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
        ("a==1\nb==2 ; no_such_name == '1'\n", 2, "marker"),
        ("a==1\nb==2 --hash=abc\n", 2, "'--hash=abc' is not ALGORITHM:VALUE"),
        ("a==1\nb==2 --hash=md5:abc\n", 2, "md5"),
        ("b @ file:///src/b --hash=sha256:abc\n", 1, "only an archive"),
    ],
)
def test_malformed_files_name_the_line(text: str, line: int, problem: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        parse_requirements(text, "reqs.txt")
    assert info.value.message.startswith(f"reqs.txt, line {line}: ")
    assert problem in info.value.message
    assert info.value.details["line"] == line


def test_a_line_whose_marker_does_not_hold_here_is_left_out() -> None:
    """pip skips such a line ("Ignoring colorama: markers ... don't match"); it was read as
    pinned: drift in `env check` ('- colorama 0.4.6') and installed by recreate. One name
    pinned twice under markers that tell the lines apart (a universal lock) is no repeat."""
    here, elsewhere = f"sys_platform == '{sys.platform}'", f"sys_platform != '{sys.platform}'"
    text = (
        f"colorama==0.4.6 ; {elsewhere}\n"
        f"numpy==1.26.4 ; {elsewhere}\n"
        f"numpy==2.1.0 ; {here}\n"
        "six==1.16.0 ; extra == 'tests'\n"
        "tomli==2.0.1 ; python_version >= '3.0'\n"
    )
    snapshot = parse_requirements(text)
    assert {d.key: d.version for d in snapshot.distributions} == {
        "numpy": "2.1.0",
        "tomli": "2.0.1",
    }


def test_hashes_of_a_line_are_kept_for_recreate_to_enforce() -> None:
    """`pip-compile --generate-hashes` writes them; they were cut off the line, so recreate
    installed a file no hash checked where `pip install -r` refuses a mismatch."""
    text = (
        "six==1.16.0 \\\n"
        "    --hash=sha256:aa \\\n"
        "    --hash sha512:bb\n"
        "tinypkg @ file:///w/tinypkg-1.0-py3-none-any.whl --hash=sha256:cc  # tinypkg==1.0\n"
        "plain==1.0\n"
    )
    found = parse_requirements(text).by_key()
    assert found["six"].pinned_hashes == ("sha256:aa", "sha512:bb")
    assert found["tinypkg"].archive_hashes == {"sha256": "cc"}
    assert found["tinypkg"].version == "1.0"
    assert found["plain"].pinned_hashes == ()


def test_a_direct_line_s_version_comment_may_spell_its_name_another_way() -> None:
    """Names are compared normalised (PEP 503), as pip compares them: the version was lost."""
    text = (
        "foo_bar @ file:///w/Foo_Bar-1.0-py3-none-any.whl  # Foo-Bar==1.0\n"
        "-e /src/My.Lib  # my_lib==0.2\n"
        "other @ file:///w/other-2.0-py3-none-any.whl  # something-else==2.0\n"
    )
    versions = {d.key: d.version for d in parse_requirements(text).distributions}
    assert versions == {"foo-bar": "1.0", "my-lib": "0.2", "other": None}
