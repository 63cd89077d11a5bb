"""SIGKILL in the middle of an ingest, then a re-run: the store equals an uninterrupted run's."""

from __future__ import annotations

import gzip
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from paperwire.store import open_store
from tests.support.shared_data import DATA, need
from tests.support.storedump import dump_store

DAILY = DATA / "arxiv" / "daily-arxiv-cs-2025-2026"


def _paperwire(home: Path, *args: str, batch: int = 1000) -> subprocess.Popen[str]:
    env = os.environ | {"PAPERWIRE_HOME": str(home), "PAPERWIRE_INGEST_BATCH_SIZE": str(batch)}
    cmd = [sys.executable, "-m", "paperwire", *args]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _checkpointed(db: Path) -> bool:
    """Whether the ingest has committed at least one batch (and so is mid-run)."""
    if not db.exists():
        return False
    try:
        with sqlite3.connect(db, timeout=1) as conn:
            return conn.execute("SELECT count(*) FROM ingest_checkpoints").fetchone()[0] > 0
    except sqlite3.OperationalError:  # schema not created yet
        return False


@pytest.mark.slow
def test_sigkill_midway_then_rerun_equals_uninterrupted(tmp_path: Path) -> None:
    files = sorted(need(DAILY).glob("*.jsonl.gz"))[40:60]  # ~20 days, several thousand records
    args = ["ingest", "daily", *map(str, files), "--json"]

    reference = tmp_path / "reference"
    done = _paperwire(reference, *args)
    assert done.wait(timeout=300) == 0, done.stderr.read() if done.stderr else ""

    killed = tmp_path / "killed"
    db = killed / "paperwire.db"
    proc = _paperwire(killed, *args, batch=50)
    deadline = time.monotonic() + 120
    while not _checkpointed(db) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert proc.poll() is None, "ingest finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)

    with open_store(url=f"sqlite:///{db}") as store:
        partial = len(dump_store(store)["papers"])
    with open_store(url=f"sqlite:///{reference / 'paperwire.db'}") as store:
        expected = dump_store(store)
    assert 0 < partial < len(expected["papers"])

    rerun = _paperwire(killed, *args)
    stdout, stderr = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, stderr
    summary = json.loads(stdout)
    assert summary["resumed"] is True
    total = 0
    for f in files:
        with gzip.open(f) as fh:
            total += sum(1 for _ in fh)
    assert 0 < summary["records"] < total  # it went on from the checkpoint, not from the start
    with open_store(url=f"sqlite:///{db}") as store:
        assert dump_store(store) == expected
