"""Pick the fusion defaults on SciFact *train* queries, then report the picks on *test*.

    python benchmarks/fusion.py [BEIR_DIR] [--cache DIR]

Every setting is scored on train only; test runs once per pick (per mode), so nothing is
chosen on test. The search is staged, as a full product would take hours on 2 cores:
1. fusion weights with feedback off: z-score fusion over completed lists, weights
   (1, dense, maxsim); depth 200, min-max and RRF once each for reference;
2. RM3 feedback (fb_docs, fb_terms, weight) at the stage-1 pick;
3. the stage-1 weights around their pick again, with the stage-2 feedback on;
4. the weight of the term-proximity list (index/lexical/proximity.py), per mode, at the picks
   (stages 1-3 run without it, as they were picked before it existed).
The hybrid weights (lexical, dense) are picked on the hybrid mode in stage 1; the rerank's first
pass (the feedback documents) uses them too.

Embeddings come from the `paperwire eval` cache, so run `paperwire eval beir` once first (or
let this script encode: ~3 minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from paperwire.eval.beir import BeirSet, load_beir, score_run
from paperwire.eval.run import build_eval_index, prime_queries, run_mode
from paperwire.index.embedded import EmbeddedIndex, FusionConfig
from paperwire.index.encoders import load_encoder
from paperwire.index.prf import PrfConfig

OFF = PrfConfig()
NO_PROXIMITY = (0.0, 0.0)


def stage1() -> list[FusionConfig]:
    out = [
        FusionConfig("score", (1.0, 1.0), (1.0, d, m), 100, prf=OFF)
        for d, m in itertools.product((0.7, 1.0, 1.3), (0.7, 1.0, 1.3, 1.6))
    ]
    out.append(FusionConfig("score", (1.0, 1.0), (1.0, 1.0, 1.0), 200, prf=OFF))  # deeper
    out.append(FusionConfig("score", (1.0, 1.0), (1.0, 1.0, 1.0), normalise="minmax", prf=OFF))
    out += [FusionConfig("rrf", (1.0, 1.0), (1.0, 1.0, 1.0), rrf_k=k, prf=OFF) for k in (30, 60)]
    return out


def stage4(base: FusionConfig, mode: str) -> list[FusionConfig]:
    """Proximity weights for one mode (the other mode's weight left as it is)."""
    hybrid, rerank = base.proximity
    grid = (0.0, 0.1, 0.15, 0.2, 0.3)
    if mode == "hybrid+rerank":
        return [replace(base, proximity=(hybrid, w)) for w in grid]
    return [replace(base, proximity=(w, rerank)) for w in grid]


def hybrid_weights() -> list[tuple[float, float]]:
    return [(1.0, d) for d in (0.5, 0.7, 1.0, 1.3, 1.6)]


def stage2(base: FusionConfig, hybrid: tuple[float, float]) -> list[FusionConfig]:
    """Feedback settings, each with the hybrid weights of the stage-1 pick for hybrid and with
    (1, 1): with feedback on they also pick the rerank's feedback documents."""
    grid = [(d, 10, w) for d, w in itertools.product((5, 10, 20), (0.1, 0.2, 0.3))]
    grid += [(10, 5, 0.2), (10, 20, 0.2)]
    return [
        replace(base, hybrid_weights=hw, prf=PrfConfig(d, t, w))
        for hw in dict.fromkeys([hybrid, (1.0, 1.0)])
        for d, t, w in grid
    ]


def stage3(base: FusionConfig) -> list[FusionConfig]:
    """The weights one step either way of the pick, one weight at a time."""
    _, d0, m0 = base.rerank_weights
    steps = [(d0 - 0.3, m0), (d0 + 0.3, m0), (d0, m0 - 0.3), (d0, m0 + 0.3)]
    return [base] + [replace(base, rerank_weights=(1.0, d, m)) for d, m in steps if d > 0 and m > 0]


class Bench:
    def __init__(self, index: EmbeddedIndex, train: BeirSet, test: BeirSet) -> None:
        self.index, self.train, self.test = index, train, test
        self.rows: list[dict[str, Any]] = []

    def score(self, cfg: FusionConfig, mode: str, data: BeirSet) -> float:
        self.index.fusion = cfg
        run = run_mode(self.index, data, data.split_queries(), mode)[0]  # type: ignore[arg-type]
        return score_run(data.qrels, run)["ndcg@10"]

    def best_on_train(self, stage: str, configs: list[FusionConfig], mode: str) -> FusionConfig:
        scored = []
        for cfg in configs:
            train = self.score(cfg, mode, self.train)
            scored.append((train, cfg))
            self.rows.append({"stage": stage, "mode": mode, "train_ndcg10": train} | asdict(cfg))
            print(json.dumps(self.rows[-1]), flush=True)
        return max(scored, key=lambda tc: tc[0])[1]  # the first of equal scores: grid order


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("beir", nargs="?", default="../shared/data/beir/scifact")
    ap.add_argument("--cache", default=str(Path("~/.paperwire/cache/embeddings").expanduser()))
    ap.add_argument(
        "--skip-stage1", action="store_true", help="start stage 2 from the shipped weights"
    )
    args = ap.parse_args()
    started = time.process_time()
    train, test = load_beir(Path(args.beir), split="train"), load_beir(Path(args.beir))
    index = build_eval_index(test, encoder=load_encoder(None), cache_dir=Path(args.cache))
    prime_queries(index, train.split_queries() | test.split_queries(), Path(args.cache))
    bench = Bench(index, train, test)
    hw = [FusionConfig(hybrid_weights=w, prf=OFF, proximity=NO_PROXIMITY) for w in hybrid_weights()]
    hybrid = bench.best_on_train("1-hybrid", hw, "hybrid")
    if args.skip_stage1:  # its pick on the last full run is the shipped default
        picked = replace(
            FusionConfig(), hybrid_weights=hybrid.hybrid_weights, prf=OFF, proximity=NO_PROXIMITY
        )
    else:
        stage1_grid = [
            replace(c, hybrid_weights=hybrid.hybrid_weights, proximity=NO_PROXIMITY)
            for c in stage1()
        ]
        picked = bench.best_on_train("1", stage1_grid, "hybrid+rerank")
    stage2_grid = [picked, *stage2(picked, hybrid.hybrid_weights)]
    picked = bench.best_on_train("2", stage2_grid, "hybrid+rerank")
    if picked.prf.on:
        picked = bench.best_on_train("3", stage3(picked), "hybrid+rerank")
    hybrid = bench.best_on_train("4-hybrid", stage4(hybrid, "hybrid"), "hybrid")
    picked = replace(picked, proximity=hybrid.proximity)
    picked = bench.best_on_train("4", stage4(picked, "hybrid+rerank"), "hybrid+rerank")
    hybrid = replace(hybrid, proximity=picked.proximity)
    hybrid_prf = replace(hybrid, prf=picked.prf)
    for mode, cfg in (("hybrid", hybrid), ("hybrid", hybrid_prf), ("hybrid+rerank", picked)):
        result = {
            "mode": mode,
            "train_ndcg10": bench.score(cfg, mode, train),
            "test_ndcg10": bench.score(cfg, mode, test),
        }
        print(json.dumps({"pick": result | asdict(cfg)}), flush=True)
    print(json.dumps({"cpu_s": round(time.process_time() - started, 1)}))


if __name__ == "__main__":
    main()
