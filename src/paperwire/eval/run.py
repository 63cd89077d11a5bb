"""`paperwire eval beir DIR`: every search mode over a BEIR folder, side by side.

The corpus goes into an index of the chosen backend (`--backend`: an in-memory embedded index by
default, or a scratch Milvus collection) and each query through the search service's `rank`, the
call users' searches make (BEIR queries are claims, not search-box syntax: they are asked as
text). Embeddings are cached under the data home's cache, so a re-run encodes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from paperwire.eval.beir import BeirSet, load_beir, score_run_per_query
from paperwire.eval.stats import compare
from paperwire.index.backend import MODES, IndexBackend, Mode, Query
from paperwire.index.base import Doc
from paperwire.index.embed_cache import iter_cached
from paperwire.index.embedded import EmbeddedIndex, FusionConfig
from paperwire.index.embedlog import text_hash
from paperwire.index.encoders import Encoder, load_encoder
from paperwire.search.service import rank

Progress = Callable[[str, int, int], None]  # (stage, done, total)
DEPTH = 100


def build_eval_index(
    data: BeirSet,
    *,
    encoder: Encoder | None,
    cache_dir: Path,
    fusion: FusionConfig | None = None,
    progress: Progress | None = None,
    index: IndexBackend | None = None,
) -> IndexBackend:
    """The corpus in `index` (default: a new in-memory embedded index with `fusion`)."""
    index = index if index is not None else EmbeddedIndex(None, encoder=encoder, fusion=fusion)
    docs = [
        Doc(key=i, title=t, abstract=x)
        for i, (t, x) in enumerate(zip(data.titles, data.texts, strict=True))
    ]
    index.upsert(docs)
    if encoder is None:
        index.save()
        return index
    texts = [d.text() for d in docs]
    for start, pooled, tokens in iter_cached(encoder, texts, kind="doc", cache_dir=cache_dir):
        keys = np.arange(start, start + len(pooled), dtype=np.int64)
        # The text hashes, as the embedding job records them: Ask trusts only token vectors
        # made from the current text.
        hashes = np.array([text_hash(t) for t in texts[start : start + len(pooled)]], np.int64)
        index.add_vectors(keys, hashes, pooled, tokens)
        if progress:
            progress("embed corpus", start + len(pooled), len(texts))
    index.save()  # Milvus: rows out of the server's write buffer into indexed segments
    return index


def prime_queries(index: IndexBackend, queries: dict[str, str], cache_dir: Path) -> None:
    texts = list(queries.values())
    encoder = index.encoder
    for start, pooled, tokens in iter_cached(encoder, texts, kind="query", cache_dir=cache_dir):
        for i in range(len(pooled)):
            index.remember_query(texts[start + i], pooled[i], tokens[i])


def run_mode(
    index: IndexBackend, data: BeirSet, queries: dict[str, str], mode: Mode
) -> tuple[dict[str, dict[str, float]], float]:
    run: dict[str, dict[str, float]] = {}
    started = time.perf_counter()
    for qid, text in queries.items():
        hits = rank(index, Query(text=text), k=DEPTH, mode=mode, modes=MODES)
        run[qid] = {data.doc_ids[k]: float(s) for k, s in hits.pairs()}
    ms = (time.perf_counter() - started) * 1000 / max(1, len(queries))
    return run, ms


SINGLE = ("bm25", "dense")


def _against_best_single(results: dict[str, Any], per_query: dict[str, dict[str, float]]) -> None:
    """Each fused mode's per-query nDCG@10 against the best single method run (wins, losses,
    ties, paired randomisation p-value), under `vs_best_single`."""
    singles = [m for m in SINGLE if m in results]
    if not singles:
        return
    best = max(singles, key=lambda m: results[m]["ndcg@10"])
    for mode in results:
        if mode not in SINGLE:
            results[mode]["vs_best_single"] = {"baseline": best} | compare(
                per_query[mode], per_query[best]
            )


def run_beir(
    folder: Path,
    *,
    split: str = "test",
    modes: Sequence[str] = MODES,
    encoder_spec: str | None = None,
    cache_dir: Path,
    fusion: FusionConfig | None = None,
    progress: Progress | None = None,
    scratch: Callable[[Encoder | None], IndexBackend] | None = None,
) -> dict[str, Any]:
    """Metrics per mode (nDCG@10, recall@100, MRR@10) and mean query latency, on the index
    `scratch(encoder)` gives (an empty index of the backend to measure; default: in-memory
    embedded, with `fusion`)."""
    data = load_beir(folder, split=split)
    queries = data.split_queries()
    needs_model = any(m != "bm25" for m in modes)
    encoder = load_encoder(encoder_spec) if needs_model else None
    index = build_eval_index(
        data,
        encoder=encoder,
        cache_dir=cache_dir,
        fusion=fusion,
        progress=progress,
        index=scratch(encoder) if scratch is not None else None,
    )
    if needs_model:
        prime_queries(index, queries, cache_dir)
    results: dict[str, Any] = {}
    per_query: dict[str, dict[str, float]] = {}
    for mode in modes:
        run, ms = run_mode(index, data, queries, mode)  # type: ignore[arg-type]
        means, per = score_run_per_query(data.qrels, run)
        results[mode] = means | {"ms_per_query": round(ms, 2)}
        per_query[mode] = per["ndcg@10"]
    _against_best_single(results, per_query)
    return {
        "dataset": data.name,
        "split": split,
        "docs": len(data.doc_ids),
        "queries": len(queries),
        "encoder": encoder.name if encoder else None,
        "backend": index.name,
        "results": results,
    }
