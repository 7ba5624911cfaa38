"""``nbtools scheduler`` refuses unusable scale-out settings with a precise message (exit 2)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from nbtools.cli.app import cli


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--executor", "dask"], "needs the Dask scheduler's address: --dask-address"),
        (["--executor", "carrier-pigeon"], "choose one of: dask, local"),
        (["--storage", "relative/dir"], "must be absolute"),
        (["--storage", "nosuchscheme://bucket"], "Install the fsspec package for its scheme"),
        (["--lease", "0.5"], "must be at least 3 s"),
    ],
)
def test_bad_scale_out_options_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, ["--root", str(tmp_path), "scheduler", *args])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not (tmp_path / ".nbtools").exists()  # refused before anything was created
