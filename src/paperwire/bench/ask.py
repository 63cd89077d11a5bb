"""`paperwire bench ask`: Ask's latency on a real 75k-paper store, against plain search.

The store is the per-day arXiv files ingested into a temporary SQLite home (as `bench load`
builds it) with its lexical index. Encoding 75k abstracts is out of reach of a 2-core CPU, so,
as in `bench search`, dense and token vectors are real MiniLM outputs of a pool of real papers,
recombined: each paper gets a mix of two pool vectors, and the tokens of one pool paper repeated
or cut to the paper's own token count (from the tokenizer's offsets), recorded as made from the
paper's own text, so Ask maps them onto its sentences as it would real ones. Latency depends on
sizes, not on what the vectors mean.

Each question is timed through the same calls the web page makes (`paperwire.search.ask.ask`,
and `paperwire.search.service.search` with 10 results for the baseline), query encoding
included in both (the query vector cache is emptied before every call), one thread.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from numpy.lib.format import open_memmap

from paperwire.bench.load import build_store, make_queries
from paperwire.bench.machine import describe_machine
from paperwire.bench.search import _percentiles, _synth_vectors
from paperwire.index.base import write_meta
from paperwire.index.dense import DenseIndex
from paperwire.index.embed_cache import encode_cached
from paperwire.index.embedded import EmbeddedIndex
from paperwire.index.embedlog import text_hash
from paperwire.index.encoders import Encoder, load_encoder
from paperwire.index.manager import index_folder, iter_docs
from paperwire.search.ask import ask
from paperwire.search.service import search
from paperwire.settings import Settings
from paperwire.store import Store, open_store

CHUNK = 20_000


def _daily_files(daily: Path) -> list[Path]:
    return sorted(daily.glob("*.jsonl.gz")) if daily.is_dir() else [daily]


def add_synthetic_vectors(
    store: Store, folder: Path, encoder: Encoder, *, pool_size: int, cache_dir: Path
) -> dict[str, float]:
    """Dense and token files for every stored paper, from a pool of real outputs (see the
    module docstring); seconds per part."""
    docs = [d for batch in iter_docs(store) for d in batch]
    keys = np.array([d.key for d in docs], np.int64)
    texts = [d.text() for d in docs]
    t0 = time.perf_counter()
    pooled, tokens = encode_cached(encoder, texts[:pool_size], kind="doc", cache_dir=cache_dir)
    times = {"pool_s": time.perf_counter() - t0}
    vecs, src = _synth_vectors(pooled, len(docs))
    t0 = time.perf_counter()
    dense = DenseIndex(dim=vecs.shape[1], encoder=encoder.name)
    for i in range(0, len(docs), CHUNK):
        dense.add_vectors(keys[i : i + CHUNK], vecs[i : i + CHUNK])
    dense.save(folder / "dense")
    times["dense_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    counts = np.array([len(o) for o in encoder.token_offsets(texts, kind="doc")], np.int64)  # type: ignore[attr-defined]
    _write_tokens(folder / "tokens", keys, [np.packbits(t > 0, axis=1) for t in tokens], src,
                  counts, encoder.name)  # fmt: skip
    hashes = np.array([text_hash(t) for t in texts], np.int64)
    np.savez(folder / "embedded.npz", keys=keys, hashes=hashes)
    state = json.loads((folder / "state.json").read_text()) | {"encoder": encoder.name}
    (folder / "state.json").write_text(json.dumps(state))
    times["tokens_s"] = time.perf_counter() - t0
    return {k: round(v, 1) for k, v in times.items()}


def _write_tokens(
    folder: Path, keys: np.ndarray, pool_bits: list[np.ndarray], src: np.ndarray,
    counts: np.ndarray, encoder: str,
) -> None:  # fmt: skip
    """The token store's files: paper i gets pool paper src[i]'s bits, tiled to counts[i]."""
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    nbytes = pool_bits[0].shape[1]
    folder.mkdir(parents=True)
    np.save(folder / "keys.npy", keys)
    np.save(folder / "offsets.npy", offsets)
    bits = open_memmap(folder / "bits.npy", "w+", np.uint8, (int(offsets[-1]), nbytes))
    for i, (s, n) in enumerate(zip(src.tolist(), counts.tolist(), strict=True)):
        pool = pool_bits[s]
        bits[offsets[i] : offsets[i + 1]] = np.resize(pool, (n, nbytes)) if len(pool) else 0
    bits.flush()
    del bits
    write_meta(folder, "tokens", dim=nbytes * 8, encoder=encoder, count=len(keys),
               tokens=int(offsets[-1]))  # fmt: skip


def _time(calls: list[str], run: Any, index: EmbeddedIndex) -> list[float]:
    ms = []
    for question in calls:
        index.query_vectors.clear()  # query encoding is part of every call
        t0 = time.perf_counter()
        run(question)
        ms.append((time.perf_counter() - t0) * 1000)
    return ms


def bench_ask(
    *,
    daily: Path,
    questions: int = 200,
    pool_size: int = 500,
    encoder_spec: str | None = None,
    cache_dir: Path,
    workdir: Path | None = None,
) -> dict[str, Any]:
    files = _daily_files(daily)
    texts = make_queries(files, questions)
    encoder = load_encoder(encoder_spec)
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        home = Path(tmp) / "home"
        built = build_store(home, files, embed=0, encoder=encoder_spec)
        settings = Settings(home=home, database_url=None, encoder=encoder_spec)
        with open_store(settings) as store:
            built |= add_synthetic_vectors(
                store, index_folder(settings), encoder, pool_size=pool_size, cache_dir=cache_dir
            )
            index = EmbeddedIndex.open(index_folder(settings), encoder=encoder)
            ask(store, index, texts[0])  # warm up: model session, page cache
            found = sum(ask(store, index, t)["found"] for t in texts)
            base = _time(texts, lambda q: search(store, index, q), index)
            asked = _time(texts, lambda q: ask(store, index, q), index)
    p_ask, p_base = _percentiles(asked), _percentiles(base)
    return {
        "papers": built["papers"],
        "questions": len(texts),
        "answered": found,
        "build": built,
        "ask_ms": p_ask,
        "baseline_search_ms": p_base,
        "ratio_p50": round(p_ask["p50"] / p_base["p50"], 2),
        "machine": describe_machine(),
    }
