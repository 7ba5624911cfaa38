from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from nbtools import versioning
from nbtools.cli.app import cli
from nbtools.project import Project
from nbtools.versioning.objects import ObjectStore
from tests.cli_tables import table_rows
from tests.conftest import make_notebook, run_python
from tests.unit.versioning.conftest import edit, rich_notebook, write


def nbtools(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--root", str(root), "version", *args])


def as_json(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_save_log_show_and_diff(tmp_path: Path) -> None:
    path = tmp_path / "nb.ipynb"
    nb = rich_notebook()
    write(path, nb)
    assert (
        "Recorded version 1 of nb.ipynb (4 cells changed)"
        in nbtools(tmp_path, "save", "nb.ipynb").output
    )
    assert "unchanged since version 1" in nbtools(tmp_path, "save", "nb.ipynb").output
    assert (
        "Named version 1 of nb.ipynb: first"
        in nbtools(tmp_path, "save", "nb.ipynb", "-m", "first").output
    )
    write(path, edit(nb, 1, "x = 42"))
    diff = nbtools(tmp_path, "diff", "nb.ipynb")
    assert diff.exit_code == 0, diff.output
    assert "nb.ipynb: version 1 → file on disk" in diff.output
    assert "+ x = 42" in diff.output
    assert "- y = 2" in diff.output
    saved = as_json(nbtools(tmp_path, "save", "nb.ipynb", "--json"))
    assert (saved["number"], saved["cells_changed"]) == (2, 1)
    log = nbtools(tmp_path, "log", "nb.ipynb")
    assert "★ first" in log.output
    assert [v["number"] for v in as_json(nbtools(tmp_path, "log", "nb.ipynb", "--json"))] == [2, 1]
    shown = as_json(nbtools(tmp_path, "show", "nb.ipynb", "1", "--json"))
    assert (shown["message"], shown["references"]) == ("first", [])
    notebook = nbtools(tmp_path, "show", "nb.ipynb", "latest~1", "--notebook")
    assert json.loads(notebook.output)["cells"][1]["source"][0] == "x = 1\n"
    model = as_json(nbtools(tmp_path, "diff", "nb.ipynb", "1", "2", "--json"))
    assert model["summary"]["modified"] == 1


def test_saving_an_unchanged_notebook_does_what_the_help_says(tmp_path: Path) -> None:
    """`version save --help` said "nothing new if it is unchanged", but a message other
    than the latest version's name records a new version of the same content: it says so
    now, and each case does what it says."""
    shown = CliRunner().invoke(cli, ["version", "save", "--help"])
    rule = " ".join(shown.output.split())
    assert (
        "Unchanged since the latest version, a notebook records nothing new, but with -m:" in rule
    )
    assert "a latest version named otherwise is followed by a new version" in rule
    write(tmp_path / "nb.ipynb", rich_notebook())
    nbtools(tmp_path, "save", "nb.ipynb")
    same = as_json(nbtools(tmp_path, "save", "nb.ipynb", "--json"))
    assert (same["number"], same["recorded"]) == (1, False)  # nothing new
    named = as_json(nbtools(tmp_path, "save", "nb.ipynb", "-m", "first", "--json"))
    assert (named["number"], named["recorded"], named["message"]) == (1, False, "first")
    again = as_json(nbtools(tmp_path, "save", "nb.ipynb", "-m", "first", "--json"))
    assert (again["number"], again["recorded"]) == (1, False)  # its name already
    other = nbtools(tmp_path, "save", "nb.ipynb", "-m", "release")
    assert other.output == "Recorded version 2 of nb.ipynb (0 cells changed).\n"
    versions = as_json(nbtools(tmp_path, "log", "nb.ipynb", "--json"))
    assert [(v["number"], v["message"]) for v in versions] == [(2, "release"), (1, "first")]


def test_log_and_show_say_what_uses_each_version(tmp_path: Path) -> None:
    """Runs that executed a version, a job pinned to it, packages extracted from it: one
    query for the whole log, in a few words per version."""
    write(tmp_path / "nb.ipynb", rich_notebook())
    first = as_json(nbtools(tmp_path, "save", "nb.ipynb", "--json"))
    write(tmp_path / "nb.ipynb", edit(rich_notebook(), 1, "x = 42"))
    nbtools(tmp_path, "save", "nb.ipynb")
    project = Project(tmp_path)
    try:
        for kind, ref in [*(("run", str(n)) for n in range(3, 10)), ("job", "2")]:
            versioning.pin(project, first["id"], kind, ref)
        versioning.pin(project, first["id"], "extraction", "packages/nb")
    finally:
        project.close()
    log = CliRunner(env={"COLUMNS": "250"}).invoke(
        cli, ["--root", str(tmp_path), "version", "log", "nb.ipynb"]
    )
    rows = {row["version"]: row["used by"] for row in table_rows(log.output)}
    assert rows == {
        "2": "",
        "1": "package packages/nb · job 2 · runs 3, 4, 5, 6, 7 and 2 more",
    }
    listed = as_json(nbtools(tmp_path, "log", "nb.ipynb", "--json"))
    assert [len(v["references"]) for v in listed] == [0, 9]
    write(tmp_path / "plain.ipynb", rich_notebook())
    nbtools(tmp_path, "save", "plain.ipynb")
    plain = CliRunner(env={"COLUMNS": "80"}).invoke(
        cli, ["--root", str(tmp_path), "version", "log", "plain.ipynb"]
    )
    (row,) = table_rows(plain.output)  # no message, nothing uses it: neither column
    assert list(row) == ["version", "saved", "user", "size", "cells changed"]
    assert len(plain.output.splitlines()) == 6  # a version a line at 80 columns
    shown = CliRunner(env={"COLUMNS": "250"}).invoke(
        cli, ["--root", str(tmp_path), "version", "show", "nb.ipynb", "1"]
    )
    fields = {row["field"]: row["value"] for row in table_rows(shown.output)}
    assert fields["used by"] == rows["1"]


def test_a_metadata_change_shows_its_values(tmp_path: Path) -> None:
    path = tmp_path / "nb.ipynb"
    nb = rich_notebook()
    nb["cells"][1]["metadata"] = {"tags": ["main"], "collapsed": True}
    write(path, nb)
    nbtools(tmp_path, "save", "nb.ipynb")
    nb["cells"][1]["metadata"] = {"tags": ["main", "serve"], "note": "x" * 100}
    nb["metadata"]["nbtools"] = {"purpose": "churn-model"}
    write(path, nb)
    diff = nbtools(tmp_path, "diff", "nb.ipynb").output
    assert 'metadata tags: ["main"] → ["main", "serve"]' in diff
    assert "metadata collapsed: removed (was true)" in diff
    assert f'metadata note: added "{"x" * 38}…' in diff  # cut to one short line
    assert 'notebook metadata nbtools: added {"purpose": "churn-model"}' in diff


def test_restore_and_restore_as_a_copy(tmp_path: Path) -> None:
    path = tmp_path / "nb.ipynb"
    original = write(path, rich_notebook())
    nbtools(tmp_path, "save", "nb.ipynb")
    write(path, edit(rich_notebook(), 1, "changed"))
    copy = nbtools(tmp_path, "restore", "nb.ipynb", "1", "--as", "copy.ipynb")
    assert "Wrote version 1 of nb.ipynb to copy.ipynb." in copy.output
    assert (tmp_path / "copy.ipynb").read_bytes() == original
    restored = nbtools(tmp_path, "restore", "nb.ipynb", "1")
    assert restored.output == (
        "Restored version 1 onto nb.ipynb. Its previous state is version 2; the restored state "
        "is version 3.\n"
    )
    assert path.read_bytes() == original
    assert nbtools(tmp_path, "restore", "nb.ipynb", "1").output == (
        "nb.ipynb already has the content of version 1.\n"
    )
    path.unlink()
    missing = nbtools(tmp_path, "restore", "nb.ipynb", "2")
    assert missing.output == (
        "Restored version 2 onto nb.ipynb, which was missing. The restored state is version 4.\n"
    )
    path.unlink()
    latest = nbtools(tmp_path, "restore", "nb.ipynb", "2")
    assert latest.output == (
        "Restored version 2 onto nb.ipynb, which was missing. That is the content of its latest "
        "version, 4: no new version was recorded.\n"
    )
    assert [v["number"] for v in as_json(nbtools(tmp_path, "log", "nb.ipynb", "--json"))] == [
        4,
        3,
        2,
        1,
    ]
    path.unlink()
    answer = as_json(nbtools(tmp_path, "restore", "nb.ipynb", "latest", "--json"))
    assert (answer["before"], answer["after"]["number"], answer["after"]["recorded"]) == (
        None,
        4,
        False,
    )


def test_a_lone_surrogate_is_kept_and_a_good_version_restored_over_it(tmp_path: Path) -> None:
    """Valid JSON may hold a lone surrogate ("\\ud83d"), which no UTF-8 character is: the
    version keeps it whole, and restoring a good version over the file works."""
    path = tmp_path / "nb.ipynb"
    good = write(path, rich_notebook())
    nbtools(tmp_path, "save", "nb.ipynb")
    damaged = good.replace(b'"x = 1\\n"', b'"x\\ud83d = 1\\n"')
    assert damaged != good
    path.write_bytes(damaged)
    saved = as_json(nbtools(tmp_path, "save", "nb.ipynb", "--json"))
    assert (saved["number"], saved["size"]) == (2, len(damaged))
    model = as_json(nbtools(tmp_path, "diff", "nb.ipynb", "1", "--json"))  # against the file
    assert {"op": "+", "text": "x\ud83d = 1"} in model["cells"][1]["source"]
    shown = nbtools(tmp_path, "show", "nb.ipynb", "2", "--notebook")
    assert shown.exit_code == 0, shown.output
    assert shown.stdout.encode() == damaged  # as the file had it, the escape included
    restored = nbtools(tmp_path, "restore", "nb.ipynb", "1")
    assert restored.exit_code == 0, restored.output
    assert path.read_bytes() == good
    nbtools(tmp_path, "restore", "nb.ipynb", "2")
    assert path.read_bytes() == damaged
    assert nbtools(tmp_path, "verify").exit_code == 0


def test_terminal_control_sequences_are_shown_not_obeyed(tmp_path: Path) -> None:
    """A cell or a message that would retitle, clear or colour the terminal is printed with its
    control characters escaped; --json keeps them exactly."""
    path = tmp_path / "nb.ipynb"
    write(path, rich_notebook())
    nbtools(tmp_path, "save", "nb.ipynb")
    write(path, edit(rich_notebook(), 1, "x = 1\n\x1b]0;PWNED\x07\x1b[2J"))
    evil = "evil \x1b[31mred\x1b[0m"
    nbtools(tmp_path, "save", "nb.ipynb", "-m", evil)
    diff = nbtools(tmp_path, "diff", "nb.ipynb", "1", "2")
    assert "+ \\x1b]0;PWNED\\x07\\x1b[2J" in diff.output
    log = CliRunner(env={"COLUMNS": "200"}).invoke(
        cli, ["--root", str(tmp_path), "version", "log", "nb.ipynb"]
    )
    assert [row["message"] for row in table_rows(log.output)] == [
        "★ evil \\x1b[31mred\\x1b[0m",
        "",
    ]
    refused = nbtools(tmp_path, "show", "nb.ipynb", "\x1b[2J\u202e")
    assert refused.exit_code == 2
    assert "'\\x1b[2J\\u202e' is not a version reference" in refused.output  # escaped once
    write(tmp_path / "other.ipynb", rich_notebook())
    nbtools(tmp_path, "save", "other.ipynb")
    named = nbtools(tmp_path, "save", "other.ipynb", "-m", "\x1b]0;PWNED\x07")
    assert named.output == "Named version 1 of other.ipynb: \\x1b]0;PWNED\\x07\n"
    for result in (diff, log, refused, named):
        assert "\x1b" not in result.output
        assert "\x07" not in result.output
    assert as_json(nbtools(tmp_path, "log", "nb.ipynb", "--json"))[0]["message"] == evil
    model = as_json(nbtools(tmp_path, "diff", "nb.ipynb", "1", "2", "--json"))
    assert {"op": "+", "text": "\x1b]0;PWNED\x07\x1b[2J"} in model["cells"][1]["source"]
    path.write_bytes(path.read_bytes().replace(b'"x = 1\\n"', b'"x\\ud83d = 1\\n"'))
    surrogate = nbtools(tmp_path, "diff", "nb.ipynb")  # no encoding writes it: escaped too
    assert (surrogate.exit_code, "+ x\\ud83d = 1" in surrogate.output) == (0, True)


def test_gc_and_verify(tmp_path: Path) -> None:
    path = tmp_path / "nb.ipynb"
    for step in range(4):
        write(path, edit(rich_notebook(), 1, f"x = {step}"))
        nbtools(tmp_path, "save", "nb.ipynb")
    dry = nbtools(tmp_path, "gc", "--keep", "2", "--dry-run")
    assert "Would remove 2 versions; 2 kept." in dry.output
    report = as_json(nbtools(tmp_path, "gc", "--keep", "2", "--json"))
    assert [v["number"] for v in report["versions_removed"]] == [2, 1]
    assert "Checked" in nbtools(tmp_path, "verify").output
    ObjectStore(tmp_path / ".nbtools" / "versions").pack_path(2).write_bytes(b"garbage!")
    damaged = nbtools(tmp_path, "verify")
    assert damaged.exit_code == 1
    assert "nb.ipynb version 4:" in damaged.output
    assert "unreadable version" in damaged.output


def test_bad_input_exits_2_with_a_message(tmp_path: Path) -> None:
    cases = [
        (("save", "missing.ipynb"), "Notebook not found: missing.ipynb"),
        (("save", "../outside.ipynb"), "contains '..'"),
        (("save", "a" * 300 + ".ipynb"), "is too long for the file system"),
        (("show", "a" * 300 + ".ipynb"), "is too long for the file system"),
        (("log", "nb.ipynb", "--limit", "0"), "0 is not in the range 1<=x<=2147483647."),
        (("show", "nb.ipynb", "7"), "has no version '7'. List its versions with"),
        (
            ("diff", "draft.ipynb", "1", "2"),
            "draft.ipynb has no versions yet: `nbtools version save",
        ),
        (("show", "ghost.ipynb"), "ghost.ipynb has no versions, and there is no such notebook"),
        (("diff", "nb.ipynb", "first"), "'first' is not a version reference"),
        (("gc", "--keep", "0"), "0 is not in the range x>=1."),
        (("restore", "nb.ipynb", "1", "--as", "nb.ipynb"), "nb.ipynb already exists"),
        # every refusal of the copy's path names the option
        (("restore", "nb.ipynb", "1", "--as", "../x.ipynb"), "contains '..': give a path "),
        (("restore", "nb.ipynb", "1", "--as", "../x.ipynb"), "See --as."),
        (("restore", "nb.ipynb", "1", "--as", "/elsewhere/x.ipynb"), "with --root. See --as."),
        (("restore", "nb.ipynb", "1", "--as", "copy.txt"), "must end in .ipynb: 'copy.txt'. See"),
        (("restore", "nb.ipynb", "1", "--as", ".nbtools/y.ipynb"), "outside it. See --as."),
        (
            ("restore", "nb.ipynb", "1", "--as", ".nbtools/x.ipynb"),
            "'.nbtools/x.ipynb' is in the nbtools store directory",
        ),
        (("save", ".nbtools/nbtools.db"), "is in the nbtools store directory"),
        # an empty message names its option, blank or not
        (("save", "nb.ipynb", "-m", ""), "give a few words or omit it. See --message."),
        (("save", "nb.ipynb", "-m", " \t"), "give a few words or omit it. See --message."),
        (("save", "nb.ipynb", "-m", "x" * 4097), "at most 4096 characters, without NUL. See --"),
    ]
    write(tmp_path / "nb.ipynb", rich_notebook())
    nbtools(tmp_path, "save", "nb.ipynb")
    write(tmp_path / "draft.ipynb", rich_notebook())  # never saved as a version
    (tmp_path / "truncated.ipynb").write_bytes(b'{"nbformat": 4, "cells": [{"cell_type"')
    cases.append((("save", "truncated.ipynb"), "looks truncated"))
    restore_over = ("restore", "nb.ipynb", "1")
    cases.append((restore_over, "Restore the version as a copy, or move the file aside. See --as."))
    for args, message in cases:
        if args == restore_over:  # the notebook is damaged now: restoring would lose it
            (tmp_path / "nb.ipynb").write_bytes(b'{"nbformat": 4, "cells": [')
        result = nbtools(tmp_path, *args)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output, (args, result.output)


def test_log_refuses_a_notebook_that_neither_exists_nor_has_versions(tmp_path: Path) -> None:
    for args in (("log", "typo.ipynb"), ("log", "typo.ipynb", "--json")):
        result = nbtools(tmp_path, *args)
        assert result.exit_code == 2, result.output
        assert "typo.ipynb has no versions, and there is no such notebook" in result.output
    assert json.loads(nbtools(tmp_path, "log", "typo.ipynb", "--json").stdout)["error"] == (
        "NotFoundError"
    )
    write(tmp_path / "new.ipynb", rich_notebook())  # exists, never saved: an empty history
    empty = nbtools(tmp_path, "log", "new.ipynb")
    assert (empty.exit_code, empty.output) == (
        0,
        "new.ipynb has no versions yet. Record one with `nbtools version save`.\n",
    )
    assert as_json(nbtools(tmp_path, "log", "new.ipynb", "--json")) == []
    nbtools(tmp_path, "save", "new.ipynb")
    (tmp_path / "new.ipynb").unlink()  # deleted: the log is how to find what to restore
    assert [v["number"] for v in as_json(nbtools(tmp_path, "log", "new.ipynb", "--json"))] == [1]
    assert "Versions of new.ipynb" in nbtools(tmp_path, "log", "new.ipynb").output


def test_a_number_past_every_version_is_bad_input_answered_in_json(tmp_path: Path) -> None:
    """Numbers too large for the store, and digits that are not ASCII, are a clean exit 2 with
    the error as the JSON answer, never a traceback."""
    original = write(tmp_path / "nb.ipynb", rich_notebook())
    nbtools(tmp_path, "save", "nb.ipynb")
    huge = "99999999999999999999"
    cases = [
        (("show", "nb.ipynb", huge), "NotFoundError", f"nb.ipynb has no version '{huge}'"),
        (("show", "nb.ipynb", f"latest~{huge}"), "NotFoundError", "has no version 'latest~"),
        (("diff", "nb.ipynb", huge), "NotFoundError", f"has no version '{huge}'"),
        (("diff", "nb.ipynb", "1", huge), "NotFoundError", f"has no version '{huge}'"),
        (("restore", "nb.ipynb", huge), "NotFoundError", f"has no version '{huge}'"),
        (
            ("restore", "nb.ipynb", "\u0661"),
            "InvalidInputError",
            "'\u0661' is not a version reference",
        ),
        (
            ("show", "nb.ipynb", "\u0661"),
            "InvalidInputError",
            "'\u0661' is not a version reference",
        ),
        (
            ("log", "nb.ipynb", "-n", str(2**63)),
            "BadParameter",
            f"'-n' / '--limit': {2**63} is not in the range 1<=x<={2**31 - 1}.",
        ),
    ]
    for args, error, message in cases:
        result = nbtools(tmp_path, *args, "--json")
        assert result.exit_code == 2, (args, result.output)
        answer = json.loads(result.stdout)
        assert (answer["error"], message in answer["message"]) == (error, True), answer
        assert "Traceback" not in result.output
    assert (tmp_path / "nb.ipynb").read_bytes() == original
    assert [v["number"] for v in as_json(nbtools(tmp_path, "log", "nb.ipynb", "--json"))] == [1]


def test_messages_name_notebooks_relative_to_the_root(tmp_path: Path) -> None:
    """As save and restore do, diff names a missing or damaged file by its path in the root,
    and a symbolic link leading out of the root is refused naming the root."""
    root = tmp_path / "root"
    root.mkdir()
    write(root / "one.ipynb", rich_notebook())
    nbtools(root, "save", "one.ipynb")
    (root / "one.ipynb").unlink()
    write(root / "nb.ipynb", rich_notebook(image_seed=2))  # not one.ipynb moved: other content
    nbtools(root, "save", "nb.ipynb")
    (root / "nb.ipynb").write_bytes(b'{"nbformat": 4, "cells": [{"cell_type"')
    outside = tmp_path / "outside.ipynb"
    write(outside, rich_notebook())
    (root / "link.ipynb").symlink_to(outside)
    cases = [
        (("diff", "one.ipynb", "1", "disk"), "Notebook not found: one.ipynb"),
        (("diff", "one.ipynb", "disk", "1"), "Notebook not found: one.ipynb"),
        (("diff", "nb.ipynb"), "nb.ipynb is not valid JSON at line 1"),
        (("diff", "nb.ipynb", "1", "disk"), "nb.ipynb is not valid JSON at line 1"),
        (("save", "nb.ipynb"), "nb.ipynb is not valid JSON at line 1"),
        (
            ("save", "link.ipynb"),
            f"'link.ipynb' leads outside the root {root.resolve()} through a symbolic link",
        ),
        (("save", "../outside.ipynb"), f"give a path inside the root {root.resolve()}"),
    ]
    for args, message in cases:
        result = nbtools(root, *args)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output, (args, result.output)
        assert f"{root}/" not in result.output, (args, result.output)  # no absolute path


def test_a_store_that_cannot_be_written_is_a_clear_error(tmp_path: Path) -> None:
    write(tmp_path / "nb.ipynb", rich_notebook())
    (tmp_path / ".nbtools" / "versions").mkdir(parents=True)
    (tmp_path / ".nbtools" / "versions" / "packs").write_text("not a folder")
    result = nbtools(tmp_path, "save", "nb.ipynb")
    assert result.exit_code == 2
    assert "Cannot write to the version store" in result.output
    assert nbtools(tmp_path, "log", "nb.ipynb").output.startswith("nb.ipynb has no versions")


def test_versioning_imports_neither_nbformat_nor_nbdime() -> None:
    code = (
        "import sys; import nbtools.cli.version, nbtools.versioning; "
        "print([m for m in ('nbformat', 'nbdime', 'jupyter_server') if m in sys.modules])"
    )
    result = run_python(code)
    assert result.stdout.strip() == "[]"


def test_a_size_is_never_split_in_the_log(tmp_path: Path) -> None:
    """At 60 columns, ``version log`` split ``2.1 KiB`` into ``2.1`` and ``KiB`` on two
    lines; a size is a number, which never breaks in a table (cli.md)."""
    source = "x = 1000  # a line to make the notebook larger"
    write(tmp_path / "nb.ipynb", make_notebook([("code", source, [])] * 30))
    message = "a longer message that takes room in the table, as a real one does"
    assert nbtools(tmp_path, "save", "nb.ipynb", "-m", message).exit_code == 0
    for columns in ("60", "80", "40"):
        shown = CliRunner(env={"COLUMNS": columns}).invoke(
            cli, ["--root", str(tmp_path), "version", "log", "nb.ipynb"]
        )
        assert shown.exit_code == 0, shown.output
        size = next(v["size"] for v in as_json(nbtools(tmp_path, "log", "nb.ipynb", "--json")))
        assert size > 1024
        assert f"{size / 1024:.1f} KiB" in shown.output, shown.output
