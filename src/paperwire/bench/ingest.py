"""Ingest throughput of the path users run: `paperwire ingest daily FILES` in a fresh process.

The benchmark starts `python -m paperwire --home TMP ingest daily FILES --json` as a subprocess
into a fresh data home (SQLite), twice (the second run finds nothing new), and reports for each
run the wall time of the whole process, the time the ingest itself took (the summary's
`seconds`), the difference as process start + store opening + exit, and the child's user+sys CPU
seconds (from wait4), so a figure taken on a loaded machine can still be judged by records per
CPU-second. Two baselines run in this process over the same files in the same run: reading +
JSON decoding alone, and a naive `INSERT OR IGNORE` of the raw records with sqlite3.
"""

from __future__ import annotations

import gzip
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from paperwire.bench.machine import describe_machine
from paperwire.errors import PaperwireError
from paperwire.ingest.files import DailyJsonl

EXIT_NOTHING_NEW = 3  # the CLI's exit code for a run that changed nothing


class IngestBenchError(PaperwireError):
    """The ingest subprocess failed."""


@dataclass(frozen=True)
class Timed:
    wall_s: float
    cpu_s: float  # user + sys


def _cpu_now() -> float:
    t = os.times()
    return t.user + t.system


def _parse_only(files: list[Path]) -> tuple[int, Timed]:
    start, cpu, n = time.perf_counter(), _cpu_now(), 0
    for f in files:
        with gzip.open(f) if f.suffix == ".gz" else f.open("rb") as fh:
            for line in fh:
                if line.strip():
                    json.loads(line)
                    n += 1
    return n, Timed(time.perf_counter() - start, _cpu_now() - cpu)


def _naive_sqlite(files: list[Path], db: Path) -> tuple[int, Timed]:
    start, cpu, n = time.perf_counter(), _cpu_now(), 0
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
    return n, Timed(time.perf_counter() - start, _cpu_now() - cpu)


def cli_command(home: Path, paths: list[Path]) -> list[str]:
    """Exactly what a user runs (as `python -m paperwire`, so the same interpreter and code)."""
    return (
        [sys.executable, "-m", "paperwire", "--home", str(home), "ingest", "daily"]
        + [str(p) for p in paths]
        + ["--json"]
    )


def _child_env() -> dict[str, str]:
    # A fresh data home means its own SQLite file, whatever database this shell points at.
    return {k: v for k, v in os.environ.items() if k != "PAPERWIRE_DATABASE_URL"}


def run_cli_ingest(home: Path, paths: list[Path]) -> dict[str, Any]:
    """One `paperwire ingest daily` process: its JSON summary, wall time and CPU time."""
    with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
        start = time.perf_counter()
        proc = subprocess.Popen(
            cli_command(home, paths), stdout=stdout, stderr=stderr, env=_child_env()
        )
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        stdout.seek(0)
        stderr.seek(0)
        out, err = stdout.read().decode(), stderr.read().decode(errors="replace")
    if proc.returncode not in (0, EXIT_NOTHING_NEW):
        raise IngestBenchError(f"ingest exited with {proc.returncode}: {err[-2000:]}")
    summary = json.loads(out)
    cpu = usage.ru_utime + usage.ru_stime
    records = summary["records"]
    return {
        "exit_code": proc.returncode,
        "records": records,
        "new": summary["new"],
        "wall_s": round(wall, 2),
        "ingest_s": round(summary["seconds"], 2),
        "process_start_and_exit_s": round(wall - summary["seconds"], 2),
        "user_s": round(usage.ru_utime, 2),
        "sys_s": round(usage.ru_stime, 2),
        "records_per_s": round(records / wall),
        "records_per_cpu_s": round(records / cpu) if cpu else None,
        "ingest_records_per_s": round(records / summary["seconds"]) if summary["seconds"] else None,
        "max_rss_mib": round(usage.ru_maxrss / 1024),
    }


def _baseline(n: int, t: Timed) -> dict[str, Any]:
    return {
        "records": n,
        "wall_s": round(t.wall_s, 2),
        "cpu_s": round(t.cpu_s, 2),
        "records_per_s": round(n / t.wall_s),
        "records_per_cpu_s": round(n / t.cpu_s) if t.cpu_s else None,
    }


def bench_ingest(paths: list[Path], *, workdir: Path | None = None) -> dict[str, Any]:
    """Run the CLI ingest twice into a fresh data home; time the baselines alongside."""
    files = DailyJsonl(paths).files
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        parsed, parse_t = _parse_only(files)
        naive_n, naive_t = _naive_sqlite(files, Path(tmp) / "naive.db")
        home = Path(tmp) / "home"
        first = run_cli_ingest(home, paths)
        second = run_cli_ingest(home, paths)
        with sqlite3.connect(home / "paperwire.db") as conn:
            (papers,) = conn.execute("SELECT count(*) FROM papers").fetchone()
    parse, naive = _baseline(parsed, parse_t), _baseline(naive_n, naive_t)

    def ratio(key: str, base: dict[str, Any]) -> float | None:
        return round(first[key] / base[key], 3) if first[key] and base[key] else None

    return {
        "command": " ".join(cli_command(Path("HOME"), paths)),
        "files": len(files),
        "records": first["records"],
        "papers": papers,
        "first_run": first,
        "second_run": second,
        "baseline_parse_only": parse,
        "baseline_naive_sqlite": naive,
        "ratio_vs_parse_only": ratio("records_per_s", parse),
        "ratio_vs_naive_sqlite": ratio("records_per_s", naive),
        "cpu_ratio_vs_naive_sqlite": ratio("records_per_cpu_s", naive),
        "machine": describe_machine(),
    }
