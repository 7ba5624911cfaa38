from __future__ import annotations

import json
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
    with pytest.raises(InvalidInputError, match=problem):
        interpreter_command(spec(argv, language))


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
