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


def _normalise(scores: np.ndarray, method: str) -> np.ndarray:
    if len(scores) == 0:
        return scores
    if method == "minmax":
        lo, hi = float(scores.min()), float(scores.max())
        return (scores - lo) / (hi - lo) if hi > lo else np.ones_like(scores)
    if method == "zscore":
        sd = float(scores.std())
        return (scores - scores.mean()) / sd if sd > 0 else np.zeros_like(scores)
    raise ValueError(f"normalisation {method!r}: use minmax or zscore")


def score_fusion(
    lists: Sequence[Hits], *, k: int, weights: Sequence[float] | None = None, method: str = "minmax"
) -> Hits:
    """Weighted sum of per-list normalised scores; a key absent from a list gets 0 after min-max
    (the z-score list's minimum), as if it ranked just below the cut."""
    keys = _union(lists)
    total = np.zeros(len(keys), np.float64)
    for hits, w in zip(lists, weights or [1.0] * len(lists), strict=True):
        if not len(hits):
            continue
        norm = _normalise(hits.scores.astype(np.float64), method)
        # Absent from a list: as if just below its last hit (0 after min-max).
        column = np.full(len(keys), 0.0 if method == "minmax" else norm.min())
        column[np.searchsorted(keys, hits.keys)] = norm
        total += w * column
    return top_k(keys, total.astype(np.float32), k)
