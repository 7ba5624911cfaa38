"""Catalog search speed with 10,000 datasets.

Fills a fresh store with N datasets (names, descriptions, tags and 5-30 column names drawn
from a business vocabulary), then times ``search_datasets`` for one- to three-word queries,
printing the median, the spread (min / 90th percentile / max) and the number of hits.

Target (issue 16): < 50 ms per search with 10,000 datasets.
Usage: python bench/bench_catalog.py [--datasets N] [--runs N] [--db-url URL]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from figures import Goal, Sample, report

from nbtools.data.search import search_datasets
from nbtools.data.tables import DatasetRecord
from nbtools.data.words import split_words, words_text
from nbtools.project import Project

VOCABULARY = [
    "customer",
    "payment",
    "amount",
    "invoice",
    "order",
    "account",
    "churn",
    "score",
    "revenue",
    "refund",
    "product",
    "price",
    "session",
    "click",
    "page",
    "campaign",
    "region",
    "country",
    "store",
    "employee",
    "salary",
    "contract",
    "supplier",
    "shipment",
    "delivery",
    "warehouse",
    "stock",
    "balance",
    "ledger",
    "transaction",
    "fraud",
    "risk",
    "claim",
    "policy",
    "premium",
    "device",
    "sensor",
    "reading",
    "temperature",
    "event",
    "subscription",
    "plan",
    "discount",
    "coupon",
]
QUERIES = ("payment", "customer payment", "churn score", "refund amount region", "zzz")


def fill(project: Project, count: int, rng: random.Random) -> None:
    with project.store.session(write=True) as session:
        for index in range(count):
            columns = [
                "_".join(rng.sample(VOCABULARY, rng.randint(1, 3)))
                for _ in range(rng.randint(5, 30))
            ]
            name = f"{rng.choice(VOCABULARY)}_{index}"
            tags = rng.sample(VOCABULARY, 2)
            description = " ".join(rng.sample(VOCABULARY, 12)).capitalize() + "."
            session.add(
                DatasetRecord(
                    name=name,
                    location=f"data/{name}.parquet",
                    description=description,
                    tags=tags,
                    classification=rng.choice(["public", "internal", "personal"]),
                    purposes=[],
                    schema_fields=[{"name": c, "type": "string"} for c in columns],
                    search_name=" ".join(split_words(name)),
                    search_tags=words_text(tags),
                    search_columns=words_text(columns),
                )
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--db-url", default="", help="Another store (e.g. an empty PostgreSQL).")
    options = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="nbtools-bench-catalog-"))
    project = Project(root, db_url=options.db_url)
    started = time.perf_counter()
    fill(project, options.datasets, random.Random(16))
    print(
        f"{options.datasets} datasets on {project.store.engine.dialect.name}, "
        f"filled in {time.perf_counter() - started:.1f} s; search_datasets (limit 20), ms:"
    )
    print(f"{'query':<24}{'median':>8}{'min':>8}{'p90':>8}{'max':>8}{'hits':>6}")
    slowest: list[float] = []
    for query in QUERIES:
        times = []
        for _ in range(options.runs):
            start = time.perf_counter()
            hits = search_datasets(project, query)
            times.append((time.perf_counter() - start) * 1000)
        times.sort()
        p90 = times[int(len(times) * 0.9) - 1]
        print(
            f"{query:<24}{statistics.median(times):>8.1f}{times[0]:>8.1f}{p90:>8.1f}"
            f"{times[-1]:>8.1f}{len(hits):>6}"
        )
        slowest.append(statistics.median(times))
    project.close()
    report(
        f"catalog search, {options.datasets} datasets: the slowest query's median",
        Sample.of([max(slowest)]),
        unit="ms",
        goals=[Goal("ours", "<=", 50, "ms")],
        state=f"in process, store open and warm; {len(QUERIES)} queries, {options.runs} runs each",
    )


if __name__ == "__main__":
    main()
