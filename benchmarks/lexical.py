"""Lexical index benchmark: build, size, memory and query latency over N synthetic papers.

    python benchmarks/lexical.py 100000            # also runs bm25s on the same tokens
    python benchmarks/lexical.py 1000000 --no-bm25s
    python benchmarks/lexical.py --scifact       # nDCG@10 sweep: pick on train, report test

The corpus is paperwire.bench.corpus.synthetic_docs over the 2025-2026 daily arXiv files (real
sentences recombined); the queries are 200 real titles, OR'ed. Queries run on one core (this
process is single-threaded); "cpu" is process CPU time, steadier than wall time on a loaded box.
Query figures are measured in a fresh process that only loads the saved index, so its RSS is the
loaded index's. Prints a JSON report.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np

from paperwire.bench.corpus import real_docs, synthetic_docs
from paperwire.bench.machine import describe_machine
from paperwire.index.analyze import Analyzer
from paperwire.index.base import Doc
from paperwire.index.lexical import LexicalIndex, LexQuery

DATA = Path(__file__).resolve().parents[1].parent / "shared/data/arxiv/daily-arxiv-cs-2025-2026"
BATCH = 100_000


def rss_mb() -> dict[str, float]:
    """Current and peak resident memory of this process (MB)."""
    out = {"peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            out["rss_mb"] = int(line.split()[1]) / 1024
    return out


def percentiles(ms: list[float]) -> dict[str, float]:
    a = np.array(ms)
    return {f"p{p}": round(float(np.percentile(a, p)), 3) for p in (50, 95, 99)} | {
        "mean": round(float(a.mean()), 3)
    }


def queries(base: list[Doc], n: int = 200) -> list[Doc]:
    rng = np.random.default_rng(1)
    return [base[i] for i in rng.choice(len(base), n, replace=False)]


def build(n: int, folder: Path, base: list[Doc]) -> dict[str, Any]:
    before = rss_mb()["rss_mb"]  # the real papers the synthetic ones are made from
    index = LexicalIndex()
    t0, cpu0 = time.perf_counter(), time.process_time()
    stream = synthetic_docs(base, n)
    while batch := list(islice(stream, BATCH)):
        index.add(batch)
    index.merge(force=True)  # one segment, as a nightly rebuild would leave it
    built = time.perf_counter() - t0
    t1 = time.perf_counter()
    index.save(folder)
    report = {
        "build_s": round(built, 1),
        "build_cpu_s": round(time.process_time() - cpu0, 1),
        "save_s": round(time.perf_counter() - t1, 1),
        "disk_mb": round(sum(f.stat().st_size for f in folder.rglob("*")) / 1e6, 1),
        "build_peak_rss_mb": round(rss_mb()["peak_mb"]),
        "rss_before_build_mb": round(before),
        **index.stats(),
    }
    return report


def time_queries(index: LexicalIndex, qs: list[LexQuery]) -> dict[str, Any]:
    for q in qs[:20]:
        index.search(q, 10)  # warm the page cache and the score buffers
    return timed(lambda q: index.search(q, 10), qs)


def query_phase(folder: Path, titles: list[str]) -> dict[str, Any]:
    """Run in a fresh process: load, then time query kinds."""
    before = rss_mb()["rss_mb"]
    t = time.perf_counter()
    index = LexicalIndex.load(folder)
    load_s = time.perf_counter() - t
    words = [t.split() for t in titles]
    kinds = {
        "or_title": [LexQuery(t) for t in titles],
        "or_3_words": [LexQuery(" ".join(w[:3])) for w in words],
        "or_cat_filter": [LexQuery(t, must=["cat:cs.lg"]) for t in titles],
        "phrase_2_words": [LexQuery(phrases=[" ".join(w[:2])]) for w in words],
        "date_sorted": [LexQuery(t, sort="date") for t in titles],
    }
    out: dict[str, Any] = {"load_s": round(load_s, 2)}
    out |= {kind: time_queries(index, qs) for kind, qs in kinds.items()}
    after = rss_mb()
    out["rss_loaded_index_mb"] = round(after["rss_mb"] - before)
    out["process_rss_mb"] = round(after["rss_mb"])
    out["mean_hits_total_or_title"] = round(
        float(np.mean([index.search(q, 10).total for q in kinds["or_title"]]))
    )
    return out


def bm25s_baseline(n: int, base: list[Doc]) -> dict[str, Any]:
    """bm25s (numpy backend, Lucene scoring) over the same analysed tokens, one field."""
    import bm25s

    index = LexicalIndex()
    an = index.analyzer
    t0 = time.perf_counter()
    corpus = [an.analyze(f"{d.title} {d.abstract} {' '.join(d.authors)}") for d in
              synthetic_docs(base, n)]  # fmt: skip
    tokenised = time.perf_counter() - t0
    model = bm25s.BM25(method="lucene", k1=index.k1, b=index.b, backend="numpy")
    t1 = time.perf_counter()
    model.index(corpus, show_progress=False)
    build_s = time.perf_counter() - t1
    vocab = model.vocab_dict
    qs = [[t for t in an.analyze(d.title) if t in vocab] for d in queries(base)]
    qs = [q for q in qs if q]
    report: dict[str, Any] = {"tokenise_s": round(tokenised, 1), "build_s": round(build_s, 1)}
    report["retrieve"] = timed(
        lambda q: model.retrieve([q], k=10, show_progress=False, n_threads=1), qs
    )
    # The scoring core alone (what our search does too), without retrieve's wrapper.
    report["get_scores_topk"] = timed(lambda q: np.argpartition(-model.get_scores(q), 10)[:10], qs)
    return report


def timed(fn: Any, qs: list[Any], rounds: int = 3) -> dict[str, Any]:
    wall, cpu = [], []
    for _ in range(rounds):
        for q in qs:
            t, c = time.perf_counter(), time.process_time()
            fn(q)
            cpu.append((time.process_time() - c) * 1e3)
            wall.append((time.perf_counter() - t) * 1e3)
    return {"wall_ms": percentiles(wall), "cpu_ms": percentiles(cpu)}


SCIFACT = DATA.parents[1] / "beir/scifact"
TITLE_WEIGHTS, K1S, BS = (1.0, 2.0, 3.0, 4.0, 6.0), (0.9, 1.2, 1.5, 2.0), (0.5, 0.75, 0.9)


def scifact_run(index: LexicalIndex, queries: dict[str, str], ids: list[str]) -> dict[str, Any]:
    run = {}
    for qid, text in queries.items():
        hits = index.search(text, 100)
        run[qid] = {ids[k]: float(s) for k, s in hits.pairs()}
    return run


def scifact_index(beir: Any, analyzer: Analyzer, title: float, k1: float, b: float) -> Any:
    index = LexicalIndex(k1=k1, b=b, weights={"title": title, "abstract": 1.0}, analyzer=analyzer)
    pairs = enumerate(zip(beir.titles, beir.texts, strict=True))
    index.add([Doc(i, title=t, abstract=x) for i, (t, x) in pairs])
    return index


def scifact_sweep() -> dict[str, Any]:
    """SciFact nDCG@10 over analyzer x title weight x k1 x b: chosen on train, scored on test."""
    from paperwire.eval.beir import load_beir, score_run

    train, test = load_beir(SCIFACT, split="train"), load_beir(SCIFACT, split="test")
    grid = []
    for stem in (True, False):
        analyzer = Analyzer(stem=stem)  # one per setting: its stem cache is reused across builds
        for title, k1, b in itertools.product(TITLE_WEIGHTS, K1S, BS):
            index = scifact_index(train, analyzer, title, k1, b)  # same corpus in both splits
            row: dict[str, Any] = {"stem": stem, "title": title, "k1": k1, "b": b}
            for name, split in (("train", train), ("test", test)):
                run = scifact_run(index, split.split_queries(), split.doc_ids)
                row[name] = score_run(split.qrels, run)["ndcg@10"]
            grid.append(row)
    best = [max((r for r in grid if r["stem"] == s), key=lambda r: r["train"]) for s in (1, 0)]
    return {"best_on_train": best, "grid": grid}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", type=int, nargs="?", default=100_000)
    ap.add_argument("--no-bm25s", action="store_true", help="skip the bm25s baseline")
    ap.add_argument("--keep", type=Path, help="save the index here (default: a temp folder)")
    ap.add_argument("--scifact", action="store_true", help="SciFact nDCG@10 sweep instead")
    ap.add_argument("--query-only", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.scifact:
        print(json.dumps(scifact_sweep(), indent=None).replace("}, ", "},\n "))
        return
    if args.query_only:
        titles = json.loads((args.query_only.parent / "queries.json").read_text())
        print(json.dumps(query_phase(args.query_only, titles)))
        return
    base = real_docs(DATA)
    folder = args.keep or Path(tempfile.mkdtemp(prefix="lexbench.")) / "lexical"
    report: dict[str, Any] = {"n": args.n, "machine": describe_machine()}
    report["build"] = build(args.n, folder, base)
    (folder.parent / "queries.json").write_text(json.dumps([d.title for d in queries(base)]))
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    proc = subprocess.run(
        [sys.executable, __file__, "--query-only", str(folder)],
        capture_output=True, text=True, env=env, check=True,
    )  # fmt: skip
    report["query"] = json.loads(proc.stdout.strip().splitlines()[-1])
    if not args.keep:
        shutil.rmtree(folder.parent, ignore_errors=True)
    if not args.no_bm25s and args.n <= 100_000:
        report["bm25s"] = bm25s_baseline(args.n, base)
    print(json.dumps(report, indent=None).replace('}, "', '},\n "'))


if __name__ == "__main__":
    main()
