"""What a kernel said last, read from its own output file (nbtools.kernel_files): only what it
wrote since a given size, so that a run's error never shows a line of before the run."""

from __future__ import annotations

from pathlib import Path

from nbtools.kernel_files import OUTPUT_FILE, last_line, output_size


def test_a_line_written_before_the_run_is_never_its_last_line(tmp_path: Path) -> None:
    connection_file = str(tmp_path / "kernel.json")
    assert (output_size(connection_file), last_line(connection_file)) == (0, None)
    output = tmp_path / OUTPUT_FILE
    output.write_bytes(b"a warning as the kernel started\n")
    since = output_size(connection_file)  # the run starts
    assert since == len(b"a warning as the kernel started\n")
    assert last_line(connection_file) == "a warning as the kernel started"
    assert last_line(connection_file, since) is None  # it said nothing during the run
    with output.open("ab") as more:
        more.write(b"Segmentation fault in the model\n\n")
    assert last_line(connection_file, since) == "Segmentation fault in the model"
