"""Lexical search: an incremental BM25F index in numpy, with exact filters, phrases and dates.

Layout. The index is a list of immutable segments plus one global vocabulary (term -> id) and
one global document-frequency array over live documents. A segment holds, for its documents
(ordinals 0..n-1):
- scored postings, CSC-like: `tids` (the sorted global term ids it has), `indptr`, and per term
  the doc ordinals (`docs`, uint32, ascending) with a precomputed float32 BM25F weight
  tf / (tf + k1 * (1 - b + b * dl / avgdl)), where tf and dl are field-weighted sums
  (BM25F: tf = sum_f w_f tf_f, dl = sum_f w_f len_f; Lucene >= 8 drops the (k1 + 1) factor,
  which does not change rankings). The idf, log(1 + (N - df + 0.5) / (df + 0.5)), is applied at
  query time from the global live df, so adding a small segment never rewrites the big one.
- filter postings (`cat:`, `author:`, `year:`, `has:` tokens; exact, unscored);
- a forward index, the analysed token ids of title, abstract and authors of every document as
  one flat uint32 array plus offsets (3 per doc): phrases are verified on it, removals find the
  terms whose df to decrement in it, and it is all a future re-weighting needs;
- keys, day (int32, -1 unknown), weighted length, and a `live` mask (tombstones).

The one approximation: a segment's weights use the avgdl of all live documents at the time it
was built (its own documents included). A corpus added in one batch scores exactly as BM25F;
later small batches use the running avgdl, which moves little once the index has a few thousand
documents. Merges copy weights unchanged, so merging never changes a score.

Queries are scored exactly, without pruning: each query term's postings are scatter-added
(np.add.at) into a per-thread float32 buffer, and the k best are selected above a threshold
taken from the rarest term's docs. At 1M synthetic abstracts that is ~4 CPU-ms p50 and ~9 ms
p99 for title-length OR queries, so WAND-style pruning (inexact totals, more code) is not
needed. Filters are bool masks over a segment; when they leave few docs, those are looked up in
each posting list instead. Phrases: candidates are the docs holding all phrase terms, verified
best first on the forward index until k hold.

Merge policy (tiered, like Lucene's LogMergePolicy): a segment's tier is
floor(log_10(live docs)). When a tier holds `merge_factor` (10) segments they are merged into
one, which lands in the next tier; when there are more than `max_segments` (16) the smallest are
merged. Daily batches of ~2k papers thus merge every ~10 days into a 20k segment, and a 1M base
segment is only rewritten after ~9M more documents. Merging drops tombstoned documents, and a
segment (over 1,000 docs) that is more than half removed is rewritten alone. Merges run after
`add` and on `merge()`; `remove` only marks, so it stays cheap.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import threading
from array import array
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Literal

import numpy as np

from paperwire.index.analyze import Analyzer
from paperwire.index.base import (
    Doc,
    Hits,
    IndexFormatError,
    IndexPart,
    atomic_dir,
    read_meta,
    top_k,
    write_meta,
)
from paperwire.index.names import author_tokens

log = logging.getLogger(__name__)

KIND = "lexical"
LAYOUT_VERSION = 1  # of the files inside the folder; base.FORMAT_VERSION covers meta.json
FIELDS = ("title", "abstract", "authors")
# Picked on SciFact *train* (benchmarks/lexical.py --scifact, 120 settings): title 3, k1 1.5,
# b 0.75 gives train nDCG@10 0.7036 (the argmax, title 4 / b 0.9, 0.7037: a tie), test 0.6928;
# title weight 1 (one flat field, as bm25s) gives 0.6857 on test, unstemmed at best 0.6737.
DEFAULT_WEIGHTS: Mapping[str, float] = {"title": 3.0, "abstract": 1.0, "authors": 1.0}
_EPOCH = date(1970, 1, 1)
_BUILD_CHUNK = 1 << 17  # docs per build step: bounds the build's temporary arrays (~0.3 GB)
_PHRASE_BLOCK = 512  # candidates verified per step, best first
# Verify every candidate (for an exact total) when that scans under ~2 ms of tokens.
_PHRASE_EXACT_DOCS, _PHRASE_EXACT_TOKENS = 4096, 300_000


@dataclass(slots=True)
class LexQuery:
    """What to look for. `text` is OR'ed and BM25F-scored; everything else only filters.

    Filter tokens look like `cat:cs.lg`, `author:zeng`, `author:xianming-zeng`, `year:2025`,
    `has:code`; an entry without a colon is a word, analysed like text (in `must` every one of
    its terms is required, in `must_not` any of them excludes)."""

    text: str = ""
    phrases: list[str] = field(default_factory=list)  # consecutive in title or in abstract
    must: list[str] = field(default_factory=list)  # all required
    any_of: list[list[str]] = field(default_factory=list)  # one of each inner list required
    must_not: list[str] = field(default_factory=list)
    day_from: int | None = None  # inclusive, days since 1970-01-01
    day_to: int | None = None
    sort: Literal["relevance", "date"] = "relevance"
    # Analysed terms with their query weights (used in place of `text` when given): an
    # expanded query (index/prf.py) whose terms are stems, weighted, not words to analyse.
    weighted: dict[str, float] | None = None

    def __post_init__(self) -> None:
        if self.sort not in ("relevance", "date"):
            raise ValueError(f"sort must be 'relevance' or 'date', not {self.sort!r}")


def filter_tokens(doc: Doc) -> list[str]:
    """The exact filter tokens a document is indexed under."""
    tokens = [f"cat:{c.strip().lower()}" for c in doc.categories if c.strip()]
    for name in doc.authors:
        tokens.extend(author_tokens(name))
    if doc.day is not None and doc.day >= 0:
        tokens.append(f"year:{(_EPOCH + timedelta(days=doc.day)).year}")
    if doc.has_code:
        tokens.append("has:code")
    return list(dict.fromkeys(tokens))


# --- segments --------------------------------------------------------------------------------

_IMMUTABLE = (
    "keys", "day", "dl", "skeys", "sperm", "tids", "indptr", "docs", "weights",
    "ftids", "findptr", "fdocs", "fwd", "fwd_off",
)  # fmt: skip
_MMAP = frozenset({"docs", "weights", "fdocs", "fwd", "fwd_off"})  # the big ones


@dataclass(eq=False)
class _Segment:
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
            return _EMPTY_U32, _EMPTY_F32
        s, e = int(self.indptr[i]), int(self.indptr[i + 1])
        return self.docs[s:e], self.weights[s:e]

    def filter_postings(self, tid: int) -> np.ndarray:
        i = int(self.ftids.searchsorted(np.uint32(tid)))
        if i == len(self.ftids) or self.ftids[i] != tid:
            return _EMPTY_U32
        return self.fdocs[int(self.findptr[i]) : int(self.findptr[i + 1])]

    def ordinals(self, keys: np.ndarray) -> np.ndarray:
        """Ordinals (sorted) of those of `keys` (sorted int64) that this segment holds."""
        pos = np.searchsorted(self.skeys, keys)
        pos = pos[pos < self.n]  # keys ascend, so the cut is a suffix and prefixes stay aligned
        pos = pos[self.skeys[pos] == keys[: len(pos)]] if len(pos) else pos
        return np.sort(self.sperm[pos])

    def nbytes(self) -> int:
        return sum(getattr(self, a).nbytes for a in (*_IMMUTABLE, "live"))


_EMPTY_U32 = np.zeros(0, np.uint32)
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
class _Encoded:
    """A batch of documents as token ids, before postings are built."""

    keys: np.ndarray
    day: np.ndarray
    fwd: np.ndarray  # uint32
    fwd_off: np.ndarray  # int64 [3n + 1]
    filt: np.ndarray  # uint32 filter-token ids
    filt_off: np.ndarray  # int64 [n + 1]

    def slice(self, a: int, b: int) -> _Encoded:
        o, fo = self.fwd_off[3 * a : 3 * b + 1], self.filt_off[a : b + 1]
        return _Encoded(
            self.keys[a:b],
            self.day[a:b],
            self.fwd[o[0] : o[-1]],
            o - o[0],
            self.filt[fo[0] : fo[-1]],
            fo - fo[0],
        )


def _doc_lengths(fwd_off: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted length of each doc from its three field spans."""
    lens = np.diff(fwd_off).reshape(-1, len(FIELDS)).astype(np.float64)
    return (lens @ w.astype(np.float64)).astype(np.float32)


def _build(enc: _Encoded, w: np.ndarray, k1: float, b: float, avgdl: float) -> _Segment:
    """A segment from an encoded batch (at most _BUILD_CHUNK docs: the sort is O(T log T))."""
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
    dl = _doc_lengths(enc.fwd_off, w)
    norm = k1 * (1.0 - b + b * dl.astype(np.float64) / max(avgdl, 1e-9))
    weights = (tf / (tf + norm[docs])).astype(np.float32)
    tids, indptr, pdocs = _csc(term_of, docs)

    fdoc = np.repeat(np.arange(n, dtype=np.int64), np.diff(enc.filt_off))
    fpair = np.unique(enc.filt.astype(np.int64) * n + fdoc)
    ftids, findptr, fdocs = _csc(fpair // n, fpair % n)
    skeys, sperm = _key_index(enc.keys)
    return _Segment(
        keys=enc.keys, live=np.ones(n, bool), day=enc.day, dl=dl, skeys=skeys, sperm=sperm,
        tids=tids, indptr=indptr, docs=pdocs, weights=weights,
        ftids=ftids, findptr=findptr, fdocs=fdocs, fwd=enc.fwd, fwd_off=enc.fwd_off,
    )  # fmt: skip


def _remaps(segs: list[_Segment]) -> list[np.ndarray]:
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


def _concat(segs: list[_Segment], vocab: int) -> _Segment:
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
    return _Segment(
        keys=keys, live=np.ones(len(keys), bool),
        day=np.concatenate([s.day[s.live] for s in segs]),
        dl=np.concatenate([s.dl[s.live] for s in segs]), skeys=skeys, sperm=sperm,
        tids=tids, indptr=indptr, docs=docs, weights=weights,
        ftids=ftids, findptr=findptr, fdocs=fdocs,
        fwd=np.concatenate(fwd_parts).astype(np.uint32, copy=False),
        fwd_off=np.concatenate(([0], np.cumsum(np.concatenate(span_parts)))).astype(np.int64),
    )  # fmt: skip


# --- the index -------------------------------------------------------------------------------


class _WordIds(dict[str, int]):
    """word -> term id (-1: dropped), filled on first sight: the hot loop of indexing."""

    def __init__(self, index: LexicalIndex) -> None:
        super().__init__()
        self.index = index

    def __missing__(self, word: str) -> int:
        term = self.index.analyzer.term(word)
        tid = self.index._term_id(term) if term else -1
        self[word] = tid
        return tid


class LexicalIndex(IndexPart):
    """BM25F over title, abstract and authors, with filters, phrases and date sorting.

    Searches may run in several threads at once; writes (add, remove, merge, save) need the
    caller to hold off searches (one writer, as the store does)."""

    def __init__(
        self,
        *,
        k1: float = 1.5,
        b: float = 0.75,
        weights: Mapping[str, float] | None = None,
        analyzer: Analyzer | None = None,
        merge_factor: int = 10,
        max_segments: int = 16,
    ) -> None:
        given = dict(DEFAULT_WEIGHTS if weights is None else weights)
        unknown = set(given) - set(FIELDS)
        if unknown:
            raise ValueError(f"unknown fields {sorted(unknown)}: allowed are {list(FIELDS)}")
        self.k1, self.b = float(k1), float(b)
        self.weights = np.array([float(given.get(f, 0.0)) for f in FIELDS], np.float32)
        self.analyzer = analyzer or Analyzer()
        self.merge_factor, self.max_segments = merge_factor, max_segments
        self.terms: list[str] = []
        self.vocab: dict[str, int] = {}
        self._df = np.zeros(0, np.int64)  # live docs per scored term (filter tokens stay 0)
        self.segments: list[_Segment] = []
        self._n_live = 0
        self._total_len = 0.0  # weighted length summed over live docs
        self._word_ids = _WordIds(self)
        self._local = threading.local()  # per-thread score buffers: searches may run in threads

    # --- vocabulary and counts

    def _term_id(self, term: str) -> int:
        tid = self.vocab.get(term)
        if tid is None:
            tid = self.vocab[term] = len(self.terms)
            self.terms.append(term)
        return tid

    def _grow_df(self) -> None:
        if len(self._df) < len(self.terms):
            grown = np.zeros(max(len(self.terms), 2 * len(self._df)), np.int64)
            grown[: len(self._df)] = self._df
            self._df = grown

    def doc_freq(self, term: str) -> int:
        """Live documents containing an index term (an analysed term such as "model", or a
        filter token such as "cat:cs.lg")."""
        tid = self.vocab.get(term)
        if tid is None:
            return 0
        if ":" not in term:
            return int(self._df[tid]) if tid < len(self._df) else 0
        return sum(int(np.count_nonzero(s.live[s.filter_postings(tid)])) for s in self.segments)

    def __len__(self) -> int:
        return self._n_live

    def keys(self) -> np.ndarray:
        """Live keys, ascending."""
        if not self.segments:
            return np.zeros(0, np.int64)
        return np.sort(np.concatenate([s.keys[s.live] for s in self.segments]))

    def stats(self) -> dict[str, int]:
        return {
            "docs": self._n_live,
            "segments": len(self.segments),
            "terms": len(self.terms),
            "postings": sum(len(s.docs) for s in self.segments),
            "bytes": sum(s.nbytes() for s in self.segments) + self._df.nbytes,
        }

    def avgdl(self) -> float:
        return self._total_len / self._n_live if self._n_live else 0.0

    # --- adding and removing

    def add(self, docs: Sequence[Doc]) -> None:
        unique = list({d.key: d for d in docs}.values())  # the last copy of a key wins
        if not unique:
            return
        keys = np.array([d.key for d in unique], np.int64)
        if keys.min() < 0:
            raise ValueError("document keys must be non-negative")
        self.remove(keys)
        enc = self._encode(unique)
        dl = _doc_lengths(enc.fwd_off, self.weights)
        total = self._total_len + float(dl.sum(dtype=np.float64))
        avgdl = total / (self._n_live + len(unique))
        parts = [
            _build(enc.slice(a, a + _BUILD_CHUNK), self.weights, self.k1, self.b, avgdl)
            for a in range(0, len(unique), _BUILD_CHUNK)
        ]
        seg = parts[0] if len(parts) == 1 else _concat(parts, len(self.terms))
        del parts, enc
        self._grow_df()
        self._df[seg.tids] += np.diff(seg.indptr)  # a term's run length is its df here
        self._n_live += seg.n
        self._total_len = total
        self.segments.append(seg)
        self._auto_merge()

    def _encode(self, docs: Sequence[Doc]) -> _Encoded:
        get, words = self._word_ids.__getitem__, self.analyzer.words
        # array("i") holds 4 bytes a token (a list of ints ~36: 6 GB at 1M docs); dropped
        # words (-1) are filtered afterwards in numpy, faster than a filter per field here.
        tokens, offs, ftoks, foffs = array("i"), array("q", [0]), array("I"), array("q", [0])
        for d in docs:
            for text in (d.title, d.abstract, " ".join(d.authors)):
                tokens.extend(map(get, words(text)))
                offs.append(len(tokens))
            ftoks.extend([self._term_id(t) for t in filter_tokens(d)])
            foffs.append(len(ftoks))
        raw = np.frombuffer(tokens, np.int32) if tokens else np.zeros(0, np.int32)
        dropped = np.flatnonzero(raw < 0)
        offsets = np.frombuffer(offs, np.int64)
        return _Encoded(
            keys=np.array([d.key for d in docs], np.int64),
            day=np.array([-1 if d.day is None else d.day for d in docs], np.int32),
            fwd=raw[raw >= 0].astype(np.uint32),
            fwd_off=offsets - np.searchsorted(dropped, offsets),  # minus drops before each
            filt=np.frombuffer(ftoks, np.uint32) if ftoks else _EMPTY_U32,
            filt_off=np.frombuffer(foffs, np.int64).copy(),
        )

    def remove(self, keys: Iterable[int]) -> None:
        wanted = np.unique(np.fromiter(keys, np.int64))
        if len(wanted) == 0:
            return
        self._grow_df()
        for seg in self.segments:
            ords = seg.ordinals(wanted)
            ords = ords[seg.live[ords]]
            if len(ords) == 0:
                continue
            seg.live[ords] = False
            self._df[: len(self.terms)] -= np.bincount(
                self._doc_terms(seg, ords), minlength=len(self.terms)
            )
            self._n_live -= len(ords)
            self._total_len -= float(seg.dl[ords].sum(dtype=np.float64))
        if self._n_live == 0:
            self._total_len = 0.0  # no float residue once empty

    def _doc_terms(self, seg: _Segment, ords: np.ndarray) -> np.ndarray:
        """Distinct scored term ids of each of these docs (with repeats across docs)."""
        off = seg.fwd_off
        out = []
        for f, w in enumerate(self.weights):
            if w <= 0:
                continue
            s, e = off[3 * ords + f], off[3 * ords + f + 1]
            out.append((_gather(seg.fwd, s, e), np.repeat(ords.astype(np.int64), e - s)))
        toks = np.concatenate([t for t, _ in out]).astype(np.int64)
        owner = np.concatenate([o for _, o in out])
        return np.unique(owner * (len(self.terms) + 1) + toks) % (len(self.terms) + 1)

    # --- merging

    def merge(self, *, force: bool = False) -> None:
        """Apply the tiered merge policy (see the module docstring); `force` merges every
        segment into one. Scores are unchanged either way; tombstoned docs are dropped."""
        if force:
            if len(self.segments) > 1 or any(s.n_live() < s.n for s in self.segments):
                self._replace(list(range(len(self.segments))))
            return
        self._auto_merge()

    def _auto_merge(self) -> None:
        while True:
            group = self._merge_candidates()
            if not group:
                return
            self._replace(group)

    def _merge_candidates(self) -> list[int]:
        tiers: dict[int, list[int]] = {}
        for i, s in enumerate(self.segments):
            live = s.n_live()
            if live * 2 < s.n and s.n > 1000:
                return [i]  # mostly removed docs: rewrite it alone to reclaim the space
            tier = int(math.log(live, self.merge_factor)) if live > 0 else -1
            tiers.setdefault(tier, []).append(i)
        for tier in sorted(tiers):
            if tier == -1 or len(tiers[tier]) >= self.merge_factor:
                return tiers[tier] if tier == -1 else tiers[tier][: self.merge_factor]
        if len(self.segments) > self.max_segments:
            by_size = sorted(range(len(self.segments)), key=lambda i: self.segments[i].n_live())
            return sorted(by_size[: len(self.segments) - self.max_segments + 1])
        return []

    def _replace(self, group: list[int]) -> None:
        chosen = [self.segments[i] for i in group]
        merged = _concat(chosen, len(self.terms))
        log.debug("merged %d segments into %d docs", len(chosen), merged.n)
        keep = [s for i, s in enumerate(self.segments) if i not in set(group)]
        self.segments = [*keep, merged] if merged.n else keep

    # --- searching: see the second half of this module

    def search(
        self, query: LexQuery | str, k: int = 10, *, allow: np.ndarray | None = None
    ) -> Hits:
        """The k best matches. `allow`: sorted int64 keys, the only ones that may be returned.

        `Hits.total` is the exact number of matching documents, except for phrase queries whose
        candidates are too many to verify them all (over ~300k tokens to scan, about 2,000
        abstracts): then it counts the verified matches, a lower bound."""
        q = LexQuery(text=query) if isinstance(query, str) else query
        return _Search(self, q, k, allow).run()

    def _buffer(self, name: str, n: int) -> np.ndarray:
        """A float32 scratch array of this thread, grown as needed (contents undefined)."""
        buf: np.ndarray | None = getattr(self._local, name, None)
        if buf is None or len(buf) < n:
            buf = np.zeros(n, np.float32)
            setattr(self._local, name, buf)
        return buf[:n]

    def days(self, keys: np.ndarray) -> np.ndarray:
        """Listing day per key (days since 1970-01-01; -1 unknown or not indexed)."""
        keys = np.asarray(keys, np.int64)
        out = np.full(len(keys), -1, np.int64)
        for seg in self.segments:
            if not seg.n:
                continue
            pos = np.minimum(np.searchsorted(seg.skeys, keys), seg.n - 1)
            hit = seg.skeys[pos] == keys
            ords = seg.sperm[pos[hit]]
            live = seg.live[ords]
            out[np.flatnonzero(hit)[live]] = seg.day[ords[live]]
        return out

    def distinctive_terms(self, text: str, n: int = 32) -> str:
        """The text's n words with the highest tf-idf here, as a query string ("more like
        this"): a long pasted abstract becomes a short, fast OR query. URLs, single letters
        (formula variables), numbers and years ("2005b") are left out: rare, so high idf, but
        they say nothing about the topic."""
        counts: dict[str, int] = {}
        word_of: dict[str, str] = {}
        for word in self.analyzer.words(_URL.sub(" ", text)):
            if not _distinctive_word(word):
                continue
            term = self.analyzer.term(word)
            if term and term in self.vocab:
                counts[term] = counts.get(term, 0) + 1
                word_of.setdefault(term, word)
        if not counts:
            return ""
        terms = list(counts)
        tids = np.array([self.vocab[t] for t in terms], np.int64)
        weight = np.array([counts[t] for t in terms]) * self.idf(tids)
        order = np.lexsort((np.array(terms), -weight))[:n]
        return " ".join(word_of[terms[i]] for i in order)

    def idf(self, tids: np.ndarray) -> np.ndarray:
        """Lucene BM25 idf of global term ids, from live document frequencies."""
        df = self._df[tids].astype(np.float64)
        return np.log1p((self._n_live - df + 0.5) / (df + 0.5))

    # --- persistence

    def save(self, path: Path) -> None:
        path = Path(path)
        names = []
        with atomic_dir(path) as tmp:
            for i, seg in enumerate(self.segments):
                name = f"seg-{i:04d}"
                _save_segment(seg, tmp / name)
                names.append(name)
            np.save(tmp / "df.npy", self._df[: len(self.terms)])
            (tmp / "vocab.json").write_text(json.dumps(self.terms, ensure_ascii=False))
            write_meta(tmp, KIND, **self._params(), segments=names, docs=self._n_live,
                       total_len=self._total_len, terms=len(self.terms))  # fmt: skip
        for name, seg in zip(names, self.segments, strict=True):
            seg.source = path / name

    def _params(self) -> dict[str, Any]:
        return {
            "layout_version": LAYOUT_VERSION,
            "k1": self.k1,
            "b": self.b,
            "weights": dict(zip(FIELDS, map(float, self.weights), strict=True)),
            "analyzer": self.analyzer.config(),
            "merge_factor": self.merge_factor,
            "max_segments": self.max_segments,
        }

    @classmethod
    def load(cls, path: Path) -> LexicalIndex:
        path = Path(path)
        meta = read_meta(path, KIND)
        try:
            if meta.get("layout_version") != LAYOUT_VERSION:
                raise ValueError(f"layout v{meta.get('layout_version')}, not v{LAYOUT_VERSION}")
            index = cls(
                k1=meta["k1"], b=meta["b"], weights=meta["weights"],
                analyzer=Analyzer.from_config(meta["analyzer"]),
                merge_factor=meta["merge_factor"], max_segments=meta["max_segments"],
            )  # fmt: skip
            index.terms = list(json.loads((path / "vocab.json").read_text()))
            index.vocab = {t: i for i, t in enumerate(index.terms)}
            index._df = np.array(np.load(path / "df.npy"), np.int64)
            index.segments = [_load_segment(path / name) for name in meta["segments"]]
            index._n_live, index._total_len = int(meta["docs"]), float(meta["total_len"])
            index._check(len(index.terms))
        except (OSError, ValueError, KeyError, TypeError, EOFError) as exc:
            raise IndexFormatError(f"{path}: damaged lexical index ({exc})") from exc
        return index

    def _check(self, vocab: int) -> None:
        if len(self._df) != vocab:
            raise ValueError("df and vocabulary differ in length")
        if sum(s.n_live() for s in self.segments) != self._n_live:
            raise ValueError("live document count does not match the segments")
        for s in self.segments:
            _check_segment(s, vocab)


_URL = re.compile(r"(?:https?://|www\.)\S+|\S+\.(?:com|org|io|net)/\S*", re.I)
_URL_WORDS = frozenset(
    ["http", "https", "www", "github", "gitlab", "com", "org", "io", "net", "html", "huggingface"]
)
_NUMBERISH = re.compile(r"\d+(?:\.\d+)?|(?:19|20)\d\d[a-z]|[a-z]")  # 42, 0.5, 2005b, x


def _distinctive_word(word: str) -> bool:
    return not (_NUMBERISH.fullmatch(word) or word in _URL_WORDS)


def _positions(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Concatenated ranges starts[i]:ends[i] as one index array, without a Python loop."""
    lens = ends - starts
    total = int(lens.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    return np.arange(total) - np.repeat(np.cumsum(lens) - lens, lens) + np.repeat(starts, lens)


def _gather(a: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """a[starts[0]:ends[0]] ++ a[starts[1]:ends[1]] ++ ..."""
    return a[_positions(starts, ends)]


def _save_segment(seg: _Segment, folder: Path) -> None:
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


def _load_segment(folder: Path) -> _Segment:
    arrays: dict[str, Any] = {}
    for name in (*_IMMUTABLE, "live"):
        mode: Literal["r"] | None = "r" if name in _MMAP else None
        loaded = np.load(folder / f"{name}.npy", mmap_mode=mode, allow_pickle=False)
        arrays[name] = np.asarray(loaded)  # plain views: memmap's indexing wrapper is slow
    arrays["live"] = np.array(arrays["live"], bool)  # tombstones are written in memory
    return _Segment(**arrays, source=folder)


_DTYPES = {"keys": np.int64, "day": np.int32, "tids": np.uint32, "indptr": np.int64,
           "docs": np.uint32, "weights": np.float32, "fwd": np.uint32, "fwd_off": np.int64,
           "ftids": np.uint32, "findptr": np.int64, "fdocs": np.uint32}  # fmt: skip


def _check_segment(s: _Segment, vocab: int) -> None:
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


# --- query evaluation ------------------------------------------------------------------------


@dataclass(slots=True)
class _Found:
    """One segment's matches: ordinals with scores (all matches, or the best when pruned)."""

    seg: int
    ords: np.ndarray
    scores: np.ndarray
    total: int


class _Search:
    """One query's evaluation over the segments (a class only to share the parsed query)."""

    def __init__(self, index: LexicalIndex, q: LexQuery, k: int, allow: np.ndarray | None):
        self.ix, self.q, self.k = index, q, k
        self.allow = None if allow is None else np.asarray(allow, np.int64)
        if self.allow is not None and np.any(self.allow[1:] < self.allow[:-1]):
            self.allow = np.sort(self.allow)  # promised sorted; cheap to check, not to trust
        an = index.analyzer
        counts: Counter[str] = Counter(q.weighted or an.analyze(q.text))
        self.phrases = [ids for p in q.phrases if (ids := self._ids(an.analyze(p)))]
        self.dead_phrase = any(any(t not in index.vocab for t in an.analyze(p)) for p in q.phrases)
        for p in q.phrases:
            counts.update(an.analyze(p))
        known = [(index.vocab[t], c) for t, c in counts.items() if t in index.vocab]
        self.has_text = bool(counts)
        tids = np.array([t for t, _ in known], np.int64)
        qw = np.array([c for _, c in known], np.float64) * index.idf(tids)
        # A fixed term order (rarest first, then id) makes every doc's float32 sum the same
        # whichever segment holds it, so merging cannot change a score even in the last bit.
        order = np.lexsort((tids, -qw))
        self.tids, self.qw = tids[order], qw[order].astype(np.float32)

    def _ids(self, terms: list[str]) -> list[int]:
        return [self.ix.vocab.get(t, -1) for t in terms]

    def run(self) -> Hits:
        if self.k <= 0 or self.dead_phrase or (self.has_text and len(self.tids) == 0):
            return Hits.empty()
        if not self.has_text and not self._has_filters():
            return Hits.empty()
        found = [f for i, s in enumerate(self.ix.segments) if (f := self._segment(i, s))]
        if self.phrases and found:
            found = self._verify(found)
        if not found:
            return Hits.empty()
        total = sum(f.total for f in found)
        keys = np.concatenate([self.ix.segments[f.seg].keys[f.ords] for f in found])
        scores = np.concatenate([f.scores for f in found])
        if self.q.sort == "date" or not self.has_text:
            days = np.concatenate([self.ix.segments[f.seg].day[f.ords] for f in found])
            best = _ranked(keys, scores, days, self.k)
            return Hits(keys[best], scores[best].astype(np.float32), total)
        hits = top_k(keys, scores, self.k)
        hits.total = total
        return hits

    def _has_filters(self) -> bool:
        q = self.q
        return bool(q.must or q.any_of or q.must_not or self.allow is not None) or (
            q.day_from is not None or q.day_to is not None
        )

    def _segment(self, i: int, seg: _Segment) -> _Found | None:
        mask = self._mask(seg)
        if mask is not None and not mask.any():
            return None
        if self.phrases:
            cand = self._phrase_candidates(seg, mask)
            return _Found(i, cand, self._score_ords(seg, cand), len(cand))
        if not self.has_text:
            return self._pick(i, seg, None, mask, _EMPTY_U32) if mask is not None else None
        return self._score_all(i, seg, mask)

    # --- filters: one bool mask over the segment's ordinals (None: every doc is allowed)

    def _mask(self, seg: _Segment) -> np.ndarray | None:
        q, mask = self.q, None
        for token in q.must:
            for ords in self._token_ords(seg, token, every=True):
                mask = _and(mask, _ords_mask(seg.n, ords))
        for group in q.any_of:
            union = np.zeros(seg.n, bool)
            for token in group:
                union[_all_of(seg.n, self._token_ords(seg, token, every=True))] = True
            mask = _and(mask, union)
        if q.day_from is not None or q.day_to is not None:
            lo = max(q.day_from if q.day_from is not None else 0, 0)  # unknown days never match
            hi = q.day_to if q.day_to is not None else np.iinfo(np.int32).max
            mask = _and(mask, (seg.day >= lo) & (seg.day <= hi))
        if self.allow is not None:
            mask = _and(mask, _ords_mask(seg.n, seg.ordinals(self.allow)))
        if q.must_not:
            mask = np.ones(seg.n, bool) if mask is None else mask
            for token in q.must_not:
                for ords in self._token_ords(seg, token, every=False):
                    mask[ords] = False
        if mask is None:
            return None if seg.live.all() else seg.live
        return mask & seg.live

    def _token_ords(self, seg: _Segment, token: str, *, every: bool) -> list[np.ndarray]:
        """Ordinal lists for a filter token, or for each term of a word (unknown: empty)."""
        if ":" in token:
            tid = self.ix.vocab.get(token.strip().lower())
            return [seg.filter_postings(tid) if tid is not None else _EMPTY_U32]
        terms = self.ix.analyzer.analyze(token)
        if not terms and every:
            return []  # a stopword requires nothing
        return [
            seg.postings(self.ix.vocab[t])[0] if t in self.ix.vocab else _EMPTY_U32 for t in terms
        ]

    # --- scoring

    def _score_all(self, i: int, seg: _Segment, mask: np.ndarray | None) -> _Found:
        """Every match of the text in this segment, scored (exact; no pruning)."""
        lists = [seg.postings(int(t)) for t in self.tids]
        if mask is not None and _lookup_is_cheaper(int(np.count_nonzero(mask)), lists, seg.n):
            some = np.flatnonzero(mask).astype(np.uint32)
            got = self._score_some(lists, some)
            ords, scores = some[got > 0], got[got > 0]
            total = len(ords)
            if self.q.sort == "relevance" and total > self.k:
                best = _best(seg.keys[ords], scores, self.k)
                ords, scores = ords[best], scores[best]
            return _Found(i, ords, scores, total)
        acc = self._accumulate(seg, lists)
        if mask is not None:
            np.multiply(acc, mask, out=acc)
        # Docs of the rarest term with >= k postings give a cheap lower bound on the k-th score.
        sample = next((d for d, _ in lists if len(d) >= self.k), _EMPTY_U32)
        return self._pick(i, seg, acc, mask, sample)

    def _accumulate(self, seg: _Segment, lists: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
        """Scores of every doc of the segment (0: no query term), in the reused buffer."""
        acc = self.ix._buffer("acc", seg.n)
        acc.fill(0)
        # A reused buffer for w * qw: a fresh 2 MB temporary is mmap'd and page-faulted each time.
        tmp = self.ix._buffer("tmp", max((len(d) for d, _ in lists), default=0))
        for (docs, w), qw in zip(lists, self.qw, strict=True):
            if len(docs):
                contrib = np.multiply(w, qw, out=tmp[: len(w)])
                np.add.at(acc, docs, contrib)  # the fastest scatter-add in numpy 2
        return acc

    def _score_ords(self, seg: _Segment, ords: np.ndarray) -> np.ndarray:
        """Scores of the given (sorted, uint32) ordinals, by lookup or by full accumulation."""
        lists = [seg.postings(int(t)) for t in self.tids]
        if _lookup_is_cheaper(len(ords), lists, seg.n):
            return self._score_some(lists, ords)
        return self._accumulate(seg, lists)[ords]

    def _pick(
        self, i: int, seg: _Segment, acc: np.ndarray | None, mask: np.ndarray | None,
        sample: np.ndarray,
    ) -> _Found:  # fmt: skip
        """The segment's k best in the query's order, and how many matched. Selecting by a
        threshold first matters at 1M docs: flatnonzero over 600k matches costs 7 ms."""
        # matched == scored, or allowed when there is no text (then mask is never None)
        matched: np.ndarray = acc.view(np.int32) if acc is not None else np.asarray(mask)
        total = int(np.count_nonzero(matched))  # int32 view: counting floats is 10x slower
        if self.q.sort == "relevance" and acc is not None:
            vals = acc[sample]
            vals = vals[vals > 0]
            cut = (
                np.partition(vals, len(vals) - self.k)[len(vals) - self.k]
                if len(vals) >= self.k
                else 0
            )
            cand = np.flatnonzero(acc >= cut) if cut > 0 else np.flatnonzero(acc)
            best = cand[_best(seg.keys[cand], acc[cand], self.k)]
            return _Found(i, best, acc[best], total)
        cand = self._newest(seg, acc, mask, total)
        scores = acc[cand] if acc is not None else np.zeros(len(cand), np.float32)
        return _Found(i, cand, scores, total)

    def _newest(
        self, seg: _Segment, acc: np.ndarray | None, mask: np.ndarray | None, total: int
    ) -> np.ndarray:
        """Matched ordinals on the k newest matched days (the whole last day, whose order
        depends on scores). Walks the segment newest first, so a broad query reads a few
        thousand docs instead of ranking 600k by day (~4 ms at 1M)."""

        def matched(ords: np.ndarray) -> np.ndarray:
            return ords[acc[ords] != 0] if acc is not None else ords[np.asarray(mask)[ords]]

        if total <= max(self.k, seg.n // 64):  # sparse: selecting them all is cheap
            return np.flatnonzero(acc if acc is not None else np.asarray(mask))
        (order, minus_days), at, step = seg.newest_first(), 0, 4096
        found: list[np.ndarray] = []
        while sum(len(f) for f in found) < self.k and at < seg.n:
            found.append(matched(order[at : at + step]))
            at, step = at + step, step * 2
        cand = np.concatenate(found)
        last_day = int(seg.day[cand[self.k - 1]])
        end = int(np.searchsorted(minus_days, -last_day, side="right"))  # the last day's run
        return np.concatenate((cand, matched(order[at:end]))) if end > at else cand

    def _score_some(
        self, lists: list[tuple[np.ndarray, np.ndarray]], ords: np.ndarray
    ) -> np.ndarray:
        """Scores of a few (sorted, uint32) ordinals: binary search in each posting list. The
        terms are added in the same order as `_accumulate` does, so the floats are identical."""
        scores = np.zeros(len(ords), np.float32)
        for (docs, w), qw in zip(lists, self.qw, strict=True):
            if len(docs) == 0 or len(ords) == 0:
                continue
            pos = np.minimum(docs.searchsorted(ords), len(docs) - 1)
            hit = docs[pos] == ords
            scores[hit] += w[pos[hit]] * qw
        return scores

    # --- phrases

    def _phrase_candidates(self, seg: _Segment, mask: np.ndarray | None) -> np.ndarray:
        """Docs holding every term of every phrase (postings intersection, rarest first)."""
        cand: np.ndarray | None = None
        for tid in sorted({t for p in self.phrases for t in p}, key=lambda t: self.ix._df[t]):
            docs = seg.postings(tid)[0]
            if cand is None or len(docs) == 0:
                cand = docs
            elif len(cand) * 16 < seg.n:  # few: binary search; many: a mask over the segment
                cand = cand[docs[np.minimum(docs.searchsorted(cand), len(docs) - 1)] == cand]
            else:
                cand = cand[_ords_mask(seg.n, docs)[cand]]
            if len(cand) == 0:
                break
        cand = _EMPTY_U32 if cand is None else np.asarray(cand, np.uint32)
        return cand[mask[cand]] if mask is not None else cand

    def _verify(self, found: list[_Found]) -> list[_Found]:
        """Keep candidates where every phrase occurs, checking the best first until k are
        confirmed, then the rest too when that is cheap (for an exact total)."""
        seg_of = np.concatenate([np.full(len(f.ords), f.seg) for f in found])
        ords = np.concatenate([f.ords for f in found]).astype(np.int64)
        scores = np.concatenate([f.scores for f in found])
        keys = np.concatenate([self.ix.segments[f.seg].keys[f.ords] for f in found])
        days = None
        if self.q.sort == "date" or not self.has_text:
            days = np.concatenate([self.ix.segments[f.seg].day[f.ords] for f in found])
        ok, checked = np.zeros(len(ords), bool), np.zeros(len(ords), bool)
        confirmed, done, want = 0, 0, 4 * self.k + _PHRASE_BLOCK
        while confirmed < self.k and done < len(ords):
            # Rank only the best `want` (a full sort of 100k candidates costs ~10 ms).
            order = _ranked(keys, scores, days, want)
            order = order[~checked[order]]
            for a in range(0, len(order), _PHRASE_BLOCK):
                block = order[a : a + _PHRASE_BLOCK]
                ok[block] = self._phrases_hold(seg_of[block], ords[block])
                checked[block] = True
                done += len(block)
                confirmed += int(np.count_nonzero(ok[block]))
                if confirmed >= self.k:
                    break
            want *= 8
        rest = np.flatnonzero(~checked)
        if 0 < len(rest) <= _PHRASE_EXACT_DOCS and self._cheap(seg_of[rest], ords[rest]):
            ok[rest] = self._phrases_hold(seg_of[rest], ords[rest])
        return [
            _Found(f.seg, ords[sel].astype(np.uint32), scores[sel], len(sel))
            for f in found
            if len(sel := np.flatnonzero(ok & (seg_of == f.seg)))
        ]

    def _cheap(self, seg_of: np.ndarray, ords: np.ndarray) -> bool:
        """Whether verifying these docs means scanning few tokens (title + abstract)."""
        tokens = 0
        for s in np.unique(seg_of):
            o = ords[seg_of == s]
            off = self.ix.segments[s].fwd_off
            tokens += int((off[3 * o + 2] - off[3 * o]).sum())
        return tokens <= _PHRASE_EXACT_TOKENS

    def _phrases_hold(self, seg_of: np.ndarray, ords: np.ndarray) -> np.ndarray:
        ok = np.ones(len(ords), bool)
        for s in np.unique(seg_of):
            at = np.flatnonzero(seg_of == s)
            for phrase in self.phrases:
                ok[at] &= _phrase_in(self.ix.segments[s], ords[at], phrase)
        return ok


def _phrase_in(seg: _Segment, ords: np.ndarray, phrase: list[int]) -> np.ndarray:
    """Whether each doc has the phrase as consecutive tokens inside its title or inside its
    abstract (never across the two: they are separate streams)."""
    off = seg.fwd_off
    start, mid, end = off[3 * ords], off[3 * ords + 1], off[3 * ords + 2]
    lens = end - start
    owner = np.repeat(np.arange(len(ords)), lens)
    pos = _positions(start, end)
    first = np.flatnonzero(seg.fwd[pos] == phrase[0])
    at, who = pos[first], owner[first]
    stop = np.where(at < mid[who], mid[who], end[who])  # the end of the field it starts in
    good = at + len(phrase) <= stop
    for j, tid in enumerate(phrase[1:], start=1):
        nxt = np.minimum(at + j, len(seg.fwd) - 1)
        good &= seg.fwd[nxt] == tid
    out = np.zeros(len(ords), bool)
    out[who[good]] = True
    return out


def _and(mask: np.ndarray | None, other: np.ndarray) -> np.ndarray:
    if mask is None:
        return other
    mask &= other
    return mask


def _ords_mask(n: int, ords: np.ndarray) -> np.ndarray:
    m = np.zeros(n, bool)
    m[ords] = True
    return m


def _all_of(n: int, lists: list[np.ndarray]) -> np.ndarray:
    """Ordinals in every list (a word's terms all present)."""
    if not lists:
        return _EMPTY_U32
    m = _ords_mask(n, lists[0])
    for ords in lists[1:]:
        m &= _ords_mask(n, ords)
    return np.flatnonzero(m)


def _lookup_is_cheaper(docs: int, lists: list[tuple[np.ndarray, np.ndarray]], n: int) -> bool:
    """Score `docs` allowed docs by binary search in each list (~25 ns a doc and term,
    measured at 1M) rather than scatter every posting (~3 ns each) over all n docs (~1.5 ns
    each for clearing, masking and selecting)?"""
    return docs * len(lists) * 25 < 3 * sum(len(d) for d, _ in lists) + 1.5 * n


def _best(keys: np.ndarray, scores: np.ndarray, k: int) -> np.ndarray:
    """Positions of the k best, score descending then key ascending (base.top_k's order)."""
    cand = np.arange(len(keys))
    if len(keys) > k:
        part = np.argpartition(-scores, k - 1)[:k]
        cand = np.flatnonzero(scores >= scores[part].min())  # keep ties at the cut
    return cand[np.lexsort((keys[cand], -scores[cand]))[:k]]


def _ranked(keys: np.ndarray, scores: np.ndarray, days: np.ndarray | None, m: int) -> np.ndarray:
    """Positions of the m first in the query's order: by score (then key), or, given days,
    newest first, then score, then key (unknown days, -1, last)."""
    if days is None:
        return _best(keys, scores, m)
    cand = np.arange(len(keys))
    if len(keys) > m:
        cut = np.partition(days, len(days) - m)[len(days) - m]  # the m newest days' worth
        cand = np.flatnonzero(days >= cut)
    order = np.lexsort((keys[cand], -scores[cand], -days[cand].astype(np.int64)))
    return cand[order[:m]]
