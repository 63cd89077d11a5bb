"""Per-query comparison of two runs: wins, losses, ties and a paired randomisation test.

A mean over a few hundred queries hides whether a method wins broadly or on a handful of
queries; the win/loss counts show which, and the paired randomisation (sign-flip) test says how
likely a mean difference this large would be if the two methods were exchangeable per query
(Smucker, Allan & Carterette, CIKM 2007: the test IR evaluation should use).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

PERMUTATIONS = 10_000
SEED = 20_070_101  # fixed: the same runs always give the same p-value
TIE = 1e-9


def paired_randomisation(
    a: np.ndarray, b: np.ndarray, *, permutations: int = PERMUTATIONS, seed: int = SEED
) -> float:
    """Two-sided p-value of mean(a - b) under random per-query sign flips of the differences."""
    diff = np.asarray(a, np.float64) - np.asarray(b, np.float64)
    if len(diff) == 0 or not np.any(np.abs(diff) > TIE):
        return 1.0
    observed = abs(diff.mean())
    rng = np.random.default_rng(seed)
    hits = 0
    for start in range(0, permutations, 1000):  # blocks bound the [n_perm, n_queries] matrix
        n = min(1000, permutations - start)
        signs = rng.integers(0, 2, size=(n, len(diff)), dtype=np.int8) * 2 - 1
        hits += int(np.count_nonzero(np.abs((signs * diff).mean(axis=1)) >= observed - TIE))
    return (hits + 1) / (permutations + 1)  # never 0: the observed split is one of them


def compare(
    system: Mapping[str, float], baseline: Mapping[str, float], *, permutations: int = PERMUTATIONS
) -> dict[str, Any]:
    """`system` against `baseline`, per query (the keys of `baseline`; a query `system` lacks
    scores 0): wins, losses, ties, mean difference and the randomisation p-value."""
    queries = sorted(baseline)
    a = np.array([system.get(q, 0.0) for q in queries], np.float64)
    b = np.array([baseline[q] for q in queries], np.float64)
    diff = a - b
    return {
        "wins": int(np.count_nonzero(diff > TIE)),
        "losses": int(np.count_nonzero(diff < -TIE)),
        "ties": int(np.count_nonzero(np.abs(diff) <= TIE)),
        "mean_diff": round(float(diff.mean()), 4) if len(diff) else 0.0,
        "p_value": round(paired_randomisation(a, b, permutations=permutations), 4),
    }
