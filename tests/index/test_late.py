"""TokenStore: MaxSim against the plain definition, writes, files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from paperwire.index import late
from paperwire.index.base import IndexFormatError
from paperwire.index.late import FileRows, TokenStore, maxsim_reference


def tokens(rng: np.random.Generator, n: int, d: int) -> np.ndarray:
    t = rng.standard_normal((n, d)).astype(np.float32)
    return t / np.linalg.norm(t, axis=1, keepdims=True)


@pytest.fixture
def docs() -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    # Lengths include 0, 1 and documents longer than a matmul block (512 tokens).
    lengths = [5, 0, 1, 37, 700, 3, 64, 1200, 2, 90]
    return [tokens(rng, n, 384) for n in lengths]


@pytest.mark.parametrize("n_query", [1, 7, 8, 32])
def test_maxsim_matches_reference(docs: list[np.ndarray], n_query: int) -> None:
    store = TokenStore(384)
    keys = np.arange(len(docs)) * 3
    store.add(keys, docs)
    q = tokens(np.random.default_rng(n_query), n_query, 384)
    order = np.array([9, 0, 4, 7, 1, 2, 3, 5, 6, 8])  # any candidate order
    want = maxsim_reference(q, [docs[i] for i in order])
    got = store.maxsim(q, keys[order], precise=True)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    assert got[order == 1][0] == -np.inf  # the document without tokens
    # The default path quantises the query to int8 (numkong, when installed): close, not equal.
    fast = store.maxsim(q, keys[order])
    np.testing.assert_allclose(fast, want, atol=1e-3 * n_query)
    assert fast[order == 1][0] == -np.inf
    assert store.token_counts(keys[:3]).tolist() == [5, 0, 1]


def test_unknown_keys_and_odd_dims() -> None:
    rng = np.random.default_rng(2)
    store = TokenStore(20)  # not a multiple of 8: 3 bytes per token, 4 pad bits unused
    doc = tokens(rng, 6, 20)
    store.add([4], [doc])
    q = tokens(rng, 3, 20)
    for precise, tol in ((True, 1e-5), (False, 3e-3)):
        got = store.maxsim(q, np.array([4, 5]), precise=precise)
        assert got[1] == -np.inf
        assert got[0] == pytest.approx(maxsim_reference(q, [doc])[0], abs=tol)
    assert store.maxsim(q, np.array([], np.int64)).shape == (0,)


def test_remove_replace_save_load(tmp_path: Path, docs: list[np.ndarray]) -> None:
    rng = np.random.default_rng(3)
    store = TokenStore(384, encoder="hash-384")
    store.add(np.arange(10), docs)
    store.remove([3, 42])
    assert len(store) == 9
    assert store.has([2, 3]).tolist() == [True, False]
    q = tokens(rng, 5, 384)
    assert store.maxsim(q, [3])[0] == -np.inf
    store.save(tmp_path / "t")
    loaded = TokenStore.load(tmp_path / "t")
    # Read with pread, not memory-mapped: the bits are not charged to the process's memory.
    assert isinstance(loaded._base[2], FileRows) and loaded.encoder == "hash-384"
    keys = np.array([0, 2, 4, 7, 9, 3])
    np.testing.assert_array_equal(loaded.maxsim(q, keys), store.maxsim(q, keys))
    # Base (memory-mapped) and tail together: replace a base key, add a new one, save again.
    new = tokens(rng, 11, 384)
    loaded.add([4, 11], [new, docs[0]])
    assert loaded.token_counts([4, 11]).tolist() == [11, 5]
    mixed = loaded.maxsim(q, np.array([11, 4, 0]), precise=True)
    np.testing.assert_allclose(mixed, maxsim_reference(q, [docs[0], new, docs[0]]), atol=1e-5)
    loaded.save(tmp_path / "t")
    again = TokenStore.load(tmp_path / "t", mmap=False)
    assert len(again) == 10
    np.testing.assert_allclose(
        again.maxsim(q, np.array([11, 4, 0]), precise=True), mixed, atol=1e-6
    )


def test_damaged_store(tmp_path: Path, docs: list[np.ndarray]) -> None:
    with pytest.raises(IndexFormatError):
        TokenStore.load(tmp_path / "none")
    store = TokenStore(384)
    store.add(np.arange(10), docs)
    store.save(tmp_path / "t")
    np.save(tmp_path / "t" / "offsets.npy", np.arange(11))
    with pytest.raises(IndexFormatError, match="do not match"):
        TokenStore.load(tmp_path / "t")
    (tmp_path / "t" / "bits.npy").write_bytes(b"not numpy")
    with pytest.raises(IndexFormatError):
        TokenStore.load(tmp_path / "t")


def test_bad_input() -> None:
    store = TokenStore(8)
    with pytest.raises(ValueError, match="token lists"):
        store.add([1, 2], [np.zeros((1, 8))])
    with pytest.raises(ValueError, match="non-negative"):
        store.add([-1], [np.zeros((1, 8))])


def test_numpy_fallback_when_numkong_is_missing(
    monkeypatch: pytest.MonkeyPatch, docs: list[np.ndarray]
) -> None:
    monkeypatch.setattr(late, "numkong_or_none", lambda: None)
    store = TokenStore(384)
    store.add(np.arange(10), docs)
    q = tokens(np.random.default_rng(9), 4, 384)
    np.testing.assert_array_equal(
        store.maxsim(q, np.arange(10)), store.maxsim(q, np.arange(10), precise=True)
    )
