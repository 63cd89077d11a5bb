"""DenseIndex: exact search against a numpy reference, quantisation recall, writes, filters,
files, and the HNSW path (with its threshold lowered so that a few thousand vectors use it)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from paperwire.index import dense
from paperwire.index.base import IndexFormatError
from paperwire.index.dense import DenseIndex, quantise
from paperwire.index.encoders import HashEncoder

TEXTS = [
    "graph neural networks for molecules",
    "molecular property prediction with graph networks",
    "protein folding with deep learning",
    "deep learning for protein structure",
    "reinforcement learning for robot control",
    "robots learn control policies by reinforcement",
    "bayesian optimisation of hyperparameters",
    "hyperparameter search with gaussian processes",
    "quantum error correction codes",
    "surface codes for quantum computing",
    "transformers for long documents",
    "efficient attention for long sequences",
]


def unit(rng: np.random.Generator, n: int, d: int) -> np.ndarray:
    v = rng.standard_normal((n, d)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def clustered(rng: np.random.Generator, n: int, d: int = 48) -> np.ndarray:
    """Vectors around 40 centres: neighbours are close, as real embeddings' are."""
    centres = unit(rng, 40, d)
    v = centres[rng.integers(0, 40, n)] + 0.35 * unit(rng, n, d)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def reference(keys: np.ndarray, vecs: np.ndarray, q: np.ndarray, k: int, dtype: str) -> list:
    """Brute force with the same quantisation, ranked score desc then key asc."""
    codes, inv = quantise(vecs, dtype)  # type: ignore[arg-type]
    scores = (codes.astype(np.float32) @ q) * inv
    order = np.lexsort((keys, -scores))[:k]
    return [(int(keys[i]), float(scores[i])) for i in order]


@pytest.fixture
def hashed() -> tuple[HashEncoder, np.ndarray, np.ndarray]:
    enc = HashEncoder()
    return enc, np.arange(100, 100 + len(TEXTS)), enc.encode(TEXTS, kind="doc")


def assert_hits(hits: list, expected: list) -> None:
    assert [k for k, _ in hits] == [k for k, _ in expected]
    np.testing.assert_allclose([s for _, s in hits], [s for _, s in expected], atol=1e-4)


@pytest.mark.parametrize("dtype", ["int8", "f16"])
def test_exact_top_k_matches_brute_force(hashed: tuple, dtype: str) -> None:
    enc, keys, vecs = hashed
    index = DenseIndex(enc.dim, encoder=enc.name, dtype=dtype)  # type: ignore[arg-type]
    index.add_vectors(keys, vecs)
    assert len(index) == len(TEXTS)
    for query in ["graph networks for molecules", "quantum codes", "robot control"]:
        q = enc.encode([query], kind="query")[0]
        assert_hits(index.search(q, 5).pairs(), reference(keys, vecs, q, 5, dtype))
    # The pair written alike comes first for its own text.
    top = index.search(vecs[2], 2).pairs()
    assert [k for k, _ in top] == [102, 103]
    assert top[0][1] == pytest.approx(1.0, abs=1e-3)


@pytest.mark.parametrize("with_numkong", [True, False])
def test_brute_force_on_thousands_is_exact(
    monkeypatch: pytest.MonkeyPatch, with_numkong: bool
) -> None:
    """Above 128 rows an int8 pre-pass (numkong) picks candidates for the exact rescoring; the
    result must equal the plain reference either way, filtered or not."""
    if not with_numkong:
        monkeypatch.setattr(dense, "numkong_or_none", lambda: None)
    rng = np.random.default_rng(5)
    vecs, queries = clustered(rng, 3000), clustered(rng, 20)
    keys = rng.permutation(3000) * 7 + 3
    index = DenseIndex(vecs.shape[1])
    index.add_vectors(keys, vecs)
    sel = rng.random(3000) < 0.3
    for q in queries:
        assert_hits(index.search(q, 10).pairs(), reference(keys, vecs, q, 10, "int8"))
        hits = index.search(q, 10, allow=keys[sel]).pairs()
        assert_hits(hits, reference(keys[sel], vecs[sel], q, 10, "int8"))


def test_sparse_keys_use_the_sorted_lookup() -> None:
    rng = np.random.default_rng(6)
    vecs = clustered(rng, 500)
    keys = (np.arange(500) << 40) + 11  # far too sparse for a direct table
    index = DenseIndex(vecs.shape[1])
    index.add_vectors(keys, vecs)
    index.remove(keys[:100])
    assert index._lookup is None or index._lookup.table is None
    assert index.has(np.array([keys[0], keys[100], 5])).tolist() == [False, True, False]
    assert index._lookup is not None and index._lookup.table is None
    q = vecs[200]
    assert index.search(q, 1).keys[0] == keys[200]
    hits = index.search(q, 5, allow=keys[300:])
    assert_hits(hits.pairs(), reference(keys[300:], vecs[300:], q, 5, "int8"))


def test_quantised_recall_against_float32() -> None:
    rng = np.random.default_rng(0)
    vecs, queries = clustered(rng, 3000), clustered(rng, 50)
    keys = np.arange(len(vecs))
    truth = np.argsort(-(vecs @ queries.T), axis=0)[:10].T
    for dtype, floor in (("int8", 0.97), ("f16", 0.995)):
        index = DenseIndex(vecs.shape[1], dtype=dtype)  # type: ignore[arg-type]
        index.add_vectors(keys, vecs)
        recall = np.mean(
            [
                len(set(index.search(q, 10).keys) & set(t)) / 10
                for q, t in zip(queries, truth, strict=True)
            ]
        )
        assert recall >= floor, (dtype, recall)


def test_remove_and_replace(hashed: tuple) -> None:
    enc, keys, vecs = hashed
    index = DenseIndex(enc.dim)
    index.add_vectors(keys, vecs)
    index.remove([102, 999])
    assert len(index) == len(TEXTS) - 1
    assert index.has(np.array([101, 102, 999])).tolist() == [True, False, False]
    assert 102 not in index.search(vecs[2], len(TEXTS)).keys
    # Replacing 103 with the vector of text 8 moves it; the count is unchanged.
    index.add_vectors(np.array([103]), vecs[8:9])
    assert len(index) == len(TEXTS) - 1
    assert set(index.search(vecs[8], 2).keys) == {103, 108}
    # Within one call the last vector of a repeated key wins.
    index.add_vectors(np.array([500, 500]), vecs[[0, 10]])
    assert index.search(vecs[10], 1).keys[0] in (110, 500)
    assert len(index) == len(TEXTS)


def test_allow_filter(hashed: tuple) -> None:
    enc, keys, vecs = hashed
    index = DenseIndex(enc.dim)
    index.add_vectors(keys, vecs)
    allow = np.array([104, 105, 110, 111, 999])
    q = enc.encode(["learning"], kind="query")[0]
    hits = index.search(q, 10, allow=allow)
    assert set(hits.keys) == {104, 105, 110, 111}
    sel = np.isin(keys, allow)
    assert_hits(hits.pairs(), reference(keys[sel], vecs[sel], q, 10, "int8"))
    assert len(index.search(q, 3, allow=np.array([7]))) == 0


def test_save_load_round_trip(tmp_path: Path, hashed: tuple) -> None:
    enc, keys, vecs = hashed
    index = DenseIndex(enc.dim, encoder=enc.name, dtype="f16")
    index.add_vectors(keys, vecs)
    index.remove([100])
    index.save(tmp_path / "dense")
    loaded = DenseIndex.load(tmp_path / "dense")
    assert (loaded.encoder, loaded.dim, loaded.dtype, len(loaded)) == (enc.name, 32, "f16", 11)
    assert isinstance(loaded._rows.base[1], np.memmap)
    q = enc.encode(["deep learning"], kind="query")[0]
    assert loaded.search(q, 5).pairs() == index.search(q, 5).pairs()
    # Writes after a load go to the in-memory tail; saving over the loaded folder works.
    loaded.add_vectors(np.array([100, 7]), vecs[[0, 1]])
    loaded.remove([101])
    loaded.save(tmp_path / "dense")
    again = DenseIndex.load(tmp_path / "dense", mmap=False)
    assert sorted(again._rows.keys().tolist()) == sorted([7, 100, *range(102, 112)])
    assert again.search(vecs[0], 1).keys[0] == 100


def test_damaged_folders_raise_index_format_error(tmp_path: Path, hashed: tuple) -> None:
    enc, keys, vecs = hashed
    with pytest.raises(IndexFormatError):
        DenseIndex.load(tmp_path / "missing")
    index = DenseIndex(enc.dim)
    index.add_vectors(keys, vecs)
    index.save(tmp_path / "d")
    (tmp_path / "d" / "codes.npy").write_bytes(b"\x93NUMPY garbage")
    with pytest.raises(IndexFormatError):
        DenseIndex.load(tmp_path / "d")
    index.save(tmp_path / "d")
    meta = json.loads((tmp_path / "d" / "meta.json").read_text())
    (tmp_path / "d" / "meta.json").write_text(json.dumps({**meta, "count": 3}))
    with pytest.raises(IndexFormatError, match="do not match"):
        DenseIndex.load(tmp_path / "d")
    (tmp_path / "d" / "meta.json").write_text(json.dumps({**meta, "format_version": 99}))
    with pytest.raises(IndexFormatError, match="rebuild"):
        DenseIndex.load(tmp_path / "d")


def test_hnsw_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(1)
    vecs, queries = clustered(rng, 3000), clustered(rng, 30)
    keys = np.arange(10, 3010)
    index = DenseIndex(vecs.shape[1], hnsw_min=1000, brute_allow_max=100)
    index.add_vectors(keys[:500], vecs[:500])
    assert index._hnsw is None  # below the threshold: brute force only
    index.add_vectors(keys[500:], vecs[500:])
    assert index._hnsw is not None and len(index._hnsw) == 3000

    def recall(ix: DenseIndex) -> float:
        hits = [
            len(
                set(ix.search(q, 10).keys) & set(k for k, _ in reference(keys, vecs, q, 10, "int8"))
            )
            for q in queries
        ]
        return float(np.mean(hits)) / 10

    assert recall(index) >= 0.95
    # Removed keys never come back; replaced ones are found at their new place.
    index.remove(keys[:1500])
    assert len(index._hnsw) == 1500
    assert not np.isin(index.search(vecs[0], 50).keys, keys[:1500]).any()
    index.add_vectors(np.array([5]), vecs[2000:2001])
    assert index.search(vecs[2000], 2).keys.tolist() == sorted([5, 2010])
    # A wide allow filter goes through the graph, a narrow one is brute force; both obey it.
    allow = keys[1500:2500]
    graph_calls: list[int] = []
    search_hnsw = index._search_hnsw
    monkeypatch.setattr(index, "_search_hnsw", lambda *a: graph_calls.append(1) or search_hnsw(*a))
    for ix_allow, via_graph in ((allow, [1]), (allow[:50], [1])):
        hits = index.search(queries[0], 10, allow=ix_allow)
        assert len(hits) == 10 and np.isin(hits.keys, ix_allow).all()
        assert graph_calls == via_graph
    monkeypatch.undo()
    index.save(tmp_path / "h")
    loaded = DenseIndex.load(tmp_path / "h")
    assert loaded._hnsw_view
    assert loaded.search(queries[1], 10).pairs() == index.search(queries[1], 10).pairs()
    loaded.save(tmp_path / "h")  # a viewed graph saves over its own folder
    loaded = DenseIndex.load(tmp_path / "h")
    loaded.add_vectors(np.array([4]), vecs[2500:2501])  # copies the viewed graph first
    assert not loaded._hnsw_view and loaded.search(vecs[2500], 1).keys[0] in (4, 2510)


def test_bad_input(hashed: tuple) -> None:
    enc, keys, vecs = hashed
    index = DenseIndex(enc.dim)
    with pytest.raises(ValueError, match="dim"):
        index.add_vectors(keys, vecs[:, :8])
    with pytest.raises(ValueError, match="non-negative"):
        index.add_vectors(np.array([-1]), vecs[:1])
    with pytest.raises(ValueError, match="int8"):
        DenseIndex(8, dtype="f32")  # type: ignore[arg-type]
    assert len(index.search(vecs[0], 5)) == 0
    index.add_vectors(keys, vecs)
    assert len(index.search(vecs[0], 0)) == 0
