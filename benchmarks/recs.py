"""How long `recommend` takes for one user at corpus scale.

    python benchmarks/recs.py [DAILY_DIR] [--likes 20] [--papers N] [--workdir DIR]

Ingests the real 2025-2026 daily CS listings (74,728 papers; real titles, abstracts and listing
days) into SQLite and indexes them lexically; the vectors are synthetic (384 dims, one random
direction per primary category plus noise: embedding 75k papers takes hours on 2 cores), as
recommendations only read the stored int8 codes. A user likes `--likes` papers of one category
and marks two "not interested"; we report the median of repeated `recommend` calls, and its
parts: training the model and one scoring pass. The store is kept in --workdir between runs.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from sqlalchemy import select

from paperwire.community import recs
from paperwire.index.dense import DenseIndex
from paperwire.index.embedded import EmbeddedIndex
from paperwire.index.manager import update_index
from paperwire.ingest.files import DailyJsonl
from paperwire.ingest.runner import run_ingest
from paperwire.store import feedback, open_store
from paperwire.store.schema import papers, votes
from paperwire.store.users import create_user

DIM = 384


def unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def timed(fn: object, repeat: int) -> float:
    """Median milliseconds of `repeat` calls."""
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        runs.append((time.perf_counter() - start) * 1000)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("daily", nargs="?", default="../shared/data/arxiv/daily-arxiv-cs-2025-2026")
    parser.add_argument("--likes", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "pw-recs")
    args = parser.parse_args()

    db = args.workdir / "paperwire.db"
    args.workdir.mkdir(parents=True, exist_ok=True)
    store = open_store(url=f"sqlite:///{db}")
    started = time.perf_counter()
    run_ingest(store, DailyJsonl(sorted(Path(args.daily).glob("*.jsonl.gz"))))
    index = EmbeddedIndex()
    update_index(store, index)
    print(f"ingest + lexical index: {time.perf_counter() - started:.1f} s")

    with store.engine.connect() as conn:
        rows = conn.execute(select(papers.c.pk, papers.c.primary_category)).all()
    keys = np.array([r[0] for r in rows], np.int64)
    cats = sorted({r[1] or "" for r in rows})
    rng = np.random.default_rng(0)
    centers = unit(rng.standard_normal((len(cats), DIM)))
    common = unit(rng.standard_normal((1, DIM)))
    cat_of = np.array([cats.index(r[1] or "") for r in rows])
    vecs = unit(
        0.5 * common + 0.5 * centers[cat_of] + 0.4 * unit(rng.standard_normal((len(keys), DIM)))
    )
    index.dense = DenseIndex(DIM)
    index.dense.add_vectors(keys, vecs)
    print(f"papers: {len(keys):,}, with vectors: {len(index.dense):,}")

    user = create_user(store, f"bench-{datetime.now(UTC).timestamp()}@example.org")[0]
    favourite = np.bincount(cat_of).argmax()
    liked = rng.choice(keys[cat_of == favourite], args.likes + 2, replace=False)
    with store.engine.begin() as conn:
        for pk in liked[: args.likes]:
            conn.execute(
                votes.insert().values(user_id=user.id, paper_pk=int(pk), created=datetime.now(UTC))
            )
    for pk in liked[args.likes :]:
        feedback.mark_not_interested(store, user.id, int(pk))

    found = recs.recommend(store, index, user.id, limit=10)
    print("first recommendation:", found[0].reason if found else None)
    total = timed(lambda: recs.recommend(store, index, user.id, limit=10), args.repeat)
    pos = index.dense.vectors(liked[: args.likes])[1]
    neg = index.dense.vectors(liked[args.likes :])[1]
    seen = np.sort(liked)
    bg = recs._background(index.dense, seen)
    fit = timed(lambda: recs.train(pos, neg, bg), args.repeat)
    w, _ = recs.train(pos, neg, bg)
    allow = recs.candidates(index, index.dense, seen, 10)
    score = timed(lambda: index.dense.best_by_dot(w, 10, allow=allow), args.repeat)
    score_all = timed(lambda: index.dense.best_by_dot(w, 10), args.repeat)
    print(
        f"recommend (limit 10, {args.likes} likes, 2 marks): {total:.1f} ms median; "
        f"training {fit:.1f} ms; scoring {len(allow):,} recent candidates {score:.1f} ms, "
        f"all {len(index.dense):,} papers {score_all:.1f} ms"
    )
    store.close()


if __name__ == "__main__":
    main()
