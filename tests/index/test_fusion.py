"""Fusion of ranked lists: reciprocal rank fusion and normalised-score fusion, computed by hand
on tiny lists (ties by key, weights, keys missing from a list, empty lists)."""

from __future__ import annotations

import numpy as np
import pytest

from paperwire.index.base import Hits
from paperwire.index.fusion import RRF_K, rrf, score_fusion


def hits(keys: list[int], scores: list[float] | None = None) -> Hits:
    """A list best first; scores default to descending values (RRF only reads the ranks)."""
    scores = scores if scores is not None else [float(len(keys) - i) for i in range(len(keys))]
    return Hits(np.array(keys, np.int64), np.array(scores, np.float32), len(keys))


def assert_fused(result: Hits, expected: list[tuple[int, float]]) -> None:
    assert result.keys.dtype == np.int64 and result.scores.dtype == np.float32
    assert result.keys.tolist() == [k for k, _ in expected]
    assert result.scores.tolist() == pytest.approx([s for _, s in expected], rel=1e-6)


# --- reciprocal rank fusion ----------------------------------------------------------------


def test_rrf_sums_reciprocal_ranks() -> None:
    # 1: ranks 1 and 2; 3: ranks 3 and 1; 2: rank 2 of the first list only; 4: rank 3 of the second.
    fused = rrf([hits([1, 2, 3]), hits([3, 1, 4])], k=10)
    assert RRF_K == 60
    assert_fused(
        fused,
        [(1, 1 / 61 + 1 / 62), (3, 1 / 63 + 1 / 61), (2, 1 / 62), (4, 1 / 63)],
    )
    assert fused.total == 4  # every key of the union


def test_rrf_ignores_the_input_scores() -> None:
    a = rrf([hits([1, 2], [100.0, 0.1]), hits([2, 1], [5.0, 4.9])], k=10)
    b = rrf([hits([1, 2], [2.0, 1.0]), hits([2, 1], [2.0, 1.0])], k=10)
    assert a.pairs() == b.pairs()


def test_rrf_ties_are_ordered_by_key() -> None:
    fused = rrf([hits([9, 2]), hits([2, 9])], k=10)
    assert fused.keys.tolist() == [2, 9]
    assert fused.scores[0] == fused.scores[1] == np.float32(1 / 61 + 1 / 62)
    # Keys that appear in one list only, at the same rank: also by key.
    fused = rrf([hits([30]), hits([10]), hits([20])], k=10)
    assert_fused(fused, [(10, 1 / 61), (20, 1 / 61), (30, 1 / 61)])


def test_rrf_weights_scale_each_list() -> None:
    lists = [hits([1, 2]), hits([2, 1])]
    # 1: 2/61 + 1/62 = 0.048916 beats 2: 2/62 + 1/61 = 0.048651, and the other way round.
    assert_fused(rrf(lists, k=10, weights=[2, 1]), [(1, 2 / 61 + 1 / 62), (2, 2 / 62 + 1 / 61)])
    assert_fused(rrf(lists, k=10, weights=[1, 2]), [(2, 2 / 61 + 1 / 62), (1, 2 / 62 + 1 / 61)])
    # A zero weight silences a list: its keys still appear, scored 0, last.
    assert_fused(rrf([hits([5]), hits([6, 5])], k=10, weights=[0, 1]), [(6, 1 / 61), (5, 1 / 62)])
    with pytest.raises(ValueError):
        rrf(lists, k=10, weights=[1.0])  # one weight per list


def test_rrf_constant_and_k() -> None:
    fused = rrf([hits([1, 2, 3]), hits([3])], k=2, rrf_k=0)
    assert_fused(fused, [(3, 1 / 3 + 1), (1, 1.0)])  # plain 1 / rank
    assert fused.total == 3  # k cuts the list, not the count


def test_rrf_with_empty_lists() -> None:
    assert len(rrf([], k=10)) == 0
    assert len(rrf([Hits.empty(), Hits.empty()], k=10)) == 0
    only = rrf([Hits.empty(), hits([7, 3])], k=10, weights=[5.0, 1.0])
    assert_fused(only, [(7, 1 / 61), (3, 1 / 62)])
    assert len(rrf([hits([1, 2])], k=0)) == 0


# --- score fusion --------------------------------------------------------------------------


def test_score_fusion_floors_misses_below_the_last_hit() -> None:
    a = hits([1, 2, 3], [3.0, 2.0, 1.0])  # floor 1 - 0.1 * 2 = 0.8: -> 1, 0.545, 0.091; miss 0
    b = hits([3, 4], [0.9, 0.1])  # floor 0.1 - 0.08 = 0.02: -> 1, 0.091; miss 0
    lo = 0.2 / 2.2
    # The last hit of each list (3 in a, 4 in b) now outranks a miss from that list.
    assert_fused(score_fusion([a, b], k=10), [(3, 1 + lo), (1, 1.0), (2, 1.2 / 2.2), (4, lo)])
    assert_fused(score_fusion([a, b], k=2), [(3, 1 + lo), (1, 1.0)])
    # A list scored on every key: a given floor (0: BM25 without a query term) is exact.
    assert_fused(
        score_fusion([a, b], k=10, floors=[0.0, None]), [(3, 4 / 3), (1, 1.0), (2, 2 / 3), (4, lo)]
    )


def test_a_rare_term_list_keeps_its_last_hit() -> None:
    """The issue-11 case: BM25 finds 2 papers, the dense list 3 others; min-max without a floor
    gave BM25's second hit 0, tied with every paper BM25 never returned."""
    lexical = hits([7, 8], [6.0, 5.0])
    dense = hits([1, 2, 8], [0.9, 0.5, 0.5])  # 2 and 8 tie here; only 8 was found by BM25
    fused = score_fusion([lexical, dense], k=4).keys.tolist()
    assert fused.index(8) < fused.index(2)


def test_score_fusion_is_scale_free() -> None:
    a = hits([1, 2, 3], [3.0, 2.0, 1.0])
    b = hits([3, 4], [0.9, 0.1])
    scaled = hits([1, 2, 3], [300.0, 200.0, 100.0])
    shifted = hits([3, 4], [10.9, 10.1])
    assert score_fusion([a, b], k=10).pairs() == score_fusion([scaled, shifted], k=10).pairs()


def test_score_fusion_zscore() -> None:
    a = hits([1, 2, 3], [3.0, 2.0, 1.0])  # mean 2, sd sqrt(2/3): z = +1.2247, 0, -1.2247
    b = hits([2, 4], [4.0, 2.0])  # mean 3, sd 1: z = +1, -1; floor 2 - 0.2 = 1.8: z -1.2
    z = 1 / np.sqrt(2 / 3)
    fused = score_fusion([a, b], k=10, method="zscore")
    # a's floor: 1 - 0.2 = 0.8, z = -1.2 * z
    assert_fused(fused, [(2, 1.0), (1, z - 1.2), (3, -z - 1.2), (4, -1.2 * z - 1)])
    with pytest.raises(ValueError, match="normalisation 'rank': use minmax or zscore"):
        score_fusion([a], k=10, method="rank")


def test_score_fusion_with_empty_lists() -> None:
    assert len(score_fusion([], k=10)) == 0
    assert len(score_fusion([Hits.empty()], k=10)) == 0
    only = score_fusion([Hits.empty(), hits([8, 4, 6], [0.5, 0.25, 0.0])], k=10, weights=[9, 2])
    assert_fused(only, [(8, 2.0), (4, 2 * 0.3 / 0.55), (6, 2 * 0.05 / 0.55)])
