"""`paperwire bench soak` for a few seconds on the demo days: it runs, and its accounting adds up
(every acknowledged vote and bookmark is found in the store, memory and p95 are reported)."""

from __future__ import annotations

from pathlib import Path

from paperwire.bench.soak import bench_soak

DEMO = Path(__file__).resolve().parents[2] / "src" / "paperwire" / "demo" / "data"


def test_a_short_soak_runs_and_accounts_for_every_write(tmp_path: Path) -> None:
    days = sorted(DEMO.glob("*.jsonl.gz"))[:4]
    result = bench_soak(
        days, duration_s=6, clients=3, workers=2, embed=0, hold_back=1, workdir=tmp_path
    )
    assert result["errors"] == 0, result["error_samples"]
    assert result["votes_acknowledged"] > 0 and result["bookmarks_acknowledged"] > 0
    assert result["votes_stored"] == result["votes_acknowledged"]
    assert result["bookmarks_stored"] == result["bookmarks_acknowledged"]
    assert result["lost_writes"] == 0
    assert [w["exit_code"] for w in result["writers"]] == [0, 0]
    assert len(result["worker_rss_mib_at_end"]) == 2
    assert all(v > 0 for v in result["worker_rss_mib_at_end"].values())
    assert "GET /search" in result["routes"] and result["routes"]["GET /search"]["p95_ms"] > 0
