"""Pick the fusion defaults on SciFact *train* queries, then report them on *test*.

    python benchmarks/fusion.py [BEIR_DIR] [--cache DIR]

Embeddings come from the `paperwire eval` cache, so run `paperwire eval beir` once first (or
let this script encode: ~3 minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path

from paperwire.eval.beir import load_beir, score_run
from paperwire.eval.run import build_eval_index, prime_queries, run_mode
from paperwire.index.embedded import FusionConfig
from paperwire.index.encoders import load_encoder


def configs() -> list[FusionConfig]:
    out = []
    for rrf_k, depth in itertools.product((10, 30, 60), (100, 200)):
        w: tuple[float, float, float]
        for w in (
            (1, 1, 1),
            (1, 1, 0.5),
            (1, 1, 2),
            (1, 0.5, 1),
            (1.5, 1, 1),
            (1, 1.5, 1),
            (1, 0.7, 1.5),
            (1.5, 1, 2),
        ):
            out.append(FusionConfig("rrf", (w[0], w[1]), w, depth, rrf_k))
    # Score fusion over completed lists (every candidate scored by every list), both
    # normalisations; the grid the defaults were picked from.
    for norm in ("zscore", "minmax"):
        for d, m in itertools.product((0.3, 0.5, 0.7, 1.0), (0.3, 0.5, 0.7, 1.0)):
            w = (1, d, m)
            out.append(
                FusionConfig("score", (1.0, d), w, 100, normalise=norm)  # type: ignore[arg-type]
            )
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("beir", nargs="?", default="../shared/data/beir/scifact")
    ap.add_argument("--cache", default=str(Path("~/.paperwire/cache/embeddings").expanduser()))
    args = ap.parse_args()
    train, test = load_beir(Path(args.beir), split="train"), load_beir(Path(args.beir))
    index = build_eval_index(test, encoder=load_encoder(None), cache_dir=Path(args.cache))
    prime_queries(index, train.split_queries() | test.split_queries(), Path(args.cache))
    rows = []
    for cfg in configs():
        index.fusion = cfg
        for mode in ("hybrid", "hybrid+rerank"):
            tr = score_run(train.qrels, run_mode(index, train, train.split_queries(), mode)[0])
            te = score_run(test.qrels, run_mode(index, test, test.split_queries(), mode)[0])
            weights = cfg.rerank_weights if mode == "hybrid+rerank" else cfg.hybrid_weights
            rows.append(
                {
                    "mode": mode,
                    "fusion": cfg.method,
                    "weights": weights,
                    "depth": cfg.depth,
                    "rrf_k": cfg.rrf_k,
                    "normalise": cfg.normalise,
                    "train_ndcg10": tr["ndcg@10"],
                    "test_ndcg10": te["ndcg@10"],
                }
            )
    rows.sort(key=lambda r: -r["train_ndcg10"])
    for mode in ("hybrid", "hybrid+rerank"):
        best = next(r for r in rows if r["mode"] == mode)
        print(json.dumps({"best_on_train": best}))
    print(json.dumps({"all": rows}))


if __name__ == "__main__":
    main()
