"""Lexical index segments: building one from an encoded batch, merging several, and their files.

A segment is immutable once built (see the package docstring for its arrays); merges copy the
live documents' weights unchanged into a new one. On disk a segment is a folder of .npy files,
the big ones memory-mapped on load.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

FIELDS = ("title", "abstract", "authors")

_IMMUTABLE = (
    "keys", "day", "dl", "skeys", "sperm", "tids", "indptr", "docs", "weights",
    "ftids", "findptr", "fdocs", "fwd", "fwd_off",
)  # fmt: skip
_MMAP = frozenset({"docs", "weights", "fdocs", "fwd", "fwd_off"})  # the big ones


@dataclass(eq=False)
class Segment:
    keys: np.ndarray  # int64 [n]: ordinal -> key
    live: np.ndarray  # bool [n], writable: False = removed
    day: np.ndarray  # int32 [n], -1 unknown
    dl: np.ndarray  # float32 [n]: weighted length
    skeys: np.ndarray  # int64 [n]: keys sorted, for lookups
    sperm: np.ndarray  # int64 [n]: ordinal of each sorted key
    tids: np.ndarray  # uint32 [m]: global term ids with scored postings here, ascending
    indptr: np.ndarray  # int64 [m + 1]
    docs: np.ndarray  # uint32 [P]
    weights: np.ndarray  # float32 [P]
    ftids: np.ndarray  # uint32: filter-token ids, ascending
    findptr: np.ndarray  # int64
    fdocs: np.ndarray  # uint32
    fwd: np.ndarray  # uint32 [T]: analysed token ids, title | abstract | authors per doc
    fwd_off: np.ndarray  # int64 [3n + 1]
    source: Path | None = None  # the folder its files were loaded from (hard-linked on save)
    _newest: tuple[np.ndarray, np.ndarray] | None = None  # see newest_first

    @property
    def n(self) -> int:
        return len(self.keys)

    def newest_first(self) -> tuple[np.ndarray, np.ndarray]:
        """Ordinals newest first (then by key), and minus their days (ascending, for
        searchsorted); built on first use."""
        if self._newest is None:
            minus = -self.day.astype(np.int64)
            order = np.lexsort((self.keys, minus))
            self._newest = order, minus[order]
        return self._newest

    def n_live(self) -> int:
        return int(np.count_nonzero(self.live))

    def postings(self, tid: int) -> tuple[np.ndarray, np.ndarray]:
        # A uint32 probe: an int64 one would make numpy convert all of `tids` on every call.
        i = int(self.tids.searchsorted(np.uint32(tid)))
        if i == len(self.tids) or self.tids[i] != tid:
            return EMPTY_U32, _EMPTY_F32
        s, e = int(self.indptr[i]), int(self.indptr[i + 1])
        return self.docs[s:e], self.weights[s:e]

    def filter_postings(self, tid: int) -> np.ndarray:
        i = int(self.ftids.searchsorted(np.uint32(tid)))
        if i == len(self.ftids) or self.ftids[i] != tid:
            return EMPTY_U32
        return self.fdocs[int(self.findptr[i]) : int(self.findptr[i + 1])]

    def ordinals(self, keys: np.ndarray) -> np.ndarray:
        """Ordinals (sorted) of those of `keys` (sorted int64) that this segment holds."""
        pos = np.searchsorted(self.skeys, keys)
        pos = pos[pos < self.n]  # keys ascend, so the cut is a suffix and prefixes stay aligned
        pos = pos[self.skeys[pos] == keys[: len(pos)]] if len(pos) else pos
        return np.sort(self.sperm[pos])

    def nbytes(self) -> int:
        return sum(getattr(self, a).nbytes for a in (*_IMMUTABLE, "live"))


EMPTY_U32 = np.zeros(0, np.uint32)
_EMPTY_F32 = np.zeros(0, np.float32)


def _csc(term_of: np.ndarray, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(tids, indptr, docs) from postings already sorted by (term, doc)."""
    tids, starts = np.unique(term_of, return_index=True)
    indptr = np.append(starts, len(term_of)).astype(np.int64)
    return tids.astype(np.uint32), indptr, docs.astype(np.uint32)


def _key_index(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    sperm = np.argsort(keys, kind="stable")
    return keys[sperm], sperm.astype(np.int64)


@dataclass(slots=True)
class Encoded:
    """A batch of documents as token ids, before postings are built."""

    keys: np.ndarray
    day: np.ndarray
    fwd: np.ndarray  # uint32
    fwd_off: np.ndarray  # int64 [3n + 1]
    filt: np.ndarray  # uint32 filter-token ids
    filt_off: np.ndarray  # int64 [n + 1]

    def slice(self, a: int, b: int) -> Encoded:
        o, fo = self.fwd_off[3 * a : 3 * b + 1], self.filt_off[a : b + 1]
        return Encoded(
            self.keys[a:b],
            self.day[a:b],
            self.fwd[o[0] : o[-1]],
            o - o[0],
            self.filt[fo[0] : fo[-1]],
            fo - fo[0],
        )


def doc_lengths(fwd_off: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted length of each doc from its three field spans."""
    lens = np.diff(fwd_off).reshape(-1, len(FIELDS)).astype(np.float64)
    return (lens @ w.astype(np.float64)).astype(np.float32)


def build_segment(enc: Encoded, w: np.ndarray, k1: float, b: float, avgdl: float) -> Segment:
    """A segment from an encoded batch (at most index._BUILD_CHUNK docs: the sort is
    O(T log T))."""
    n, nf = len(enc.keys), len(FIELDS)
    # One in-place sort of (term, doc, field) keys groups a term's occurrences, orders postings
    # as CSC needs and counts tf per field; np.unique with an inverse (an argsort) is 2x slower
    # and holds three more copies.
    key = enc.fwd.astype(np.int64)
    key *= n * nf
    key += np.repeat(np.arange(n * nf, dtype=np.int64), np.diff(enc.fwd_off))  # doc * nf + f
    key.sort()
    starts = np.flatnonzero(np.concatenate(([len(key) > 0], key[1:] != key[:-1])))
    uniq, counts = key[starts], np.diff(np.append(starts, len(key)))
    del key, starts
    field_w = w[uniq % nf]
    scored = field_w > 0  # a zero-weight field is stored (for phrases) but never scored
    pair, tfw = uniq[scored] // nf, counts[scored] * field_w[scored].astype(np.float64)
    first = np.flatnonzero(np.diff(pair, prepend=-1))  # where each (term, doc) run starts
    pair, tf = pair[first], np.add.reduceat(tfw, first) if len(first) else tfw
    term_of, docs = pair // n, pair % n
    dl = doc_lengths(enc.fwd_off, w)
    norm = k1 * (1.0 - b + b * dl.astype(np.float64) / max(avgdl, 1e-9))
    weights = (tf / (tf + norm[docs])).astype(np.float32)
    tids, indptr, pdocs = _csc(term_of, docs)

    fdoc = np.repeat(np.arange(n, dtype=np.int64), np.diff(enc.filt_off))
    fpair = np.unique(enc.filt.astype(np.int64) * n + fdoc)
    ftids, findptr, fdocs = _csc(fpair // n, fpair % n)
    skeys, sperm = _key_index(enc.keys)
    return Segment(
        keys=enc.keys, live=np.ones(n, bool), day=enc.day, dl=dl, skeys=skeys, sperm=sperm,
        tids=tids, indptr=indptr, docs=pdocs, weights=weights,
        ftids=ftids, findptr=findptr, fdocs=fdocs, fwd=enc.fwd, fwd_off=enc.fwd_off,
    )  # fmt: skip


def _remaps(segs: list[Segment]) -> list[np.ndarray]:
    """Old ordinal -> new ordinal (-1: removed) for segments concatenated in order."""
    out, offset = [], 0
    for s in segs:
        remap = np.full(s.n, -1, np.int32)
        live = s.n_live()
        remap[s.live] = np.arange(offset, offset + live, dtype=np.int32)
        offset += live
        out.append(remap)
    return out


def _live_runs(
    tids: np.ndarray, indptr: np.ndarray, docs: np.ndarray, remap: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Term of each kept posting, its new doc ordinal, and the mask of kept positions."""
    new = remap[docs]
    keep = new >= 0
    term_of = np.repeat(tids.astype(np.int32), np.diff(indptr))
    return term_of[keep], new[keep].astype(np.uint32), keep


def _merge_postings(
    runs: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]],
    remaps: Sequence[np.ndarray],
    vocab: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Concatenate CSC postings (tids, indptr, docs, weights) of consecutive segments. Placed
    by counting, not sorting, and one segment at a time, so the peak is about the output."""
    counts = []
    for (tids, indptr, docs, _), remap in zip(runs, remaps, strict=True):
        c = np.zeros(vocab, np.int64)
        if (remap >= 0).all():
            c[tids] = np.diff(indptr)  # nothing removed: the counts are the run lengths
        else:
            c += np.bincount(_live_runs(tids, indptr, docs, remap)[0], minlength=vocab)
        counts.append(c)
    total = np.sum(counts, axis=0) if counts else np.zeros(vocab, np.int64)
    start = np.concatenate(([0], np.cumsum(total)))
    size = int(start[-1])
    out_docs = np.empty(size, np.uint32)
    out_w = np.empty(size, np.float32)
    base = start[:-1].copy()
    for (tids, indptr, docs, weights), remap, c in zip(runs, remaps, counts, strict=True):
        term_of, new, keep = _live_runs(tids, indptr, docs, remap)
        first = np.cumsum(c) - c  # where each term's run starts inside this segment
        dest = base[term_of] + (np.arange(len(term_of)) - first[term_of])
        out_docs[dest] = new
        if weights is not None:
            out_w[dest] = np.asarray(weights)[keep]
        base += c
    tids = np.flatnonzero(total)
    indptr = np.append(start[tids], size).astype(np.int64)
    return tids.astype(np.uint32), indptr, out_docs, out_w


def concat_segments(segs: list[Segment], vocab: int) -> Segment:
    """One segment holding the live documents of `segs`, in order, weights unchanged."""
    remaps = _remaps(segs)
    scored = [(s.tids, s.indptr, s.docs, s.weights) for s in segs]
    tids, indptr, docs, weights = _merge_postings(scored, remaps, vocab)
    filt = [(s.ftids, s.findptr, s.fdocs, None) for s in segs]
    ftids, findptr, fdocs, _ = _merge_postings(filt, remaps, vocab)
    fwd_parts, span_parts = [], []
    for s in segs:
        spans = np.diff(s.fwd_off).reshape(-1, len(FIELDS))
        whole = s.n_live() == s.n  # no copy before the one concatenate makes
        fwd_parts.append(s.fwd if whole else s.fwd[np.repeat(s.live, spans.sum(axis=1))])
        span_parts.append(spans[s.live].ravel())
    keys = np.concatenate([s.keys[s.live] for s in segs])
    skeys, sperm = _key_index(keys)
    return Segment(
        keys=keys, live=np.ones(len(keys), bool),
        day=np.concatenate([s.day[s.live] for s in segs]),
        dl=np.concatenate([s.dl[s.live] for s in segs]), skeys=skeys, sperm=sperm,
        tids=tids, indptr=indptr, docs=docs, weights=weights,
        ftids=ftids, findptr=findptr, fdocs=fdocs,
        fwd=np.concatenate(fwd_parts).astype(np.uint32, copy=False),
        fwd_off=np.concatenate(([0], np.cumsum(np.concatenate(span_parts)))).astype(np.int64),
    )  # fmt: skip


def token_positions(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Concatenated ranges starts[i]:ends[i] as one index array, without a Python loop."""
    lens = ends - starts
    total = int(lens.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    return np.arange(total) - np.repeat(np.cumsum(lens) - lens, lens) + np.repeat(starts, lens)


def gather_ranges(a: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """a[starts[0]:ends[0]] ++ a[starts[1]:ends[1]] ++ ..."""
    return a[token_positions(starts, ends)]


def save_segment(seg: Segment, folder: Path) -> None:
    folder.mkdir()
    for name in _IMMUTABLE:
        src = seg.source / f"{name}.npy" if seg.source is not None else None
        if src is not None and src.exists():
            try:  # segments never change: link the previous file instead of copying GBs
                os.link(src, folder / f"{name}.npy")
                continue
            except OSError:
                pass
        np.save(folder / f"{name}.npy", np.asarray(getattr(seg, name)))
    np.save(folder / "live.npy", seg.live)


def load_segment(folder: Path) -> Segment:
    arrays: dict[str, Any] = {}
    for name in (*_IMMUTABLE, "live"):
        mode: Literal["r"] | None = "r" if name in _MMAP else None
        loaded = np.load(folder / f"{name}.npy", mmap_mode=mode, allow_pickle=False)
        arrays[name] = np.asarray(loaded)  # plain views: memmap's indexing wrapper is slow
    arrays["live"] = np.array(arrays["live"], bool)  # tombstones are written in memory
    return Segment(**arrays, source=folder)


_DTYPES = {"keys": np.int64, "day": np.int32, "tids": np.uint32, "indptr": np.int64,
           "docs": np.uint32, "weights": np.float32, "fwd": np.uint32, "fwd_off": np.int64,
           "ftids": np.uint32, "findptr": np.int64, "fdocs": np.uint32}  # fmt: skip


def check_segment(s: Segment, vocab: int) -> None:
    wrong = [a for a, t in _DTYPES.items() if getattr(s, a).dtype != t]
    if wrong:
        raise ValueError(f"{s.source}: arrays {wrong} have the wrong type")
    n = s.n
    lengths = {
        "live": len(s.live), "day": len(s.day), "dl": len(s.dl), "skeys": len(s.skeys),
        "sperm": len(s.sperm), "fwd_off": len(s.fwd_off) - 2 * n - 1,
    }  # fmt: skip
    bad = [k for k, v in lengths.items() if v != n]
    if bad:
        raise ValueError(f"{s.source}: arrays {bad} do not have {n} rows")
    if len(s.indptr) != len(s.tids) + 1 or not s.indptr[-1] == len(s.docs) == len(s.weights):
        raise ValueError(f"{s.source}: postings arrays disagree")
    if len(s.findptr) != len(s.ftids) + 1 or s.findptr[-1] != len(s.fdocs):
        raise ValueError(f"{s.source}: filter postings arrays disagree")
    if s.fwd_off[-1] != len(s.fwd) or (len(s.tids) and int(s.tids[-1]) >= vocab):
        raise ValueError(f"{s.source}: forward index or term ids out of range")
