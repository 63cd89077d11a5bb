"""`paperwire eval ask DIR`: how often Ask's evidence comes from a paper labelled relevant.

SciFact claims are the questions, its qrels say which papers hold the evidence. The BEIR form
keeps SciFact's rationale sentence numbers (in the queries' metadata) but not the original
sentence boundaries they count, so evidence is judged at the paper level:

- `evidence_p@k`: of the first k evidence sentences, the share from a relevant paper;
- `papers_p@k`: of the first k distinct papers cited, the share that are relevant.

The baseline is "first sentences of the top search hits": the lead sentence of each of the top
k hits of the same search (so its `papers_p@k` is the search's precision@k). Both see the same
`candidates` papers of the same index and mode. `answered` is the share of questions over the
floor, and `p@1_answered` the evidence precision@1 among those.

`--calibrate` (on train) picks the weights by a small grid (best mean of evidence_p@1 and
evidence_p@3), then fits the confidence curve (logistic regression of "the top sentence is from
a relevant paper" on the best score) and puts the floor where that curve says 0.3.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import numpy as np

from paperwire.eval.beir import BeirSet, load_beir
from paperwire.eval.run import build_eval_index, prime_queries
from paperwire.index.backend import IndexBackend, Mode, Query
from paperwire.index.encoders import load_encoder
from paperwire.search.ask import (
    DEFAULT_CONFIG,
    LEXICAL_CONFIG,
    AskConfig,
    Candidate,
    Scored,
    combine,
    score_sentences,
    select,
)
from paperwire.search.sentences import split_sentences

Progress = Callable[[str, int, int], None]
KS = (1, 3, 5)
FLOOR_PROBABILITY = 0.3
GRID = {
    "w_lexical": (0.0, 0.25, 0.5, 1.0),
    "w_prior": (0.0, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0),
    "prior_tau": (1.0, 3.0, 10.0),
}


def _candidates(
    index: IndexBackend, data: BeirSet, text: str, mode: Mode, k: int
) -> list[Candidate]:
    hits = index.search(Query(text=text), k=k, mode=mode)
    return [
        Candidate(int(key), rank, data.titles[key], data.texts[key])
        for rank, key in enumerate(hits.keys.tolist())
    ]


def _precisions(docs: Sequence[str], relevant: dict[str, int]) -> dict[str, float]:
    """Evidence precision@k of a list of doc ids (one per evidence sentence) and papers
    precision@k of its distinct ids."""
    distinct = list(dict.fromkeys(docs))
    out = {}
    for k in KS:
        out[f"evidence_p@{k}"] = sum(d in relevant for d in docs[:k]) / k
        out[f"papers_p@{k}"] = sum(d in relevant for d in distinct[:k]) / k
    return out


def _baseline_docs(cands: list[Candidate], data: BeirSet) -> list[str]:
    return [data.doc_ids[c.key] for c in cands if split_sentences(c.abstract)]


def _mean(rows: list[dict[str, float]]) -> dict[str, float]:
    return {k: round(float(np.mean([r[k] for r in rows])), 4) for k in rows[0]} if rows else {}


def _evaluate(
    prepared: list[tuple[str, list[Scored], list[Candidate]]],
    data: BeirSet,
    config: AskConfig,
) -> dict[str, Any]:
    """Metrics of one configuration over prepared questions (sentence parts computed once)."""
    rows, best, correct = [], [], []
    for qid, scored, _ in prepared:
        ranked = combine(scored, config)
        evidence = select(ranked, replace(config, max_evidence=max(KS)), floor=False)
        docs = [data.doc_ids[s.cand.key] for s in evidence]
        rows.append(_precisions(docs, data.qrels[qid]))
        best.append(ranked[0].score if ranked else -math.inf)
        correct.append(bool(docs) and docs[0] in data.qrels[qid])
    result = _mean(rows)
    answered = [b >= config.floor for b in best]
    result["answered"] = round(float(np.mean(answered)), 4)
    hits = [c for c, a in zip(correct, answered, strict=True) if a]
    result["p@1_answered"] = round(float(np.mean(hits)), 4) if hits else 0.0
    return {"metrics": result, "best": best, "correct": correct}


def fit_confidence(best: Sequence[float], correct: Sequence[bool]) -> tuple[float, float, float]:
    """(a, b, floor): logistic regression of correct on the best score (Newton's method), and
    the score at which it predicts FLOOR_PROBABILITY."""
    x = np.array([b for b in best if math.isfinite(b)])
    y = np.array([float(c) for b, c in zip(best, correct, strict=True) if math.isfinite(b)])
    X = np.stack([x, np.ones_like(x)], axis=1)
    w = np.zeros(2)
    for _ in range(50):
        p = 1 / (1 + np.exp(-(X @ w)))
        grad = X.T @ (y - p) - 1e-3 * w
        hess = (X * (p * (1 - p))[:, None]).T @ X + 1e-3 * np.eye(2)
        w = w + np.linalg.solve(hess, grad)
    a, b = float(w[0]), float(w[1])
    floor = (math.log(FLOOR_PROBABILITY / (1 - FLOOR_PROBABILITY)) - b) / a if a else 0.0
    return round(a, 3), round(b, 3), round(floor, 4)


def _calibrate(prepared: Any, data: BeirSet, base: AskConfig) -> AskConfig:
    best_cfg, best_value = base, -1.0
    keys = list(GRID)
    for values in itertools.product(*(GRID[k] for k in keys)):
        cfg = replace(base, **dict(zip(keys, values, strict=True)))  # type: ignore[arg-type]
        m = _evaluate(prepared, data, cfg)["metrics"]
        value = (m["evidence_p@1"] + m["evidence_p@3"]) / 2
        if value > best_value + 1e-9:
            best_cfg, best_value = cfg, value
    run = _evaluate(prepared, data, best_cfg)
    a, b, floor = fit_confidence(run["best"], run["correct"])
    return replace(best_cfg, conf_a=a, conf_b=b, floor=floor)


def run_ask_eval(
    folder: Path,
    *,
    split: str = "test",
    mode: Mode = "hybrid+rerank",
    lexical_only: bool = False,
    calibrate: bool = False,
    encoder_spec: str | None = None,
    cache_dir: Path,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Evidence precision of Ask against the first-sentence baseline on a BEIR folder."""
    data = load_beir(folder, split=split)
    queries = data.split_queries()
    encoder = None if lexical_only else load_encoder(encoder_spec)
    index = build_eval_index(data, encoder=encoder, cache_dir=cache_dir, progress=progress)
    if encoder is not None:
        prime_queries(index, queries, cache_dir)
    else:
        mode = "bm25"
    config = LEXICAL_CONFIG if lexical_only else DEFAULT_CONFIG
    prepared, baseline = [], []
    for n, (qid, text) in enumerate(queries.items(), start=1):
        cands = _candidates(index, data, text, mode, config.candidates)
        scored, _, _ = score_sentences(index, text, cands, maxsim=not lexical_only)
        prepared.append((qid, scored, cands))
        baseline.append(_precisions(_baseline_docs(cands, data), data.qrels[qid]))
        if progress and n % 25 == 0:
            progress("questions", n, len(queries))
    if calibrate:
        config = _calibrate(prepared, data, config)
    ours = _evaluate(prepared, data, config)["metrics"]
    return {
        "dataset": data.name,
        "split": split,
        "questions": len(queries),
        "mode": mode,
        "scoring": "lexical" if lexical_only else "maxsim+lexical",
        "config": asdict(config),
        "results": {"ask": ours, "baseline_first_sentences": _mean(baseline)},
    }
