"""A full disk during ingest and index build: one clear line, a non-zero exit, the store intact.

The data home is on a real 16 MB tmpfs (mounting needs root: skipped otherwise), filled up by a
filler file the way a disk fills up in production (ENOSPC from the kernel, SQLITE_FULL)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(disk)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def _papers(path: Path, first: int, n: int) -> Path:
    with path.open("w") as f:
        for i in range(first, first + n):
            row = {"title": f"Paper {i} on things", "abstract": "word " * 300}
            f.write(json.dumps(row | {"arxiv_id": f"2507.{i:05d}"}) + "\n")
    return path


def _paperwire(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"PAPERWIRE_HOME": str(home)}
    env.pop("PAPERWIRE_DATABASE_URL", None)
    cmd = [sys.executable, "-m", "paperwire", *args]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)


def _fill(disk: Path) -> Path:
    filler = disk / "filler"
    with filler.open("wb") as f:
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError:
            pass
    # A little room back: enough to open the database (its -shm file), not to do the work.
    os.truncate(filler, filler.stat().st_size - 256 * 1024)
    return filler


def _one_clear_line(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: the disk is full"), lines


def test_disk_full_during_ingest_and_index_build(small_disk: Path, tmp_path: Path) -> None:
    home = small_disk / "home"
    first = _papers(tmp_path / "a.jsonl", 0, 2000)
    assert _paperwire(home, "ingest", "jsonl", str(first)).returncode == 0
    filler = _fill(small_disk)

    _one_clear_line(_paperwire(home, "index", "build"))
    more = _papers(tmp_path / "b.jsonl", 2000, 3000)
    _one_clear_line(_paperwire(home, "ingest", "jsonl", str(more)))

    filler.unlink()
    stats = _paperwire(home, "stats", "--json")
    assert json.loads(stats.stdout)["papers"] >= 2000  # nothing stored before was lost
    built = _paperwire(home, "index", "build")
    assert built.returncode == 0, built.stderr
