from __future__ import annotations

import os
from pathlib import Path

import pytest

from nbtools.errors import InvalidInputError, PathOutsideRootError
from nbtools.paths import real_path, resolve_inside
from nbtools.project import Project


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "nb.ipynb").write_text("{}")
    return root


def test_relative_paths_resolve_inside(root: Path) -> None:
    assert resolve_inside(root, "sub/nb.ipynb") == (root / "sub" / "nb.ipynb").resolve()
    assert resolve_inside(root, "") == root.resolve()
    assert resolve_inside(root, "new/file.ipynb") == (root / "new" / "file.ipynb").resolve()


@pytest.mark.parametrize(
    "bad",
    ["../outside.ipynb", "sub/../../outside", "/etc/passwd", "sub/\x00nb.ipynb"],
)
def test_escapes_are_refused(root: Path, bad: str) -> None:
    with pytest.raises(PathOutsideRootError) as info:
        resolve_inside(root, bad)
    # An absolute path is not echoed: the server would show it relative to its root.
    assert info.value.details == ({} if bad.startswith("/") else {"path": bad})
    if "\x00" not in bad:  # every escape names the root, as the command line's check does
        assert str(root.resolve()) in info.value.message.partition("the root")[2]


def test_a_backslash_is_part_of_a_posix_file_name(root: Path) -> None:
    """On POSIX ``..\\x.ipynb`` is one legal file name inside the root, not a way out."""
    assert resolve_inside(root, "..\\x.ipynb") == root.resolve() / "..\\x.ipynb"
    assert resolve_inside(root, "sub\\nb.ipynb").parent == root.resolve()


def test_symlink_pointing_outside_is_refused(root: Path, tmp_path: Path) -> None:
    outside = tmp_path / "secret"
    outside.mkdir()
    os.symlink(outside, root / "link")
    with pytest.raises(PathOutsideRootError) as info:
        resolve_inside(root, "link/data.txt")
    assert info.value.message == (
        f"The path 'link/data.txt' leads outside the root {root.resolve()} through a symbolic "
        "link: give a path inside it."
    )


def test_sibling_sharing_the_prefix_is_refused(root: Path, tmp_path: Path) -> None:
    sibling = tmp_path / "root-other"
    sibling.mkdir()
    os.symlink(sibling, root / "to-sibling")
    with pytest.raises(PathOutsideRootError):
        resolve_inside(root, "to-sibling/x.ipynb")


@pytest.mark.parametrize(
    "too_long",
    [
        "a" * 300 + ".ipynb",  # a file name longer than the file system's 255 bytes
        "sub/" + "é" * 200 + ".ipynb",  # 200 characters, but 400 bytes
        "/".join(["d" * 200] * 25) + "/nb.ipynb",  # each name fits, the whole path does not
        # in folders not made yet, which the system checks only once they are made
        "new/" + "a" * 300 + ".ipynb",
        "new/" + "é" * 130,  # 260 bytes
        "new/" + "a" * 256 + "/nb.ipynb",
        "new/" + "/".join(["d" * 200] * 20) + "/nb.ipynb",
    ],
)
def test_a_path_too_long_for_the_file_system_is_bad_input(root: Path, too_long: str) -> None:
    with pytest.raises(InvalidInputError, match="too long for the file system") as info:
        resolve_inside(root, too_long)
    assert info.value.details == {"path": too_long}
    assert not isinstance(info.value, PathOutsideRootError)


def test_the_longest_name_the_file_system_takes_is_accepted(root: Path) -> None:
    longest = "a" * 249 + ".ipynb"  # 255 bytes
    assert resolve_inside(root, longest) == root.resolve() / longest
    assert resolve_inside(root, f"new/{longest}") == root.resolve() / "new" / longest


@pytest.fixture
def loops(root: Path) -> Path:
    """Two loops of symbolic links in ``root``: ``ping`` ↔ ``pong``, and ``sub/self`` → itself."""
    os.symlink("pong", root / "ping")
    os.symlink("ping", root / "pong")
    os.symlink("self", root / "sub" / "self")
    return root


@pytest.mark.parametrize("looping", ["ping", "pong/nb.ipynb", "sub/self", "sub/self/deeper/x.csv"])
def test_a_loop_of_symbolic_links_is_bad_input(loops: Path, looping: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        resolve_inside(loops, looping)
    assert info.value.message == (
        f"The path {looping!r} goes through a loop of symbolic links (a link that leads back to "
        "itself, directly or through other links): fix or remove the link."
    )
    assert info.value.details == {"path": looping}
    assert not isinstance(info.value, PathOutsideRootError)


def test_real_path_names_what_the_user_gave(loops: Path) -> None:
    """Every caller resolving an absolute path (the project's ``contains``, ``in_store`` and
    ``relative``) gets bad input naming it, never the operating system's error."""
    with pytest.raises(InvalidInputError, match="loop of symbolic links") as loop:
        real_path(loops / "ping" / "a.csv", "ping/a.csv")
    assert loop.value.details == {"path": "ping/a.csv"}
    with pytest.raises(PathOutsideRootError, match="NUL byte") as nul:
        real_path(loops / "a\x00b", "a\x00b")
    assert nul.value.details == {"path": "a\x00b"}
    assert real_path(loops / "sub" / "new.csv", "sub/new.csv") == loops.resolve() / "sub/new.csv"


@pytest.mark.parametrize("check", ["contains", "in_store", "relative"])
@pytest.mark.parametrize("given", ["ping/x.csv", "sub/self", "sub/a\x00b.csv"])
def test_the_projects_checks_of_absolute_paths_refuse_the_unresolvable(
    loops: Path, check: str, given: str
) -> None:
    project = Project(loops)
    absolute = loops / given
    with pytest.raises(InvalidInputError) as info:
        getattr(project, check)(absolute)
    assert info.value.details == {"path": str(absolute)}
