"""`paperwire bench load` on a tiny store: two demo day files, 4 clients, 5 s or 200 requests."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from paperwire.bench.load import (
    LoadBenchError,
    LoadSpec,
    bench_load,
    list_paths,
    make_queries,
    search_paths,
)
from paperwire.search.query import parse_query

DEMO = Path(__file__).resolve().parents[2] / "src" / "paperwire" / "demo" / "data"
DAYS = [DEMO / "2026-06-22.jsonl.gz", DEMO / "2026-06-23.jsonl.gz"]


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


@pytest.fixture
def wrk() -> str:
    found = shutil.which("wrk")
    if found is None:
        if os.environ.get("PAPERWIRE_REQUIRE_WRK") == "1":
            pytest.fail("wrk is missing and PAPERWIRE_REQUIRE_WRK=1 (apt-get install wrk)")
        pytest.skip("needs wrk (apt-get install wrk)")
    return found


def test_queries_are_real_distinct_and_parse() -> None:
    queries = make_queries(DAYS, 120)
    assert len(queries) == 120
    assert len({q.lower() for q in queries}) == 120
    for q in queries:
        parse_query(q)
    assert any("cat:" in q for q in queries)
    assert any("year:2026" in q for q in queries)
    assert any(q.startswith('"') for q in queries)
    paths = search_paths(queries[:3], "bm25")
    assert all(p.startswith("/search?q=") and p.endswith("&mode=bm25") for p in paths)


@pytest.mark.network_local
def test_bench_load_tiny_store(wrk: str, tmp_path: Path) -> None:
    spec = LoadSpec(clients=4, duration_s=5, max_requests=200, warmup_s=1)
    result = bench_load(DAYS, spec=spec, queries=50, workdir=tmp_path)

    store = result["store"]
    assert store["files"] == 2
    assert store["papers"] == store["papers_indexed"] > 0
    assert store["papers_embedded"] == 0 and store["embedded_fraction"] == 0.0
    assert result["queries"]["count"] == 50
    assert set(result["runs"]) == {"baseline_static", "baseline_about", "search_bm25"}
    assert "search_default_mode" in result["skipped"]
    for name, run in result["runs"].items():
        assert run["errors"] == 0, (name, run)
        assert run["non_2xx"] == 0 and not any(run["socket_errors"].values())
        assert 0 < run["requests"] <= 200 + spec.clients, (name, run)
        assert 0 < run["seconds"] <= spec.duration_s + 1
        assert run["requests_per_s"] > 0
        assert set(run["server_cpu_cores"]) == {str(pid) for pid in result["server"]["pids"]}
        assert run["load_generator_cpu_cores"] >= 0
        lat = run["latency_ms"]
        assert 0 < lat["p50"] <= lat["p95"] <= lat["p99"] <= lat["max"]
    assert result["runs"]["search_bm25"]["example"].startswith("/search?q=")
    for base in ("baseline_static", "baseline_about"):
        ratios = result["ratios"][f"search_bm25_vs_{base}"]
        assert set(ratios) == {"p50_latency", "p95_latency", "p99_latency", "requests_per_s"}
        assert all(v is not None and v > 0 for v in ratios.values())
    assert isinstance(result["target"]["met"], bool)
    assert result["machine"]["cores"] and len(result["load_average_before"]) == 3

    server = result["server"]
    assert server["workers"] == 2
    assert server["processes"] >= 3  # uvicorn's supervisor and two workers
    assert server["stopped"] is True
    assert not [pid for pid in server["pids"] if _alive(pid)]
    assert not list(tmp_path.iterdir())  # the temporary data home is gone too


def test_list_paths_cover_day_week_top_chip_and_trending() -> None:
    paths = list_paths(DAYS)
    assert paths[:4] == [
        "/day/2026-06-22",
        "/week/2026-06-22",
        "/day/2026-06-22?order=top",
        f"/day/2026-06-22?order=top&cat={paths[3].rsplit('=', 1)[1]}",
    ]
    assert paths[3].rsplit("=", 1)[1].startswith("cs.")  # the files' commonest category
    assert "/trending?period=week" in paths and paths[-1].startswith("/trending?period=day&cat=")
    assert len(paths) == 4 * len(DAYS) + 2


@pytest.mark.network_local
def test_bench_load_lists_tiny_store(wrk: str, tmp_path: Path) -> None:
    spec = LoadSpec(clients=2, duration_s=3, max_requests=60, warmup_s=0)
    result = bench_load(DAYS, spec=spec, workdir=tmp_path, pages="lists")
    assert set(result["runs"]) == {"baseline_static", "baseline_about", "lists"}
    lists = result["runs"]["lists"]
    assert lists["errors"] == 0 and 0 < lists["requests"] <= 60 + spec.clients
    assert lists["example"] == "/day/2026-06-22"
    assert 0 < lists["latency_ms"]["p50"] <= lists["latency_ms"]["p95"]
    assert result["ratios"]["lists_vs_baseline_static"]["p95_latency"] > 0
    assert result["pages"] == "lists" and result["queries"]["count"] == 0
    with pytest.raises(LoadBenchError, match="one of: search, lists, all"):
        bench_load(DAYS, spec=spec, workdir=tmp_path, pages="feeds")
