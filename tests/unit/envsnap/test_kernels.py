from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from nbtools.envsnap.kernels import (
    KernelSpec,
    find_kernel,
    interpreter_command,
    kernel_environment,
    list_kernels,
)
from nbtools.errors import InvalidInputError, NotFoundError
from nbtools.kernels import kernel_dirs
from tests.envsnap_support import EnvKernel


def spec(argv: list[str], language: str = "python") -> KernelSpec:
    return KernelSpec(name="k", display_name="K", language=language, argv=tuple(argv))


def test_lists_installed_kernels(env_kernel: EnvKernel) -> None:
    names = [kernel.name for kernel in list_kernels()]
    assert "envtest" in names
    assert find_kernel("EnvTest").env["PYTHONPATH"] == str(env_kernel.site)


def test_unknown_kernel_names_the_installed_ones(env_kernel: EnvKernel) -> None:
    with pytest.raises(NotFoundError) as info:
        find_kernel("no-such-kernel")
    assert "No kernel named 'no-such-kernel'" in info.value.message
    assert "envtest" in info.value.message
    assert "envtest" in info.value.details["kernels"]


def test_a_directory_without_a_valid_kernel_json_is_skipped(env_kernel: EnvKernel) -> None:
    (env_kernel.kernels / "broken").mkdir()
    (env_kernel.kernels / "broken" / "kernel.json").write_text("{not json")
    assert "broken" not in [kernel.name for kernel in list_kernels()]


BROKEN_SPECS = [
    (b'{"argv": [', "it is not valid JSON (line 1, column 11: Expecting value)"),
    (b"\xff\xfe{}", "it is not UTF-8 text"),
    (b"[1, 2]", "it is not a JSON object"),
    (b'{"display_name": "No argv"}', "it has no argv (the command line that starts the kernel)"),
    (b'{"argv": "python -m ipykernel_launcher"}', "argv is not a list of strings"),
    (b'{"argv": ["python", 3]}', "argv is not a list of strings"),
    (b'{"argv": []}', "argv is empty"),
    (b'{"argv": ["python"], "display_name": 3}', "display_name is not a string"),
    (b'{"argv": ["python"], "language": null}', "language is not a string"),
    (b'{"argv": ["python"], "env": ["A=1"]}', "env is not an object whose values are strings"),
    (b'{"argv": ["python"], "env": {"A": 1}}', "env is not an object whose values are strings"),
    (b"[" * 100_000, "its JSON is nested too deeply"),
]


@pytest.mark.parametrize(("content", "problem"), BROKEN_SPECS)
def test_an_invalid_spec_file_is_named_with_its_problem_and_left_out_of_the_list(
    env_kernel: EnvKernel, content: bytes, problem: str
) -> None:
    spec_file = env_kernel.kernels / "broken" / "kernel.json"
    spec_file.parent.mkdir()
    spec_file.write_bytes(content)
    with pytest.raises(InvalidInputError) as info:
        find_kernel("Broken")
    assert info.value.message.startswith(
        f"Kernel 'broken' has an invalid spec file, {spec_file}: {problem}"
    )
    assert info.value.details == {"field": "kernel", "kernel": "broken", "path": str(spec_file)}
    assert [kernel.name for kernel in list_kernels()] == ["envtest", "python3"]


def test_an_invalid_spec_is_not_replaced_by_another_of_its_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As in jupyter_client, the first directory holding NAME/kernel.json decides what NAME
    is, valid or not: a broken python3 spec is an error, not ipykernel's own kernel, and not
    the spec of that name further down the path."""
    first, second = tmp_path / "first", tmp_path / "second"
    monkeypatch.setenv("JUPYTER_PATH", os.pathsep.join([str(first), str(second)]))
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    for name in ("python3", "other"):
        (first / "kernels" / name).mkdir(parents=True)
        (first / "kernels" / name / "kernel.json").write_text('{"argv": [')
        (second / "kernels" / name).mkdir(parents=True)
        (second / "kernels" / name / "kernel.json").write_text(json.dumps({"argv": argv}))
    for name in ("python3", "other"):
        with pytest.raises(InvalidInputError, match=f"{first / 'kernels' / name}"):
            find_kernel(name)
    assert list_kernels() == []
    (first / "kernels" / "other" / "kernel.json").unlink()  # a folder without one is no kernel
    assert find_kernel("other").resource_dir == str(second / "kernels" / "other")


def test_interpreter_is_what_precedes_the_ipykernel_module() -> None:
    assert interpreter_command(spec(["python", "-m", "ipykernel_launcher", "-f", "x"])) == [
        sys.executable
    ]
    wrapped = spec(["env", "PYTHONNOUSERSITE=1", sys.executable, "-m", "ipykernel", "-f", "x"])
    assert interpreter_command(wrapped) == ["env", "PYTHONNOUSERSITE=1", sys.executable]


@pytest.mark.parametrize(
    ("argv", "language", "problem"),
    [
        (["R", "--slave", "-e", "IRkernel::main()"], "R", "runs R, not Python"),
        (["/opt/nowhere/bin/python3", "-m", "ipykernel_launcher"], "python", "does not exist"),
        (["some-launcher", "--flag"], "python", "Cannot tell which Python interpreter"),
    ],
)
def test_kernels_that_cannot_be_captured(argv: list[str], language: str, problem: str) -> None:
    with pytest.raises(InvalidInputError, match=problem) as info:
        interpreter_command(spec(argv, language))
    assert info.value.details["field"] == "kernel"


def test_kernel_environment_applies_the_spec_env(tmp_path: Path) -> None:
    kernel = KernelSpec("k", "K", "python", ("python",), env={"EXTRA": "${PATH}:/x"})
    environ = kernel_environment(kernel)
    assert environ["EXTRA"].endswith(":/x")
    assert "$" not in environ["EXTRA"]


def test_recorded_spec_redacts_secret_env_values() -> None:
    kernel = KernelSpec("k", "K", "python", ("python",), env={"HF_TOKEN": "x", "MODE": "prod"})
    assert kernel.to_dict()["env"] == {"HF_TOKEN": "<redacted>", "MODE": "prod"}
    assert json.dumps(kernel.to_dict())


def test_kernels_are_looked_up_where_runs_start_them_ipythons_directory_last(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Jupyter's path first, then $IPYTHONDIR/kernels (else ~/.ipython/kernels), as
    jupyter_client's default kernel spec manager: a snapshot finds the kernels runs start."""
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    found = kernel_dirs()
    assert found[0] == tmp_path / "jupyter" / "kernels"
    assert found[-1] == tmp_path / "ipython" / "kernels"
    legacy = tmp_path / "ipython" / "kernels" / "legacy"
    legacy.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    legacy.joinpath("kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "Legacy", "language": "python"})
    )
    assert find_kernel("legacy").display_name == "Legacy"
    monkeypatch.delenv("IPYTHONDIR")
    assert kernel_dirs()[-1] == Path.home() / ".ipython" / "kernels"
