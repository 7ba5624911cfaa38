"""``nbtools scheduler`` refuses unusable scale-out settings and more local workers than the
machine bears with a precise message (exit 2)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from nbtools.cli.app import cli
from nbtools.cpus import available_cpus
from nbtools.errors import InvalidInputError
from nbtools.jobs.config import LOCAL_WORKERS_PER_CPU, JobsSettings


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--executor", "dask"], "(JobsSettings.dask_address). See --dask-address."),
        (["--executor", "carrier-pigeon"], "'carrier-pigeon' is not one of 'local', 'dask'."),
        (["--storage", "relative/dir"], "must be absolute"),
        (["--storage", "nosuchscheme://bucket"], "Install the fsspec package for its scheme"),
        (["--storage", "file://otherhost/x"], "names a file on the machine 'otherhost'"),
        (["--storage", "file:shared/x"], "file: URL without an absolute path"),
        (["--lease", "0.5"], "Invalid value for '--lease': expected a finite number from 3"),
    ],
)
def test_bad_scale_out_options_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, ["--root", str(tmp_path), "scheduler", *args])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / ".nbtools").exists()  # refused before anything was created


def test_a_file_url_of_another_machine_is_refused_naming_the_flag(tmp_path: Path) -> None:
    """Before, ``file://otherhost/x`` was read as the relative path ``otherhost/x``."""
    args = ["--root", str(tmp_path), "scheduler", "--storage", "file://otherhost/x"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert "Invalid value for '--storage'" in result.output
    assert "Storage 'file://otherhost/x' names a file on the machine 'otherhost'" in result.output


@pytest.mark.parametrize(
    "address",
    ["tcp://127.0.0.1", "notanaddress", "http://127.0.0.1:8786", "tcp://h:0", "tcp://h:x"],
)
def test_the_dask_executor_refuses_an_address_dask_cannot_read(address: str) -> None:
    """Given in code, a bad address was a ValueError from Dask's client (then a 20 s wait as
    the half-made client closed): it is the executor's bad input now, naming its setting."""
    from nbtools.errors import InvalidInputError
    from nbtools.jobs.executors.dask import DaskExecutor, check_address

    with pytest.raises(InvalidInputError) as info:
        DaskExecutor(dask_address=address)
    assert info.value.details["field"] == "dask_address"
    assert info.value.message.startswith(f"{address!r} is not a Dask scheduler address")
    for good in ("tcp://127.0.0.1:8786", "127.0.0.1:8786", "tls://dask.internal:1", "[::1]:8786"):
        check_address(good)


@pytest.mark.parametrize("given", ["flag", "variable", "config file"])
def test_more_local_workers_than_4_per_cpu_are_refused_before_anything_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, given: str
) -> None:
    """``--workers 99999999999`` forked workers (about 430) until the machine ran out of
    memory; from a flag, a variable or a config file, it is refused naming the setting."""
    too_many = LOCAL_WORKERS_PER_CPU * available_cpus() + 1
    args = ["--root", str(tmp_path), "scheduler"]
    if given == "flag":
        args += ["--workers", str(too_many)]
    elif given == "variable":
        monkeypatch.setenv("NBTOOLS_JOBS_WORKERS", str(too_many))
    else:
        config = tmp_path / "config.py"
        config.write_text(f"c.JobsSettings.workers = {too_many}\n")
        args = ["--config", str(config), *args]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert (
        f"Error: JobsSettings.workers of the local executor must be from 0 to {too_many - 1} "
        f"({LOCAL_WORKERS_PER_CPU} for each of the {available_cpus()} CPUs this process may run "
        f"on), not {too_many}. See --workers.\n"
    ) in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / ".nbtools").exists()


def test_the_cap_holds_for_local_workers_only() -> None:
    most = LOCAL_WORKERS_PER_CPU * available_cpus()
    JobsSettings(workers=most).check_workers()
    JobsSettings(workers=0).check_workers()  # the CPUs
    with pytest.raises(InvalidInputError) as refused:
        JobsSettings(workers=most + 1).check_workers()
    assert refused.value.details == {"field": "workers"}
    # a Dask cluster's workers are other machines': the setting caps its runs in flight
    JobsSettings(executor="dask", workers=10**6).check_workers()
