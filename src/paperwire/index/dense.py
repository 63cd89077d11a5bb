"""Dense vectors: one normalised vector per key, cosine search, exact below a size and HNSW above.

Measured on "realistic" vectors: 300 real MiniLM abstract embeddings mixed pairwise plus noise
(20k or 100k of them, so many near-ties), 100 real SciFact queries, recall@10 against float32
brute force, one core.

Storage:
- int8, symmetric per-vector scale: code = round(v * 127 / max|v|), and we keep 1/||code||, so a
  score is the exact cosine between the query and the quantised direction. recall@10 0.992 at
  20k (0.994 at 100k), 388 bytes/vector. The default.
- f16: recall@10 1.000, 768 bytes/vector, and brute force 3x slower in numpy (the f16->f32
  cast). dtype="f16" where memory does not matter. (A global x127 cast, what usearch does with
  float input to an i8 index, scores 0.952: small components of unit vectors lose precision.)

Exact search ("brute force") over the stored codes: numkong's int8 dot products (the query
quantised too; numkong comes with usearch 2.26) keep the best max(4k, 128) rows, which are then
rescored exactly in float32; without numkong, a blocked numpy matmul. p50: 0.65 ms at 20k and
2.9 ms at 100k (numpy alone: 2.6 and 13 ms); an `allow` filter of 40k keys out of 100k: 3.0 ms.

ANN: usearch HNSW, cosine, fed our own int8 codes (or f16), connectivity 16, expansion_add 128,
expansion_search 512. 20k: recall 0.990 at 0.7 ms (expansion 256: 0.986/0.22 ms, 64: 0.931).
100k (denser near-ties): 0.96 at 0.9 ms (256: 0.92; 1024: 0.973 at 1.0 ms; connectivity 32 or
expansion_add 256 gained 0.01-0.02 for 1.1-2.3x build time). Build: 7 s per 100k on 2 threads.
Candidates are rescored from the stored codes, so both paths give the same scores.
HNSW and exact search cost the same at ~20k vectors (0.7 ms), hence `hnsw_min` = 20k; an `allow`
filter of up to `brute_allow_max` = 50k keys is searched exactly (~3 ms); wider filters go
through the graph, oversampled by the fraction filtered away (60k of 100k: 1.9 ms).

Not thread-safe for writes: one writer, and no searches while it writes.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.lib.format import open_memmap

from paperwire.index.base import Hits, IndexFormatError, atomic_dir, read_meta, top_k, write_meta

log = logging.getLogger(__name__)

Dtype = Literal["int8", "f16"]
KIND = "dense"
_USEARCH_DTYPE = {"int8": "i8", "f16": "f16"}
_CHUNK = 16_384  # rows per float32 conversion block: stays in cache, bounds temporary memory


def quantise(vecs: np.ndarray, dtype: Dtype) -> tuple[np.ndarray, np.ndarray]:
    """(codes, inverse code norms) for [n, d] float vectors; see the module docstring."""
    vecs = np.asarray(vecs, np.float32)
    if dtype == "int8":
        peak = np.abs(vecs).max(axis=1, keepdims=True)
        codes = np.round(vecs * (127.0 / np.maximum(peak, 1e-12))).astype(np.int8)
    elif dtype == "f16":
        codes = vecs.astype(np.float16)
    else:
        raise ValueError(f"dtype must be 'int8' or 'f16', not {dtype!r}")
    norms = np.linalg.norm(codes.astype(np.float32), axis=1)
    return codes, (1.0 / np.maximum(norms, 1e-12)).astype(np.float32)


class _Rows:
    """Append-only rows: a base segment (memory-mapped after load) and an in-memory tail with
    doubling capacity, so adding after a load copies neither the base nor, often, the tail."""

    def __init__(self, dim: int, dtype: np.dtype[Any]) -> None:
        self.dim, self.dtype = dim, dtype
        self.set_base(np.zeros(0, np.int64), np.zeros((0, dim), dtype), np.zeros(0, np.float32))

    def set_base(self, keys: np.ndarray, codes: np.ndarray, inv: np.ndarray) -> None:
        self.base = (keys, codes, inv)
        self.n_tail = 0
        empty = (
            np.zeros(0, np.int64),
            np.zeros((0, self.dim), self.dtype),
            np.zeros(0, np.float32),
        )
        self.tail: tuple[np.ndarray, np.ndarray, np.ndarray] = empty
        self.alive = np.ones(len(keys), dtype=bool)
        self._keys: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.base[0]) + self.n_tail

    def append(self, keys: np.ndarray, codes: np.ndarray, inv: np.ndarray) -> np.ndarray:
        """Add rows; returns their row numbers."""
        n, cap = self.n_tail, len(self.tail[0])
        if n + len(keys) > cap:
            cap = max(2 * cap, n + len(keys), 1024)
            grown = [_grow(a, n, cap) for a in self.tail]
            self.tail = (grown[0], grown[1], grown[2])
        for dst, src in zip(self.tail, (keys, codes, inv), strict=True):
            dst[n : n + len(keys)] = src
        first = len(self)
        self.n_tail += len(keys)
        self.alive = np.concatenate([self.alive, np.ones(len(keys), dtype=bool)])
        return np.arange(first, first + len(keys))

    def segments(self) -> list[tuple[int, np.ndarray, np.ndarray, np.ndarray]]:
        """(first row, keys, codes, inverse norms) of base and tail."""
        t = self.n_tail
        tail = (self.tail[0][:t], self.tail[1][:t], self.tail[2][:t])
        return [(0, *self.base), (len(self.base[0]), *tail)]

    def keys(self) -> np.ndarray:
        """All rows' keys (removed ones too), cached: a query must not copy 1M keys."""
        if self._keys is None or len(self._keys) != len(self):
            self._keys = np.concatenate([seg[1] for seg in self.segments()])
        return self._keys

    def split(self, rows: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray, slice]]:
        """For ascending `rows`: per segment (its codes, inverse norms, rows within it, and
        the slice of `rows` they came from)."""
        for first, seg_keys, codes, inv in self.segments():
            lo, hi = np.searchsorted(rows, [first, first + len(seg_keys)])
            if hi > lo:
                yield codes, inv, rows[lo:hi] - first, slice(int(lo), int(hi))

    def gather(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Codes and inverse norms of these (ascending) rows."""
        codes = np.empty((len(rows), self.dim), self.dtype)
        inv = np.empty(len(rows), np.float32)
        for seg_codes, seg_inv, local, part in self.split(rows):
            codes[part], inv[part] = seg_codes[local], seg_inv[local]
        return codes, inv

    def scores(self, rows: np.ndarray, q: np.ndarray) -> np.ndarray:
        """Cosines of q with these (ascending) rows, gathered block by block: ascending rows
        read a memory-mapped file in order, and no copy of all the rows is made."""
        out = np.empty(len(rows), np.float32)
        for codes, inv, local, part in self.split(rows):
            for start in range(0, len(local), _CHUNK):
                sel = local[start : start + _CHUNK]
                block = np.asarray(codes[sel], dtype=np.float32)
                dst = slice(part.start + start, part.start + start + len(sel))
                out[dst] = (block @ q) * inv[sel]
        return out

    def prefilter(self, rows: np.ndarray, q: np.ndarray, n: int, nk: Any) -> np.ndarray:
        """The (ascending) rows of the n best approximate scores: numkong int8 dot products of
        the int8 codes with the int8-quantised query, times the rows' inverse norms."""
        packed = nk.dots_pack(quantise(q[None], "int8")[0])
        approx = np.empty(len(rows), np.float32)
        for codes, inv, local, part in self.split(rows):
            for start in range(0, len(local), _CHUNK * 4):
                sel = local[start : start + _CHUNK * 4]
                contiguous = sel[-1] - sel[0] + 1 == len(sel)  # a slice, not a gather
                block = codes[sel[0] : sel[-1] + 1] if contiguous else codes[sel]
                dots = np.asarray(nk.dots_packed(np.asarray(block), packed))[:, 0]
                approx[part.start + start : part.start + start + len(sel)] = dots * inv[sel]
        best = np.argpartition(-approx, n - 1)[:n]
        return np.sort(rows[best])


def numkong_or_none() -> Any:
    """numkong (SIMD int8 kernels; usearch 2.26 requires it), or None: numpy is the fallback."""
    try:
        import numkong
    except ImportError:
        return None
    return numkong


class KeyLookup:
    """Live keys -> row numbers, rebuilt after each batch of changes. Keys are normally dense
    (paper ids, BEIR positions): then a direct table indexed by key, whose lookups are one
    gather (40k allowed keys: ~0.1 ms against 4 ms of binary searches). Sparse keys fall back
    to a sorted array and np.searchsorted. Either beats a dict of 1M Python ints (~100 MB)."""

    def __init__(self, keys: np.ndarray, alive: np.ndarray) -> None:
        rows = np.flatnonzero(alive)
        live = np.asarray(keys[rows], np.int64)
        size = int(live.max()) + 1 if len(live) else 0
        self.table: np.ndarray | None = None
        if size <= 8 * len(live) + (1 << 20):  # at most ~8 MB beyond 8 bytes per key
            self.table = np.full(size, -1, np.int64)
            self.table[live] = rows
        order = np.argsort(live, kind="stable") if self.table is None else slice(None)
        self.keys, self.rows = live[order], rows[order]

    def find(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(bool found per key, rows of the found ones, in the order of `keys`)."""
        keys = key_array(keys)
        if self.table is not None:
            rows = np.full(len(keys), -1, np.int64)
            inside = (keys >= 0) & (keys < len(self.table))
            rows[inside] = self.table[keys[inside]]
            return rows >= 0, rows[rows >= 0]
        if not len(self.keys):
            return np.zeros(len(keys), dtype=bool), np.zeros(0, np.int64)
        pos = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
        found = self.keys[pos] == keys
        return found, self.rows[pos[found]]


def usearch_index_class() -> Any:
    """usearch's Index, imported after onnxruntime. With usearch 2.26 loaded first, importing
    onnxruntime 1.32 later in the process crashes (SIGSEGV in std::codecvt during its module
    init: usearch's extension links its own libstdc++); in this order both work."""
    with contextlib.suppress(ImportError):
        import onnxruntime  # noqa: F401
    from usearch.index import Index

    return Index


def key_array(keys: np.ndarray | Iterable[int]) -> np.ndarray:
    if isinstance(keys, np.ndarray):
        return keys.astype(np.int64, copy=False).ravel()
    return np.fromiter(keys, np.int64)


def _grow(a: np.ndarray, n: int, cap: int) -> np.ndarray:
    out = np.zeros((cap, *a.shape[1:]), a.dtype)
    out[:n] = a[:n]
    return out


class DenseIndex:
    """Cosine search over one vector per key (see the module docstring). The lexical index's
    add / remove / save / load, but over vectors, not `Doc`s: the caller owns the encoder, and
    `encoder` (its name) is recorded so that a query is never encoded by another model."""

    def __init__(
        self,
        dim: int,
        *,
        encoder: str = "",
        dtype: Dtype = "int8",
        hnsw_min: int = 20_000,
        brute_allow_max: int = 50_000,
        connectivity: int = 16,
        expansion_add: int = 128,
        expansion_search: int = 512,
    ) -> None:
        if dtype not in _USEARCH_DTYPE:
            raise ValueError(f"dtype must be 'int8' or 'f16', not {dtype!r}")
        self.dim, self.encoder, self.dtype = dim, encoder, dtype
        self.hnsw_min, self.brute_allow_max = hnsw_min, brute_allow_max
        self.hnsw_params = {
            "connectivity": connectivity,
            "expansion_add": expansion_add,
            "expansion_search": expansion_search,
        }
        self._rows = _Rows(dim, np.dtype(np.int8 if dtype == "int8" else np.float16))
        self._hnsw: Any = None  # usearch Index, built once the index reaches hnsw_min
        self._hnsw_view = False  # memory-mapped read-only: copied before the first write
        self._lookup: KeyLookup | None = None  # rebuilt lazily after a change

    def __len__(self) -> int:
        return int(self._rows.alive.sum())

    # --- keys -> rows --------------------------------------------------------------------

    def _find(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(bool found per key, rows of the found ones)."""
        if self._lookup is None:
            self._lookup = KeyLookup(self._rows.keys(), self._rows.alive)
        return self._lookup.find(keys)

    def has(self, keys: np.ndarray | Iterable[int]) -> np.ndarray:
        """A bool per key: is it live here."""
        return self._find(key_array(keys))[0]

    def vectors(self, keys: np.ndarray | Iterable[int]) -> tuple[np.ndarray, np.ndarray]:
        """(found per key, [n, dim] float32 unit vectors as stored; zero rows where not found)."""
        keys = key_array(keys)
        found, rows = self._find(keys)
        out = np.zeros((len(keys), self.dim), np.float32)
        if len(rows):
            codes, inv = self._rows.gather(rows)
            out[found] = np.asarray(codes, np.float32) * np.asarray(inv, np.float32)[:, None]
        return found, out

    def keys(self) -> np.ndarray:
        """Live keys, ascending: the papers that have a vector."""
        return np.sort(self._rows.keys()[self._rows.alive])

    def best_by_dot(self, weights: np.ndarray, k: int, *, allow: np.ndarray | None = None) -> Hits:
        """The k keys whose stored unit vectors x have the highest w·x (a linear model's score),
        by a scan of `allow`'s rows (all rows when None) as `_brute` does it (int8 pass, best
        max(4k, 128) rescored in float32), never the HNSW graph: `w` is a model's weights, not
        an encoded text, so the graph's neighbourhoods are no guide to it. Scores are w·x."""
        w = np.asarray(weights, np.float32).ravel()
        if w.shape[0] != self.dim:
            raise ValueError(f"weights have dim {w.shape[0]}, this index {self.dim}")
        norm = float(np.linalg.norm(w))
        if k <= 0 or len(self) == 0 or norm == 0.0:
            return Hits.empty()
        if allow is None:
            rows = np.flatnonzero(self._rows.alive)
        else:
            rows = np.unique(self._find(key_array(allow))[1])
        if not len(rows):
            return Hits.empty()
        hits = self._brute(w / norm, k, rows)
        return Hits(hits.keys, hits.scores * np.float32(norm), hits.total)

    # --- writes -------------------------------------------------------------------------

    def add_vectors(self, keys: np.ndarray, vecs: np.ndarray) -> None:
        """Add [n] keys with [n, dim] vectors (normalised here); a present key is replaced, and
        within one call the last vector of a repeated key wins."""
        keys = np.asarray(keys, np.int64).ravel()
        vecs = np.asarray(vecs, np.float32).reshape(len(keys), -1)
        if vecs.shape[1] != self.dim:
            raise ValueError(f"vectors have dim {vecs.shape[1]}, this index {self.dim}")
        if len(keys) and keys.min() < 0:
            raise ValueError("keys must be non-negative")
        last = len(keys) - 1 - np.unique(keys[::-1], return_index=True)[1]
        keys, vecs = keys[last], vecs[last]
        self.remove(keys)
        vecs = vecs / np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
        codes, inv = quantise(vecs, self.dtype)
        self._rows.append(keys, codes, inv)
        self._lookup = None
        if self._hnsw is not None:
            self._writable_hnsw().add(keys.astype(np.uint64), codes, threads=0)
        elif len(self) >= self.hnsw_min:
            self._build_hnsw()

    def remove(self, keys: Iterable[int] | np.ndarray) -> None:
        keys = key_array(keys)
        found, rows = self._find(keys)
        if not len(rows):
            return
        self._rows.alive[rows] = False
        self._lookup = None
        if self._hnsw is not None:
            self._writable_hnsw().remove(keys[found].astype(np.uint64))

    def _new_hnsw(self) -> Any:
        h = self.hnsw_params
        return usearch_index_class()(
            ndim=self.dim,
            metric="cos",
            dtype=_USEARCH_DTYPE[self.dtype],
            connectivity=h["connectivity"],
            expansion_add=h["expansion_add"],
            expansion_search=h["expansion_search"],
        )

    def _build_hnsw(self) -> None:
        log.info("building the HNSW graph over %d vectors", len(self))
        index = self._new_hnsw()
        for first, keys, codes, _inv in self._rows.segments():
            alive = np.flatnonzero(self._rows.alive[first : first + len(keys)])
            for start in range(0, len(alive), 65_536):
                sel = alive[start : start + 65_536]
                index.add(keys[sel].astype(np.uint64), np.asarray(codes[sel]), threads=0)
        self._hnsw, self._hnsw_view = index, False

    def _writable_hnsw(self) -> Any:
        if self._hnsw_view:
            self._hnsw, self._hnsw_view = self._hnsw.copy(), False
        return self._hnsw

    # --- search -------------------------------------------------------------------------

    def search(self, qvec: np.ndarray, k: int, *, allow: np.ndarray | None = None) -> Hits:
        """The k keys with the highest cosine to qvec; with `allow`, only among those keys."""
        q = np.asarray(qvec, np.float32).ravel()
        if q.shape[0] != self.dim:
            raise ValueError(f"query has dim {q.shape[0]}, this index {self.dim}")
        q = q / max(float(np.linalg.norm(q)), 1e-12)
        if k <= 0 or len(self) == 0:
            return Hits.empty()
        if allow is not None:
            return self._search_allowed(q, k, np.asarray(allow, np.int64).ravel())
        if self._use_hnsw():
            return self._search_hnsw(q, k, None)
        return self._brute(q, k, np.flatnonzero(self._rows.alive))

    def _brute(self, q: np.ndarray, k: int, rows: np.ndarray) -> Hits:
        """Exact search over these (ascending) rows. With numkong, an int8 pass (the query
        quantised too) keeps the best max(4k, 128) rows for the exact float32 rescoring: 2.3 ms
        instead of 13 ms over 100k rows on one core."""
        n_cand = max(4 * k, 128)
        nk = numkong_or_none() if self.dtype == "int8" else None
        if nk is not None and len(rows) > n_cand:
            rows = self._rows.prefilter(rows, q, n_cand, nk)
        return self._rescore(q, rows, k)

    def _use_hnsw(self) -> bool:
        return self._hnsw is not None and len(self) >= self.hnsw_min

    def _search_allowed(self, q: np.ndarray, k: int, allow: np.ndarray) -> Hits:
        rows = np.sort(self._find(allow)[1])
        rows = rows[np.concatenate([[True], rows[1:] != rows[:-1]])] if len(rows) else rows
        if not len(rows):
            return Hits.empty()
        if len(rows) > self.brute_allow_max and self._use_hnsw():
            # A wide filter: oversample the graph by the fraction filtered away.
            hits = self._search_hnsw(q, k, rows, len(self) / len(rows))
            if len(hits) >= k:
                return hits
        return self._brute(q, k, rows)

    def _search_hnsw(
        self, q: np.ndarray, k: int, allowed_rows: np.ndarray | None, oversample: float = 1.0
    ) -> Hits:
        count = min(len(self), int(max(2 * k, 64) * oversample))
        qcode = quantise(q[None], self.dtype)[0]
        matches = self._hnsw.search(qcode, count=count, threads=1)
        rows = np.sort(self._find(np.asarray(matches.keys, np.int64))[1])
        if allowed_rows is not None:  # sorted: membership by binary search
            pos = np.minimum(np.searchsorted(allowed_rows, rows), len(allowed_rows) - 1)
            rows = rows[allowed_rows[pos] == rows]
        return self._rescore(q, rows, k)

    def _rescore(self, q: np.ndarray, rows: np.ndarray, k: int) -> Hits:
        """Exact scores of these (ascending) rows, best k."""
        if not len(rows):
            return Hits.empty()
        return top_k(self._rows.keys()[rows], self._rows.scores(rows, q), k)

    # --- files --------------------------------------------------------------------------

    def save(self, path: Path) -> None:
        """Write live rows (removed ones are dropped here) and the HNSW graph, atomically."""
        rows = np.flatnonzero(self._rows.alive)
        with atomic_dir(Path(path)) as tmp:
            np.save(tmp / "keys.npy", self._rows.keys()[rows])
            codes = open_memmap(tmp / "codes.npy", "w+", self._rows.dtype, (len(rows), self.dim))
            inv = open_memmap(tmp / "inv_norms.npy", "w+", np.float32, (len(rows),))
            for start in range(0, len(rows), _CHUNK * 4):  # streamed: bounded memory at 1M
                sel = rows[start : start + _CHUNK * 4]
                part = slice(start, start + len(sel))
                codes[part], inv[part] = self._rows.gather(sel)
            codes.flush()
            inv.flush()
            del codes, inv
            if self._hnsw is not None:
                self._hnsw.save(str(tmp / "hnsw.usearch"))
            write_meta(
                tmp,
                KIND,
                dim=self.dim,
                dtype=self.dtype,
                encoder=self.encoder,
                count=len(rows),
                hnsw=self._hnsw is not None,
                hnsw_min=self.hnsw_min,
                brute_allow_max=self.brute_allow_max,
                **self.hnsw_params,
            )

    @classmethod
    def load(cls, path: Path, *, mmap: bool = True) -> DenseIndex:
        """Open a folder written by `save`: the code array is memory-mapped and the HNSW graph
        viewed from its file (both copied into memory only when written to)."""
        path = Path(path)
        meta = read_meta(path, KIND)
        try:
            index = cls(
                int(meta["dim"]),
                encoder=str(meta.get("encoder", "")),
                dtype=meta["dtype"],
                hnsw_min=int(meta["hnsw_min"]),
                brute_allow_max=int(meta["brute_allow_max"]),
                connectivity=int(meta["connectivity"]),
                expansion_add=int(meta["expansion_add"]),
                expansion_search=int(meta["expansion_search"]),
            )
            mode: Literal["r"] | None = "r" if mmap else None
            keys = np.load(path / "keys.npy", mmap_mode=mode)
            codes = np.load(path / "codes.npy", mmap_mode=mode)
            inv = np.load(path / "inv_norms.npy", mmap_mode=mode)
        except (KeyError, ValueError, TypeError, OSError) as exc:
            raise IndexFormatError(f"{path}: damaged dense index ({exc})") from exc
        _check_arrays(path, index, meta, keys, codes, inv)
        index._rows.set_base(keys, codes, inv)
        if meta.get("hnsw"):
            index._hnsw, index._hnsw_view = _open_hnsw(path / "hnsw.usearch", mmap, len(keys))
        return index


def _check_arrays(
    path: Path, index: DenseIndex, meta: dict[str, Any], keys: Any, codes: Any, inv: Any
) -> None:
    n = int(meta.get("count", -1))
    ok = (
        keys.shape == (n,)
        and keys.dtype == np.int64
        and codes.shape == (n, index.dim)
        and codes.dtype == index._rows.dtype
        and inv.shape == (n,)
    )
    if not ok:
        raise IndexFormatError(f"{path}: dense index arrays do not match meta.json (count {n})")


def _open_hnsw(file: Path, view: bool, count: int) -> tuple[Any, bool]:
    try:
        index = usearch_index_class().restore(str(file), view=view)
    except (RuntimeError, ValueError, OSError) as exc:
        raise IndexFormatError(f"{file}: damaged HNSW graph ({exc})") from exc
    if index is None or len(index) != count:
        raise IndexFormatError(f"{file}: HNSW graph does not match the vectors; rebuild it")
    return index, view
