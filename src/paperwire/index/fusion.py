"""Combining ranked lists: reciprocal rank fusion and normalised-score fusion.

Both are deterministic: equal fused scores are ordered by key.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from paperwire.index.base import Hits, top_k

RRF_K = 60  # Cormack et al.'s constant; robust across collections


def _union(lists: Sequence[Hits]) -> np.ndarray:
    parts = [h.keys for h in lists if len(h)]
    return np.unique(np.concatenate(parts)) if parts else np.zeros(0, np.int64)


def rrf(
    lists: Sequence[Hits], *, k: int, weights: Sequence[float] | None = None, rrf_k: int = RRF_K
) -> Hits:
    """Reciprocal rank fusion: Σ w_i / (rrf_k + rank_i), ranks from 1; absent lists add 0."""
    keys = _union(lists)
    scores = np.zeros(len(keys), np.float64)
    for hits, w in zip(lists, weights or [1.0] * len(lists), strict=True):
        if len(hits):
            pos = np.searchsorted(keys, hits.keys)
            scores[pos] += w / (rrf_k + np.arange(1, len(hits) + 1))
    return top_k(keys, scores.astype(np.float32), k)


FLOOR_GAP = 0.1  # see floor_below


def floor_below(scores: np.ndarray) -> float:
    """A score below a list's last hit, for keys the list did not return when their true score
    is unknown: min - FLOOR_GAP * (max - min). Plain min-max would give the last hit 0, the same
    as a miss; for a rare-term query with 3 BM25 hits the last one (often the relevant one) then
    weighs nothing."""
    lo, hi = float(scores.min()), float(scores.max())
    return lo - FLOOR_GAP * (hi - lo) if hi > lo else lo - 1.0


def _normalise(scores: np.ndarray, method: str, floor: float) -> tuple[np.ndarray, float]:
    """(normalised scores, the normalised floor)."""
    if method == "minmax":
        lo, hi = min(floor, float(scores.min())), float(scores.max())
        if hi <= lo:
            return np.ones_like(scores), 0.0
        return (scores - lo) / (hi - lo), (floor - lo) / (hi - lo)
    if method == "zscore":
        sd = float(scores.std())
        if sd <= 0:
            return np.zeros_like(scores), min(0.0, floor - float(scores.mean()))
        return (scores - scores.mean()) / sd, (floor - float(scores.mean())) / sd
    raise ValueError(f"normalisation {method!r}: use minmax or zscore")


def score_fusion(
    lists: Sequence[Hits],
    *,
    k: int,
    weights: Sequence[float] | None = None,
    floors: Sequence[float | None] | None = None,
    method: str = "minmax",
) -> Hits:
    """Weighted sum of per-list normalised scores over the union of the lists' keys.

    A key a list lacks takes that list's floor: `floors[i]` when the list's scores are known to
    be complete over the union (e.g. 0 for BM25 scored on every candidate: a missing key has no
    query term), else `floor_below` its last hit. Min-max maps [min(floor, lowest), highest] to
    [0, 1], so a list's last hit always outranks its misses."""
    keys = _union(lists)
    total = np.zeros(len(keys), np.float64)
    given = list(floors) if floors is not None else [None] * len(lists)
    for hits, w, floor in zip(lists, weights or [1.0] * len(lists), given, strict=True):
        if not len(hits):
            continue
        scores = hits.scores.astype(np.float64)
        norm, missing = _normalise(scores, method, floor_below(scores) if floor is None else floor)
        column = np.full(len(keys), missing)
        column[np.searchsorted(keys, hits.keys)] = norm
        total += w * column
    return top_k(keys, total.astype(np.float32), k)
