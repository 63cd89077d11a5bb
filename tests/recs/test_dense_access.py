"""The two read-only accessors recommendations use on DenseIndex: live keys, and an exact
top-k of w·x for a linear model's weights (checked against numpy over the stored vectors)."""

from __future__ import annotations

import numpy as np
import pytest

from paperwire.index.dense import DenseIndex


@pytest.fixture
def dense() -> DenseIndex:
    rng = np.random.default_rng(3)
    index = DenseIndex(16, hnsw_min=150)  # over hnsw_min: a graph exists, and must not be used
    index.add_vectors(np.arange(10, 210), rng.standard_normal((200, 16)))
    index.remove([10, 11, 12])
    return index


def test_keys_are_the_live_keys_ascending(dense: DenseIndex) -> None:
    assert dense.keys().tolist() == list(range(13, 210))
    assert DenseIndex(4).keys().tolist() == []


def test_best_by_dot_is_exact_w_dot_x(dense: DenseIndex) -> None:
    rng = np.random.default_rng(4)
    w = 5.0 * rng.standard_normal(16).astype(np.float32)
    keys = dense.keys()
    scores = dense.vectors(keys)[1] @ w
    order = np.argsort(-scores)[:10]
    hits = dense.best_by_dot(w, 10)
    assert hits.keys.tolist() == keys[order].tolist()
    np.testing.assert_allclose(hits.scores, scores[order], rtol=1e-4)

    allow = np.array([5, 10, 40, 41, 42, 43, 999])  # unknown and removed keys are ignored
    inside = dense.best_by_dot(w, 3, allow=allow)
    live = np.array([40, 41, 42, 43])
    expect = live[np.argsort(-(dense.vectors(live)[1] @ w))][:3]
    assert inside.keys.tolist() == expect.tolist()


def test_best_by_dot_edges(dense: DenseIndex) -> None:
    assert len(dense.best_by_dot(np.zeros(16), 5)) == 0
    assert len(dense.best_by_dot(np.ones(16), 0)) == 0
    assert len(dense.best_by_dot(np.ones(16), 5, allow=np.array([1, 2]))) == 0
    with pytest.raises(ValueError, match="dim"):
        dense.best_by_dot(np.ones(8), 5)
