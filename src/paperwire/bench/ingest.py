"""Ingest throughput on SQLite, with two baselines from the same run over the same files:
reading + JSON-decoding alone, and a naive `INSERT OR IGNORE` of the raw records with sqlite3."""

from __future__ import annotations

import gzip
import json
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

from paperwire.bench.machine import describe_machine
from paperwire.ingest.files import DailyJsonl
from paperwire.ingest.runner import run_ingest
from paperwire.store import open_store
from paperwire.store.papers import count_papers


def _parse_only(files: list[Path]) -> tuple[int, float]:
    start, n = time.perf_counter(), 0
    for f in files:
        with gzip.open(f) if f.suffix == ".gz" else f.open("rb") as fh:
            for line in fh:
                if line.strip():
                    json.loads(line)
                    n += 1
    return n, time.perf_counter() - start


def _naive_sqlite(files: list[Path], db: Path) -> tuple[int, float]:
    start, n = time.perf_counter(), 0
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE p (id TEXT PRIMARY KEY, title TEXT, abstract TEXT, authors TEXT)")
    for f in files:
        with gzip.open(f) if f.suffix == ".gz" else f.open("rb") as fh:
            rows = []
            for line in fh:
                if line.strip():
                    o = json.loads(line)
                    rows.append((o["id"], o["title"], o["summary"], json.dumps(o["authors"])))
        conn.executemany("INSERT OR IGNORE INTO p VALUES (?, ?, ?, ?)", rows)
        conn.commit()
        n += len(rows)
    conn.close()
    return n, time.perf_counter() - start


def bench_ingest(paths: list[Path], *, workdir: Path | None = None) -> dict[str, Any]:
    """Ingest the daily files twice into a fresh SQLite store; time the baselines alongside."""
    source = DailyJsonl(paths)
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        parsed, parse_s = _parse_only(source.files)
        naive_n, naive_s = _naive_sqlite(source.files, Path(tmp) / "naive.db")
        with open_store(url=f"sqlite:///{Path(tmp) / 'bench.db'}") as store:
            first = run_ingest(store, source)
            second = run_ingest(store, source)
            papers = count_papers(store)
    rate = first.records / first.seconds
    return {
        "files": len(source.files),
        "records": first.records,
        "papers": papers,
        "first_run": {"seconds": round(first.seconds, 2), "records_per_s": round(rate)},
        "second_run": {
            "seconds": round(second.seconds, 2),
            "records_per_s": round(second.records / second.seconds),
            "new": second.new,
        },
        "baseline_parse_only": {
            "seconds": round(parse_s, 2),
            "records_per_s": round(parsed / parse_s),
        },
        "baseline_naive_sqlite": {
            "seconds": round(naive_s, 2),
            "records_per_s": round(naive_n / naive_s),
        },
        "ratio_vs_parse_only": round(rate / (parsed / parse_s), 3),
        "ratio_vs_naive_sqlite": round(rate / (naive_n / naive_s), 3),
        "machine": describe_machine(),
    }
