"""`paperwire bench search`: index N papers, then time queries in a fresh process.

Real papers from the daily arXiv files up to their 74,728; beyond, synthetic papers recombined
from real sentences. Encoding a million texts is out of reach of a 2-core CPU, so vectors are
real MiniLM outputs of a pool of real papers (cached), recombined per synthetic paper (a mix of
two pool vectors plus noise; tokens of one pool paper): latency and memory depend on sizes and
on the spread of the vectors, which this keeps realistic, not on what the vectors mean.

Queries: the first 3-8 words of real titles. Query encoding is timed on its own; the search
latencies exclude it (vectors are computed first and handed to the index). Every query goes
through the search service's `rank`, the call users' searches make.

`--backend milvus://...`: the same papers and vectors also go into that backend (a scratch
collection, through `upsert` and `add_vectors`), and it is timed by the same worker right after
the embedded index, side by side, with the ratios of its latencies and QPS to the embedded one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.lib.format import open_memmap

from paperwire.bench.corpus import real_docs, synthetic_docs
from paperwire.bench.machine import describe_machine
from paperwire.index.backend import MODES
from paperwire.index.base import Doc, write_meta
from paperwire.index.dense import DenseIndex
from paperwire.index.embed_cache import encode_cached
from paperwire.index.encoders import Encoder, load_encoder
from paperwire.index.lexical import LexicalIndex
from paperwire.index.location import parse_index

CHUNK = 50_000


def _queries(base: list[Doc], count: int, seed: int = 1) -> list[str]:
    rng = np.random.default_rng(seed)
    picks = rng.choice(len(base), size=count, replace=False)
    out = []
    for i in picks:
        words = base[int(i)].title.replace(":", " ").split()
        out.append(" ".join(words[: int(rng.integers(3, 9))]))
    return out


def _percentiles(ms: Sequence[float]) -> dict[str, float]:
    arr = np.asarray(ms)
    return {f"p{p}": round(float(np.percentile(arr, p)), 2) for p in (50, 95, 99)} | {
        "mean": round(float(arr.mean()), 2)
    }


def _pool(encoder: Encoder, base: list[Doc], size: int, cache: Path) -> tuple[np.ndarray, list]:
    texts = [d.text() for d in base[:size]]
    return encode_cached(encoder, texts, kind="doc", cache_dir=cache)


def _synth_vectors(pool: np.ndarray, n: int, seed: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """(vectors [n, dim] float32, source pool row per doc)."""
    rng = np.random.default_rng(seed)
    src = rng.integers(len(pool), size=n)
    other = rng.integers(len(pool), size=n)
    vecs = pool[src] + 0.35 * pool[other] + 0.03 * rng.standard_normal((n, pool.shape[1]))
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    return vecs.astype(np.float32), src


def _write_tokens(
    folder: Path, tokens: list[np.ndarray], src: np.ndarray, dim: int, encoder: str
) -> None:
    """The token store's files, written directly (streamed: it is far larger than memory)."""
    bits_of = [np.packbits(t > 0, axis=1) for t in tokens]
    lens = np.array([len(bits_of[s]) for s in src], np.int64)
    offsets = np.concatenate([[0], np.cumsum(lens)]).astype(np.int64)
    folder.mkdir(parents=True)
    np.save(folder / "keys.npy", np.arange(len(src), dtype=np.int64))
    np.save(folder / "offsets.npy", offsets)
    bits = open_memmap(folder / "bits.npy", "w+", np.uint8, (int(offsets[-1]), dim // 8))
    for start in range(0, len(src), CHUNK):
        part = src[start : start + CHUNK]
        bits[offsets[start] : offsets[start + len(part)]] = np.concatenate(
            [bits_of[s] for s in part]
        )
    bits.flush()
    del bits
    write_meta(folder, "tokens", dim=dim, encoder=encoder, count=len(src), tokens=int(offsets[-1]))


def _du(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


def build(
    docs: list[Doc], pool: tuple[np.ndarray, list], folder: Path, encoder: str
) -> dict[str, Any]:
    """Build and save every part; seconds per part."""
    times: dict[str, float] = {}
    start = time.perf_counter()
    lexical = LexicalIndex()
    for i in range(0, len(docs), CHUNK):
        lexical.add(docs[i : i + CHUNK])
    lexical.merge(force=True)
    lexical.save(folder / "lexical")
    times["lexical_s"] = time.perf_counter() - start
    del lexical
    vecs, src = _synth_vectors(pool[0], len(docs))
    start = time.perf_counter()
    dense = DenseIndex(dim=vecs.shape[1], encoder=encoder)
    for i in range(0, len(docs), CHUNK):
        dense.add_vectors(np.arange(i, min(i + CHUNK, len(docs))), vecs[i : i + CHUNK])
    dense.save(folder / "dense")
    times["dense_s"] = time.perf_counter() - start
    del dense
    start = time.perf_counter()
    _write_tokens(folder / "tokens", pool[1], src, vecs.shape[1], encoder)
    times["tokens_s"] = time.perf_counter() - start
    np.save(folder / "bench_vectors.npy", vecs)  # for the brute-force baseline
    (folder / "state.json").write_text(json.dumps({"encoder": encoder, "store_papers": len(docs)}))
    return {k: round(v, 1) for k, v in times.items()}


def _rss_mb() -> dict[str, float]:
    status = Path("/proc/self/status").read_text()
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    return {
        "rss_mb": round(int(fields["VmRSS"].split()[0]) / 1024, 1),
        # VmHWM, not ru_maxrss: the latter survives exec and would report the parent's peak.
        "peak_rss_mb": round(int(fields["VmHWM"].split()[0]) / 1024, 1),
    }


def query_worker(folder: Path, queries_file: Path, backend: str = "embedded") -> dict[str, Any]:
    """Runs in a fresh process: open the index (the embedded one in `folder`, or `backend`'s
    scratch collection), time every mode, then QPS with 1 and 2 threads."""
    from concurrent.futures import ThreadPoolExecutor

    from paperwire.index.backend import Query
    from paperwire.index.manager import open_backend
    from paperwire.search.service import rank
    from paperwire.settings import Settings

    started = time.perf_counter()
    index = open_backend(Settings(home=folder.parent, index=backend))
    load_s = time.perf_counter() - started

    def search(text: str, mode: str) -> Any:
        return rank(index, Query(text=text), k=10, mode=mode, modes=MODES)

    with np.load(queries_file, allow_pickle=False) as z:
        texts = [str(t) for t in z["texts"]]
        pooled, tok_flat, tok_len = z["pooled"], z["tokens"], z["lengths"]
    offs = np.concatenate([[0], np.cumsum(tok_len)])
    for i, text in enumerate(texts):
        index.remember_query(text, pooled[i], tok_flat[offs[i] : offs[i + 1]])
    out: dict[str, Any] = {"backend": index.name, "load_s": round(load_s, 2), "modes": {}}
    for mode in MODES:
        search(texts[0], mode)  # warm up
        ms = []
        for text in texts:
            t0 = time.perf_counter()
            search(text, mode)
            ms.append((time.perf_counter() - t0) * 1000)
        out["modes"][mode] = _percentiles(ms)
    for threads in (1, 2):
        t0 = time.perf_counter()
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(lambda t: search(t, "hybrid+rerank"), texts * 2))
        out[f"qps_{threads}_threads"] = round(2 * len(texts) / (time.perf_counter() - t0), 1)
    out.update(_rss_mb())
    return out


def _encode_queries(encoder: Encoder, texts: list[str], path: Path) -> dict[str, float]:
    ms, pooled, tokens = [], [], []
    encoder.encode_both([texts[0]], kind="query")  # warm up
    for text in texts:
        t0 = time.perf_counter()
        p, t = encoder.encode_both([text], kind="query")
        ms.append((time.perf_counter() - t0) * 1000)
        pooled.append(p[0])
        tokens.append(t[0])
    np.savez(
        path,
        texts=np.array(texts),
        pooled=np.stack(pooled),
        tokens=np.concatenate(tokens),
        lengths=np.array([len(t) for t in tokens]),
    )
    return _percentiles(ms)


def _baselines(
    docs: list[Doc], folder: Path, texts: list[str], bm25s_max: int, qfile: Path
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    vecs = np.load(folder / "bench_vectors.npy", mmap_mode="r")
    with np.load(qfile) as z:
        qv = z["pooled"][:50]
    ms = []
    for q in qv:
        t0 = time.perf_counter()
        scores = np.asarray(vecs) @ q
        np.argpartition(-scores, 10)[:10]
        ms.append((time.perf_counter() - t0) * 1000)
    out["numpy_bruteforce_f32_dense"] = _percentiles(ms)
    if len(docs) <= bm25s_max:
        out["bm25s"] = _bm25s(docs, texts)
    else:
        out["bm25s"] = f"skipped above {bm25s_max:,} papers (bm25s has no incremental build)"
    return out


def _bm25s(docs: list[Doc], texts: list[str]) -> dict[str, Any]:
    import bm25s
    import Stemmer

    stemmer = Stemmer.Stemmer("english")
    t0 = time.perf_counter()
    corpus = [f"{d.title} {d.abstract} {' '.join(d.authors)}" for d in docs]
    tokens = bm25s.tokenize(corpus, stopwords="en", stemmer=stemmer, show_progress=False)
    retriever = bm25s.BM25()
    retriever.index(tokens, show_progress=False)
    build_s = time.perf_counter() - t0
    ms = []
    for text in texts:
        t0 = time.perf_counter()
        q = bm25s.tokenize([text], stopwords="en", stemmer=stemmer, show_progress=False)
        retriever.retrieve(q, k=10, show_progress=False)
        ms.append((time.perf_counter() - t0) * 1000)
    return {"build_s": round(build_s, 1)} | _percentiles(ms)


def bench_search(
    n: int,
    *,
    daily_dir: Path,
    cache_dir: Path,
    pool_size: int = 2000,
    queries: int = 200,
    encoder_spec: str | None = None,
    bm25s_max: int = 200_000,
    workdir: Path | None = None,
    backend: str = "embedded",
) -> dict[str, Any]:
    base = real_docs(daily_dir)
    docs = list(synthetic_docs(base, n))
    texts = _queries(base, queries)
    encoder = load_encoder(encoder_spec)
    pool = _pool(encoder, base, min(pool_size, len(base)), cache_dir)
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        folder = Path(tmp) / "index"
        times = build(docs, pool, folder, encoder.name)
        disk = {p.name: round(_du(p) / 2**20, 1) for p in folder.iterdir() if p.is_dir()}
        qfile = Path(tmp) / "queries.npz"
        encoding = _encode_queries(encoder, texts, qfile)
        measured = _run_worker(folder, qfile, "embedded")
        other = None
        if parse_index(backend).kind != "embedded":
            other = _other_backend(docs, pool, folder, qfile, backend)
        baselines = _baselines(docs, folder, texts, bm25s_max, qfile)
    if other is not None:
        baselines["backend"] = other
    return {
        "papers": n,
        "real_papers": min(n, len(base)),
        "queries": len(texts),
        "build": times,
        "disk_mb": disk,
        "query_encoding_ms": encoding,
        "search_excluding_encoding": measured,
        "baselines": baselines,
        "machine": describe_machine(),
    }


def _run_worker(folder: Path, qfile: Path, backend: str) -> dict[str, Any]:
    worker = subprocess.run(
        [sys.executable, "-m", "paperwire.bench.search", str(folder), str(qfile), backend],
        capture_output=True,
        text=True,
        check=True,
        env=os.environ | {"OMP_NUM_THREADS": "1"},
    )
    result: dict[str, Any] = json.loads(worker.stdout)
    return result


def _other_backend(
    docs: list[Doc], pool: tuple[np.ndarray, list], folder: Path, qfile: Path, backend: str
) -> dict[str, Any]:
    """The same papers and vectors in `backend`'s scratch collection, timed as the embedded
    index was, with the ratios to the embedded figures of this run."""
    from paperwire.index.embedlog import text_hash
    from paperwire.index.manager import open_scratch_backend
    from paperwire.settings import Settings

    settings = Settings(home=folder.parent, index=backend)
    index = open_scratch_backend(settings, f"bench_{len(docs)}")
    vecs, src = _synth_vectors(pool[0], len(docs))
    started = time.perf_counter()
    for i in range(0, len(docs), CHUNK):
        part = docs[i : i + CHUNK]
        index.upsert(part)
        keys = np.array([d.key for d in part], np.int64)
        hashes = np.array([text_hash(d.text()) for d in part], np.int64)
        index.add_vectors(keys, hashes, vecs[keys], [pool[1][s] for s in src[keys]])
    index.save()
    build_s = time.perf_counter() - started
    scratch = index.name
    measured = _run_worker(folder, qfile, scratch)
    embedded = _run_worker(folder, qfile, "embedded")  # again, right after: the same load
    return {
        "build_s": round(build_s, 1),
        "measured": measured,
        "embedded_again": embedded,
        "ratio_vs_embedded": _ratios(measured, embedded),
    }


def _ratios(other: dict[str, Any], embedded: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for mode, figures in other["modes"].items():
        base = embedded["modes"][mode]
        out[mode] = {p: round(figures[p] / base[p], 2) if base[p] else None for p in ("p50", "p99")}
    for key in ("qps_1_threads", "qps_2_threads"):
        out[key] = round(other[key] / embedded[key], 2) if embedded[key] else None
    return out


if __name__ == "__main__":
    args = sys.argv[1:]
    print(json.dumps(query_worker(Path(args[0]), Path(args[1]), *args[2:3])))
