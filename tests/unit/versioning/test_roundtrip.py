"""Every recorded version reads back byte for byte, whatever the edits between saves.

A seeded random walk over a realistic notebook (code and markdown cells; stream, JSON, HTML,
error and image outputs, the images of random and of repetitive bytes; astral characters,
combining marks, lone surrogates, CRLF and other line breaks; empty sources, very long lines, cells longer than
deflate's window and than ``DELTA_LIMIT``) records a version after each edit: a change near the
start, middle or end of a cell, cells inserted, deleted and moved, outputs changed, metadata
only, a cell emptied or grown, an identical save, an earlier version's content saved again or
restored. After every save each version recorded so far must read back as the exact bytes
saved (the notebook as ``notebook_bytes`` writes it, as JupyterLab does), and ``verify`` must
pass; at the end the same holds for the store opened afresh by a new :class:`Project`.

The same walk, with more seeds and versions, is what a change to the stored form (deltas,
chains, packs) should be run against locally: ``run_walk(project, seed, saves=500)``.
"""

from __future__ import annotations

import base64
import copy
import random
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import select

from nbtools import versioning
from nbtools.project import Project
from nbtools.versioning.content import version_notebook
from nbtools.versioning.files import notebook_bytes
from nbtools.versioning.objects import (
    DELTA_LIMIT,
    SPAN_DELTA,
    ZLIB,
    apply_span_delta,
    span_delta,
)
from nbtools.versioning.parts import canonical_json, stored_text
from nbtools.versioning.tables import version_objects

KIB = 1024
# What a cell's text is made of: multi-character pieces keep astral characters, combining
# sequences and CRLF whole (an edit may still split a line break or a sequence, as users can).
_LINE_PIECES = [
    *"abcdefghijklmnopqrstuvwxyz ABCXYZ0123456789_=+-*/()[]{}:;,.'\"#\t",
    "print(x)",
    "    ",
    "é",
    "e\u0301",  # e + combining acute
    "a\u0308\u0301",  # two combining marks
    "日本語",
    "😀",
    "\U0001d518\U0001d52b\U0001d526",  # astral letters (Fraktur Uni)
    "\U0001f468\u200d\U0001f469\u200d\U0001f467",  # a ZWJ sequence
    "\u00a0",
    "\\n",
    "\ufeff",
    "\ud83d",  # a lone surrogate: JSON holds one ("\\ud83d"), UTF-8 cannot (high ones only:
    # a high one just before a low one would be a pair, read back as one astral character)
]
_BREAKS = ["\n"] * 8 + ["\r\n", "\r", "\u2028", "\x0c", "\x85", "\x1e"]


def text(rng: random.Random, pieces: int, breaks: bool = True) -> str:
    """About ``pieces`` pieces of text, with line breaks of every kind unless ``breaks`` is
    false (one long line)."""
    population = _LINE_PIECES + (_BREAKS if breaks else [])
    return "".join(rng.choices(population, k=pieces))


def long_text(rng: random.Random, size: int) -> str:
    """Code-like text of at least ``size`` UTF-8 bytes: a few distinct lines, repeated with
    changes (as long generated cells are), so it compresses but not to nothing."""
    lines = [text(rng, rng.randint(0, 60), breaks=False) + "\n" for _ in range(40)]
    out: list[str] = []
    length = 0
    while length < size:
        line = rng.choice(lines) if rng.random() < 0.8 else text(rng, 30, breaks=False) + "\n"
        out.append(line)
        length += len(stored_text(line))
    return "".join(out)


def image(rng: random.Random, size: int) -> str:
    """A base64 image of random (incompressible) or repetitive bytes, as kernels write it:
    with a final newline or without, or line-wrapped (then kept as text)."""
    if rng.random() < 0.5:
        raw = b"\x89PNG\r\n\x1a\n" + rng.randbytes(size)
    else:
        raw = b"\x89PNG\r\n\x1a\n" + bytes(rng.randrange(4) for _ in range(8)) * (size // 8)
    encoded = base64.b64encode(raw).decode()
    form = rng.choice(["plain", "newline", "wrapped"])
    if form == "newline":
        return encoded + "\n"
    if form == "wrapped":
        return base64.encodebytes(raw).decode()
    return encoded


def json_value(rng: random.Random, depth: int = 0) -> Any:
    """A JSON value of every kind (floats that JSON keeps exactly, -0.0 among them)."""
    kind = rng.randrange(7 if depth < 3 else 4)
    if kind == 0:
        return rng.choice([0, -1, 2**53, 0.1, -0.0, 1e-7, 1.5e300])
    if kind == 1:
        return text(rng, rng.randint(0, 12))
    if kind == 2:
        return rng.choice([True, False, None])
    if kind == 3:
        return ""
    if kind == 4:
        return [json_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {
        text(rng, 3, breaks=False): json_value(rng, depth + 1) for _ in range(rng.randint(0, 4))
    }


def output(rng: random.Random, image_size: int) -> dict[str, Any]:
    kind = rng.randrange(5)
    if kind == 0:
        name = rng.choice(["stdout", "stderr"])
        return {"output_type": "stream", "name": name, "text": text(rng, rng.randint(0, 200))}
    if kind == 1:
        return {
            "output_type": "execute_result",
            "execution_count": rng.randint(1, 99),
            "metadata": {},
            "data": {"text/plain": text(rng, 40), "application/json": json_value(rng)},
        }
    if kind == 2:
        return {
            "output_type": "display_data",
            "metadata": {"image/png": {"width": rng.randint(1, 900)}} if rng.random() < 0.5 else {},
            "data": {"image/png": image(rng, image_size), "text/plain": "<Figure>"},
        }
    if kind == 3:
        return {
            "output_type": "display_data",
            "metadata": {},
            "data": {"text/html": text(rng, 100), "image/svg+xml": "<svg>\n" + text(rng, 50)},
        }
    return {
        "output_type": "error",
        "ename": "ValueError",
        "evalue": text(rng, 10),
        "traceback": [text(rng, 20) for _ in range(rng.randint(0, 3))],
    }


@dataclass
class Walk:
    """The notebook being edited, and what each recorded version must read back as."""

    rng: random.Random
    big: int  # the size of the cells longer than deflate's window
    image_size: int
    nb: dict[str, Any] = field(default_factory=dict)
    next_id: int = 0
    #: version id → the bytes saved for it.
    saved: dict[int, bytes] = field(default_factory=dict)
    #: version id → the saved notebook as compact JSON (quicker to compare, and equal exactly
    #: when the bytes are: ``notebook_bytes`` is a function of it).
    compact: dict[int, bytes] = field(default_factory=dict)
    #: the notebooks saved so far, to go back to.
    states: list[dict[str, Any]] = field(default_factory=list)

    def cell(self, source: str | None = None) -> dict[str, Any]:
        rng = self.rng
        self.next_id += 1
        source = text(rng, rng.randint(0, 300)) if source is None else source
        if rng.random() < 0.3:
            return {
                "id": f"c{self.next_id}",
                "cell_type": "markdown",
                "metadata": {},
                "source": source,
            }
        outputs = [output(rng, self.image_size) for _ in range(rng.randint(0, 3))]
        return {
            "id": f"c{self.next_id}",
            "cell_type": "code",
            "metadata": {"tags": ["parameters"]} if rng.random() < 0.1 else {},
            "execution_count": rng.choice([None, rng.randint(1, 50)]),
            "outputs": outputs,
            "source": source,
        }

    def start(self) -> None:
        rng = self.rng
        cells = [self.cell() for _ in range(8)]
        cells += [self.cell(""), self.cell(text(rng, 3000, breaks=False))]  # empty, one long line
        cells += [self.cell(long_text(rng, self.big)), self.cell(long_text(rng, DELTA_LIMIT + KIB))]
        rng.shuffle(cells)
        self.nb = {
            "nbformat": 4,
            "nbformat_minor": 5,
            "metadata": {
                "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                "language_info": {"name": "python"},
            },
            "cells": cells,
        }

    # -- edits: each changes self.nb (a copy of the last state) ---------------------------------

    def some_cell(self) -> dict[str, Any] | None:
        cells: list[dict[str, Any]] = self.nb["cells"]
        return self.rng.choice(cells) if cells else None

    def edit_source(self) -> None:
        """Characters inserted, replaced or removed near a cell's start, middle or end."""
        cell = self.some_cell()
        if cell is None:
            return
        rng, source = self.rng, cell["source"]
        near = rng.randint(0, 3)
        position = rng.choice(
            [min(near, len(source)), len(source) // 2, max(0, len(source) - near)]
        )
        cut = rng.randint(0, 5)  # characters replaced (none: an insertion)
        cell["source"] = source[:position] + text(rng, rng.randint(0, 8)) + source[position + cut :]

    def insert_cell(self) -> None:
        cells = self.nb["cells"]
        cells.insert(self.rng.randint(0, len(cells)), self.cell())

    def delete_cell(self) -> None:
        cells = self.nb["cells"]
        if len(cells) > 1:
            del cells[self.rng.randrange(len(cells))]

    def move_cell(self) -> None:
        cells = self.nb["cells"]
        moved = cells.pop(self.rng.randrange(len(cells)))
        cells.insert(self.rng.randint(0, len(cells)), moved)

    def change_outputs(self) -> None:
        code = [cell for cell in self.nb["cells"] if cell["cell_type"] == "code"]
        if not code:
            return
        rng, outputs = self.rng, self.rng.choice(code)["outputs"]
        action = rng.randrange(3)
        if action == 0 or not outputs:
            outputs.insert(rng.randint(0, len(outputs)), output(rng, self.image_size))
        elif action == 1:
            outputs[rng.randrange(len(outputs))] = output(rng, self.image_size)
        else:
            del outputs[rng.randrange(len(outputs))]

    def change_metadata(self) -> None:
        rng = self.rng
        if rng.random() < 0.5:
            self.nb["metadata"]["nbtools_test"] = json_value(rng)
        else:
            cell = self.some_cell()
            if cell is not None:
                cell["metadata"]["note"] = text(rng, 5)

    def empty_cell(self) -> None:
        cell = self.some_cell()
        if cell is not None:
            cell["source"] = ""

    def grow_cell(self) -> None:
        cell = self.some_cell()
        if cell is not None:
            size = self.rng.choice([self.big, DELTA_LIMIT + KIB])
            cell["source"] += long_text(self.rng, size - len(stored_text(cell["source"])))

    EDITS = {
        edit_source: 30,
        insert_cell: 6,
        delete_cell: 5,
        move_cell: 5,
        change_outputs: 10,
        change_metadata: 5,
        empty_cell: 2,
        grow_cell: 2,
    }


def check_all(project: Project, walk: Walk, exact: bool = True) -> None:
    """Every version recorded reads back as saved: its bytes, or with ``exact=False`` its
    compact JSON (the same test, several times quicker than writing the notebook's bytes)."""
    for version_id, expected in walk.saved.items():
        version = versioning.get(project, version_id)
        assert version.size == len(expected)
        if exact:
            found = notebook_bytes(version_notebook(project, version))
        else:
            found, expected = (
                canonical_json(version_notebook(project, version)),
                walk.compact[version_id],
            )
        assert found == expected, f"version {version.number} does not read back as saved"


def save(project: Project, walk: Walk, nb: dict[str, Any]) -> None:
    """Record ``nb`` as JupyterLab's save would (the file's bytes) or as a dict; check it."""
    expected = notebook_bytes(nb)
    path = project.root / "nb.ipynb"
    path.write_bytes(expected)
    latest = versioning.latest(project, "nb.ipynb")
    message = "named" if walk.rng.random() < 0.05 else None
    content = expected if walk.rng.random() < 0.7 else copy.deepcopy(nb)
    version = versioning.commit(project, "nb.ipynb", content, message=message)
    if latest is not None and latest.manifest == version.manifest and not version.recorded:
        assert walk.saved[version.id] == expected  # identical content: no new version
    else:
        assert version.recorded
        walk.saved[version.id] = expected
        walk.compact[version.id] = canonical_json(nb)
    walk.states.append(copy.deepcopy(nb))


def step(project: Project, walk: Walk) -> None:
    """One random edit (or an identical save, a revert, a restore) and its save."""
    rng = walk.rng
    roll = rng.random()
    if roll < 0.05:  # identical re-save
        save(project, walk, copy.deepcopy(walk.nb))
    elif roll < 0.10:  # an earlier state saved again, exactly
        walk.nb = copy.deepcopy(rng.choice(walk.states))
        save(project, walk, copy.deepcopy(walk.nb))
    elif roll < 0.13:  # a version put back through restore
        version_id = rng.choice(list(walk.saved))
        expected = walk.saved[version_id]
        restored = versioning.restore(project, versioning.get(project, version_id))
        assert (project.root / "nb.ipynb").read_bytes() == expected
        if restored.after.recorded:
            walk.saved[restored.after.id] = expected
            walk.compact[restored.after.id] = walk.compact[version_id]
        walk.nb = version_notebook(project, versioning.get(project, version_id))
        walk.states.append(copy.deepcopy(walk.nb))
    else:
        edits = list(Walk.EDITS)
        for _ in range(rng.choice([1, 1, 1, 2, 3])):
            rng.choices(edits, weights=list(Walk.EDITS.values()))[0](walk)
        save(project, walk, copy.deepcopy(walk.nb))


def run_walk(
    project: Project,
    seed: int,
    saves: int,
    big: int = 40 * KIB,
    image_size: int = 3000,
    check_every: int = 1,
    verify_every: int = 20,
    gc_every: int = 0,
) -> Walk:
    """``saves`` random saves of one notebook; every version is read back after every
    ``check_every`` saves (the newest after each), ``verify`` run every ``verify_every``, and
    with ``gc_every`` old versions collected (keeping 5 to 30) that often."""
    walk = Walk(random.Random(seed), big, image_size)
    walk.start()
    save(project, walk, copy.deepcopy(walk.nb))
    for number in range(1, saves):
        step(project, walk)
        newest = versioning.latest(project, "nb.ipynb")
        assert newest is not None
        assert canonical_json(version_notebook(project, newest)) == walk.compact[newest.id]
        if number % check_every == 0:
            check_all(project, walk, exact=False)
        if gc_every and number % gc_every == 0:
            versioning.collect_garbage(project, keep=walk.rng.randint(5, 30))
            kept = {version.id for version in versioning.history(project, "nb.ipynb")}
            walk.saved = {key: value for key, value in walk.saved.items() if key in kept}
            check_all(project, walk, exact=False)
        if number % verify_every == 0:
            assert versioning.verify(project).ok
    check_all(project, walk, exact=False)
    report = versioning.verify(project)
    assert report.ok, report.to_dict()
    return walk


@pytest.mark.parametrize("seed", [1, 2])
def test_every_version_reads_back_exactly_as_saved(project: Project, seed: int) -> None:
    walk = run_walk(project, seed, saves=60, check_every=10)
    assert len(walk.saved) > 40
    with project.store.connection() as connection:
        stored = connection.execute(select(version_objects.c.encoding, version_objects.c.size))
        forms = {(row.encoding, row.size > DELTA_LIMIT) for row in stored}
    assert {(SPAN_DELTA, False), (ZLIB, True)} <= forms  # deltas, and objects too long for one
    reopened = Project(project.root)
    try:
        check_all(reopened, walk)
        assert versioning.verify(reopened).ok
    finally:
        reopened.close()


def adversarial_pairs() -> list[tuple[bytes, bytes]]:
    """(data, base) pairs whose common start and end are empty, everything, or overlap."""
    rng = random.Random(0)
    large = rng.randbytes(1024 * KIB)
    text = stored_text(long_text(rng, 100 * KIB))
    return [
        (b"", b""),
        (b"same", b"same"),
        (large, large),
        (b"", b"base only"),
        (b"data only", b""),
        (b"abc", b"abcdef"),  # data a prefix of the base
        (b"abcdef", b"abc"),  # the base a prefix of the data
        (b"def", b"abcdef"),  # data a suffix of the base
        (b"abcdef", b"def"),
        (b"aa", b"aaaa"),  # the common start and end would overlap
        (b"aaaa", b"aa"),
        (b"ab", b"abab"),
        (b"abab", b"ab"),
        (b"aba", b"ababa"),
        (b"Xbcdef", b"abcdef"),  # one byte changed at either end
        (b"abcdeX", b"abcdef"),
        (b"\x00" + large[1:], large),
        (large[:-1] + bytes([large[-1] ^ 1]), large),
        (large[: 512 * KIB] + b"inserted" + large[512 * KIB :], large),
        (large[: 512 * KIB] + large[512 * KIB + 9 :], large),
        (rng.randbytes(1024 * KIB), large),  # nothing in common
        (text[:40_000] + b"edit" + text[40_004:], text),  # past deflate's window
        (text[:10] + b"\r\n" + text[10:], text),
    ]


@pytest.mark.parametrize(("data", "base"), adversarial_pairs())
def test_a_span_delta_applied_to_its_base_gives_back_the_data(data: bytes, base: bytes) -> None:
    assert apply_span_delta(span_delta(data, base), base) == data


def test_span_deltas_between_all_short_strings_of_two_letters_give_back_the_data() -> None:
    """Every overlap of common starts and ends a short pair can have."""
    import itertools

    words = [b""] + [
        bytes(letters) for n in range(1, 6) for letters in itertools.product(b"ab", repeat=n)
    ]
    for data, base in itertools.product(words, repeat=2):
        assert apply_span_delta(span_delta(data, base), base) == data, (data, base)
