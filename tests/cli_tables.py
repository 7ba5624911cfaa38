"""Reading the tables the command line prints (rich's box drawing), for tests."""

from __future__ import annotations


def table_rows(output: str) -> list[dict[str, str]]:
    """The rows of a printed table, each cell's wrapped lines joined by spaces."""
    lines = output.splitlines()
    header = next(line for line in lines if line.startswith("┃"))
    columns = [cell.strip() for cell in header.split("┃")[1:-1]]
    rows: list[list[str]] = []
    for line in lines:
        if not line.startswith("│"):
            continue
        cells = [cell.strip() for cell in line.split("│")[1:-1]]
        if cells[0]:
            rows.append(cells)
        else:
            rows[-1] = [f"{old} {new}".strip() for old, new in zip(rows[-1], cells, strict=True)]
    return [dict(zip(columns, row, strict=True)) for row in rows]


def listings(output: str) -> list[dict[str, str]]:
    """The rows of a table a terminal too narrow for it showed as listings (``field │
    value``, a rule between rows): each row's fields, wrapped lines joined by spaces."""
    lines = output.splitlines()
    header = next(line for line in lines if line.startswith("┃"))
    chunks: list[list[str]] = [[]]
    for line in lines:
        if line.startswith("├"):
            chunks.append([])
        elif line.startswith("│"):
            chunks[-1].append(line)
    return [
        {row["field"]: row["value"] for row in table_rows("\n".join([header, *chunk]))}
        for chunk in chunks
    ]
