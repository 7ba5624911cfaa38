"""The environment REST API on a real Jupyter server, with real kernel specs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

from tests.conftest import plant
from tests.envsnap_support import EnvKernel, install_kernel, write_dist


@pytest.fixture
def env_kernel(jp_data_dir: Path, tmp_path: Path) -> EnvKernel:
    return install_kernel(jp_data_dir / "kernels", tmp_path / "site")


async def call(jp_fetch: Any, *path: str, body: Any = None, **params: str) -> Any:
    method = "GET" if body is None else "POST"
    payload = None if body is None else json.dumps(body)
    response = await jp_fetch(
        "nbtools", "api", "env", *path, method=method, body=payload, params=params
    )
    return json.loads(response.body)


async def error_of(
    jp_fetch: Any, *path: str, body: Any = None, **params: str
) -> tuple[int, dict[str, Any]]:
    with pytest.raises(HTTPClientError) as info:
        await call(jp_fetch, *path, body=body, **params)
    return info.value.code, json.loads(info.value.response.body)


async def test_snapshot_list_show_diff_check(jp_fetch: Any, env_kernel: EnvKernel) -> None:
    assert "envtest" in [k["name"] for k in await call(jp_fetch, "kernels")]
    write_dist(env_kernel.site, "served", "1.0")
    first = await call(jp_fetch, "snapshots", body={"kernel": "envtest"})
    assert first["kernel"]["name"] == "envtest"
    assert {"name": "served", "version": "1.0"}.items() <= next(
        d for d in first["distributions"] if d["name"] == "served"
    ).items()
    assert [row["id"] for row in await call(jp_fetch, "snapshots")] == [first["id"]]
    assert (await call(jp_fetch, "snapshots", first["short_id"]))["id"] == first["id"]

    no_drift = await call(jp_fetch, "check", body={"snapshot": first["id"], "kernel": "envtest"})
    assert no_drift["empty"] is True
    write_dist(env_kernel.site, "later", "2.0")
    drift = await call(jp_fetch, "check", body={"snapshot": first["id"], "kernel": "envtest"})
    assert drift["empty"] is False
    assert drift["summary"] == "1 added"
    assert drift["baseline"]["id"] == first["id"]
    difference = await call(jp_fetch, "diff", old=first["id"], new=drift["current"]["id"])
    assert difference["changes"] == [
        {"name": "later", "kind": "added", "old": None, "new": "2.0", "detail": ""}
    ]


async def test_export_returns_the_file(jp_fetch: Any, env_kernel: EnvKernel) -> None:
    write_dist(env_kernel.site, "exported", "3.1")
    taken = await call(jp_fetch, "snapshots", body={"kernel": "envtest"})
    exported = await call(jp_fetch, "snapshots", taken["id"], "export", format="requirements")
    assert exported["filename"] == "requirements.txt"
    assert exported["snapshot"] == taken["id"]
    assert "exported==3.1" in exported["content"]
    assert exported["unlocked"] == []
    assert exported["index"] is None  # a requirements.txt pins no index's files


async def test_import_then_compare(jp_fetch: Any) -> None:
    imported = await call(
        jp_fetch, "import", body={"name": "requirements.txt", "content": "six==1.16.0\n"}
    )
    assert imported["source"] == "requirements"
    assert [d["name"] for d in imported["distributions"]] == ["six"]


async def test_importing_an_empty_file_stores_an_empty_environment(jp_fetch: Any) -> None:
    """What `pip freeze` prints for a bare venv is nothing at all: `nbtools env import` of that
    file stores an empty environment, and the same text over REST was refused (400 "needs
    'content'"); a body without it still is."""
    empty = await call(jp_fetch, "import", body={"name": "requirements.txt", "content": ""})
    assert (empty["source"], empty["distribution_count"]) == ("requirements", 0)
    status, error = await error_of(jp_fetch, "import", body={"name": "requirements.txt"})
    assert (status, error["details"]["field"]) == (400, "content")


async def test_importing_stored_pins_again_answers_200_with_the_stored_snapshot(
    jp_fetch: Any,
) -> None:
    """The same pins under another name answered 201 with that name as its origin, though
    nothing was stored and the snapshot kept its first origin."""
    body = {"name": "first.txt", "content": "x==1\n"}
    first = await jp_fetch("nbtools", "api", "env", "import", method="POST", body=json.dumps(body))
    assert (first.code, json.loads(first.body)["origin"]) == (201, "first.txt")
    body["name"] = "second-name.txt"
    again = await jp_fetch("nbtools", "api", "env", "import", method="POST", body=json.dumps(body))
    stored = json.loads(again.body)
    assert (again.code, stored["origin"]) == (200, "first.txt")
    assert (await call(jp_fetch, "snapshots", stored["id"]))["origin"] == "first.txt"
    assert len(await call(jp_fetch, "snapshots")) == 1


async def test_no_answer_carries_the_login_of_a_direct_url(jp_fetch: Any) -> None:
    """A requirements file holding logins, as a user may paste it: the stored snapshot, its
    export, a diff and the refusal of a bad line show every URL without its login."""
    content = (
        "pkg @ https://bot:s3cr3t-tok@pkgs.example/pkg-1.0-py3-none-any.whl  # pkg==1.0\n"
        "vcsdep @ git+https://ghp_TOKEN123@github.com/o/v.git@abc123\n"
    )
    imported = await call(jp_fetch, "import", body={"name": "requirements.txt", "content": content})
    newer = content.replace("pkg-1.0", "pkg-1.1").replace("==1.0", "==1.1")
    other = await call(jp_fetch, "import", body={"name": "requirements.txt", "content": newer})
    answers = [
        imported,
        await call(jp_fetch, "snapshots", imported["id"]),
        await call(jp_fetch, "snapshots", imported["id"], "export", format="requirements"),
        await call(jp_fetch, "diff", old=imported["id"], new=other["id"]),
        (await error_of(jp_fetch, "import", body={"name": "r.txt", "content": "x @ " + content}))[
            1
        ],
    ]
    assert (
        "pkg @ https://pkgs.example/pkg-1.0-py3-none-any.whl  # pkg==1.0" in answers[2]["content"]
    )
    assert "vcsdep @ git+https://github.com/o/v.git@abc123" in answers[2]["content"]
    for answer in answers:
        text = json.dumps(answer)
        assert "s3cr3t-tok" not in text, text
        assert "ghp_TOKEN123" not in text, text


@pytest.mark.parametrize(
    ("path", "body", "params", "status", "message"),
    [
        (("snapshots",), {"kernel": "nope"}, {}, 404, "No kernel named 'nope'. Installed kernels:"),
        (("snapshots",), {}, {}, 400, "needs 'kernel'"),
        (("snapshots", "abc123"), None, {}, 404, "No snapshot 'abc123'"),
        (("snapshots", "zzz", "export"), None, {"format": "pdf"}, 400, "Unknown format 'pdf'"),
        (("diff",), None, {"old": "python3", "new": "ab"}, 404, "not a snapshot id"),
        (
            ("import",),
            {"name": "requirements.txt", "content": "ok==1\nbad>=2\n"},
            {},
            400,
            "requirements.txt, line 2: 'bad>=2' is not pinned",
        ),
        (
            ("import",),
            {
                "name": "pylock.toml",
                "content": 'lock-version = "1.0"\ncreated-by = "x"\n[[packages]]\nname = 3\n',
            },
            {},
            400,
            "pylock.toml, line 3: not a valid PEP 751 lock file",
        ),
    ],
)
async def test_bad_input_is_4xx_json(
    jp_fetch: Any,
    env_kernel: EnvKernel,
    path: tuple[str, ...],
    body: Any,
    params: dict[str, str],
    status: int,
    message: str,
) -> None:
    code, error = await error_of(jp_fetch, *path, body=body, **params)
    assert code == status
    assert message in error["message"]


async def test_a_kernel_with_an_invalid_spec_file_is_400_naming_the_file(
    jp_fetch: Any, env_kernel: EnvKernel
) -> None:
    """Left out of the list (not a 500), and choosing it for a snapshot or a check is a 400
    naming the field and the file, not "no kernel of that name"."""
    for name, content in (("badjson", '{"argv": ['), ("notobject", "[1, 2]")):
        (env_kernel.kernels / name).mkdir()
        (env_kernel.kernels / name / "kernel.json").write_text(content)
    listed = [k["name"] for k in await call(jp_fetch, "kernels")]
    assert "envtest" in listed
    assert not {"badjson", "notobject"} & set(listed)
    imported = await call(jp_fetch, "import", body={"name": "r.txt", "content": "six==1.16.0\n"})
    for path, body in (
        (("snapshots",), {"kernel": "notobject"}),
        (("check",), {"snapshot": imported["id"], "kernel": "badjson"}),
    ):
        code, error = await error_of(jp_fetch, *path, body=body)
        spec_file = env_kernel.kernels / body["kernel"] / "kernel.json"
        assert (code, error["error"]) == (400, "InvalidInputError")
        assert error["details"] == {
            "field": "kernel",
            "kernel": body["kernel"],
            "path": str(spec_file),
        }
        assert f"has an invalid spec file, {spec_file}: it is not" in error["message"]


async def test_a_kernel_whose_interpreter_cannot_report_is_400_naming_the_kernel(
    jp_fetch: Any, env_kernel: EnvKernel, tmp_path: Path
) -> None:
    """A snapshot or a drift check of a kernel whose interpreter fails (here it exits 1 at
    once) is refused naming the field that chose the kernel, as every 400 names its field."""
    install_kernel(env_kernel.kernels, tmp_path / "broken-site", name="broken", python="false")
    imported = await call(jp_fetch, "import", body={"name": "r.txt", "content": "six==1.16.0\n"})
    for path, body in (
        (("snapshots",), {"kernel": "broken"}),
        (("check",), {"snapshot": imported["id"], "kernel": "broken"}),
    ):
        code, error = await error_of(jp_fetch, *path, body=body)
        assert (code, error["error"]) == (400, "CaptureError")
        assert error["details"]["field"] == "kernel"
        assert "failed to report its environment (exit 1)" in error["message"]


@pytest.mark.slow
async def test_recreate_runs_venv_and_pip_in_a_directory_of_their_own(
    jp_fetch: Any, jp_root_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ``threading.py`` a user saved where the server runs (its root, here) is imported
    neither by ``python -m venv`` nor by pip (both import it first thing when started there);
    what the snapshot pins failing to install (no index here) is a 400 naming ``snapshot``,
    the directory left as it was. A recreate that succeeds answers its venv's directory
    relative to the root, as every reply writes paths."""
    monkeypatch.chdir(jp_root_dir)  # the server started in its root
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    ran = plant(jp_root_dir, "threading")
    imported = await call(jp_fetch, "import", body={"name": "r.txt", "content": "six==1.16.0\n"})
    code, error = await error_of(
        jp_fetch, "recreate", body={"snapshot": imported["id"], "path": "venv-new"}
    )
    assert (code, error["error"]) == (400, "CheckFailedError")
    assert error["details"]["field"] == "snapshot"
    assert "No matching distribution found for six==1.16.0" in error["message"]
    assert not (jp_root_dir / "venv-new").exists()
    empty = await call(jp_fetch, "import", body={"name": "r.txt", "content": "# none\n"})
    made = await call(jp_fetch, "recreate", body={"snapshot": empty["id"], "path": "venv-new"})
    assert (made["directory"], made["installed"]) == ("venv-new", 0)
    assert (jp_root_dir / "venv-new" / "bin" / "python").exists()
    assert not ran.exists(), ran.read_text()


async def test_recreate_refuses_paths_outside_the_root_and_non_empty_dirs(
    jp_fetch: Any, jp_root_dir: Path
) -> None:
    imported = await call(jp_fetch, "import", body={"name": "r.txt", "content": "six==1.16.0\n"})
    code, error = await error_of(
        jp_fetch, "recreate", body={"snapshot": imported["id"], "path": "../outside"}
    )
    assert (code, error["error"]) == (400, "PathOutsideRootError")
    (jp_root_dir / "taken").mkdir()
    (jp_root_dir / "taken" / "file.txt").write_text("keep")
    code, error = await error_of(
        jp_fetch, "recreate", body={"snapshot": imported["id"], "path": "taken"}
    )
    assert code == 400
    assert "not an empty directory" in error["message"]
    assert (jp_root_dir / "taken" / "file.txt").read_text() == "keep"


async def test_a_dry_run_recreate_makes_only_the_checks_and_names_the_refused_field(
    jp_fetch: Any, jp_root_dir: Path
) -> None:
    """What the Recreate dialog asks before it closes: 204 where a recreate would start (a new
    folder, an empty one), the recreate's own refusal naming its field otherwise; nothing is
    created either way."""
    imported = await call(jp_fetch, "import", body={"name": "r.txt", "content": "six==1.16.0\n"})
    checked = {"snapshot": imported["id"], "dry_run": True}
    (jp_root_dir / "empty").mkdir()
    for path in ("venv-new", "empty"):
        response = await jp_fetch(
            "nbtools",
            "api",
            "env",
            "recreate",
            method="POST",
            body=json.dumps({**checked, "path": path}),
        )
        assert (response.code, response.body) == (204, b"")
    assert not (jp_root_dir / "venv-new").exists()
    assert list((jp_root_dir / "empty").iterdir()) == []
    (jp_root_dir / "taken").mkdir()
    (jp_root_dir / "taken" / "file.txt").write_text("keep")
    for body, error, field in [
        ({**checked, "path": "../outside"}, "PathOutsideRootError", "path"),
        ({**checked, "path": "taken"}, "InvalidInputError", "path"),
        ({**checked, "path": "taken/file.txt/venv"}, "InvalidInputError", "path"),
        ({**checked, "path": "venv-new", "snapshot": "0" * 64}, "NotFoundError", "snapshot"),
        ({**checked, "path": "venv-new", "dry_run": "yes"}, "InvalidInputError", "dry_run"),
    ]:
        code, refusal = await error_of(jp_fetch, "recreate", body=body)
        assert (refusal["error"], refusal["details"]["field"]) == (error, field)
        assert code == (404 if error == "NotFoundError" else 400)
    assert (jp_root_dir / "taken" / "file.txt").read_text() == "keep"
    assert not (jp_root_dir / "venv-new").exists()
    # the recreate itself refuses a path under a file as the dry run does, naming path (it
    # passed the dry run, then failed at venv as the snapshot's fault)
    code, refusal = await error_of(
        jp_fetch, "recreate", body={"snapshot": imported["id"], "path": "taken/file.txt/venv"}
    )
    assert (code, refusal["details"]["field"]) == (400, "path")
    assert "taken/file.txt is not a folder" in refusal["message"]
