"""The lexical query executor: BM25F scoring per segment, filters, phrase checks, top k.

See the package docstring for the strategy (exact scatter-add scoring, filter masks or lookups,
phrases verified best first on the forward index).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from paperwire.index.base import (
    Hits,
    top_k,
)
from paperwire.index.lexical.segments import EMPTY_U32, Segment, token_positions
from paperwire.index.query import Query

if TYPE_CHECKING:
    from paperwire.index.lexical.index import LexicalIndex

_PHRASE_BLOCK = 512  # candidates verified per step, best first
# Verify every candidate (for an exact total) when that scans under ~2 ms of tokens.
_PHRASE_EXACT_DOCS, _PHRASE_EXACT_TOKENS = 4096, 300_000


# The one query type (paperwire.index.query); the name stays for the lexical index's callers.
LexQuery = Query


@dataclass(slots=True)
class _Found:
    """One segment's matches: ordinals with scores (all matches, or the best when pruned)."""

    seg: int
    ords: np.ndarray
    scores: np.ndarray
    total: int


class Search:
    """One query's evaluation over the segments (a class only to share the parsed query)."""

    def __init__(self, index: LexicalIndex, q: LexQuery, k: int, allow: np.ndarray | None):
        self.ix, self.q, self.k = index, q, k
        self.allow = None if allow is None else np.asarray(allow, np.int64)
        if self.allow is not None and np.any(self.allow[1:] < self.allow[:-1]):
            self.allow = np.sort(self.allow)  # promised sorted; cheap to check, not to trust
        an = index.analyzer
        counts: Counter[str] = Counter(dict(q.weighted) or an.analyze(q.text))
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
        return bool(q.must or q.any_of or q.excluded or self.allow is not None) or (
            q.day_from is not None or q.day_to is not None
        )

    def _segment(self, i: int, seg: Segment) -> _Found | None:
        mask = self._mask(seg)
        if mask is not None and not mask.any():
            return None
        if self.phrases:
            cand = self._phrase_candidates(seg, mask)
            return _Found(i, cand, self._score_ords(seg, cand), len(cand))
        if not self.has_text:
            return self._pick(i, seg, None, mask, EMPTY_U32) if mask is not None else None
        return self._score_all(i, seg, mask)

    # --- filters: one bool mask over the segment's ordinals (None: every doc is allowed)

    def _mask(self, seg: Segment) -> np.ndarray | None:
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
        if q.excluded:
            mask = np.ones(seg.n, bool) if mask is None else mask
            for token in q.excluded:
                for ords in self._token_ords(seg, token, every=False):
                    mask[ords] = False
        if mask is None:
            return None if seg.live.all() else seg.live
        return mask & seg.live

    def _token_ords(self, seg: Segment, token: str, *, every: bool) -> list[np.ndarray]:
        """Ordinal lists for a filter token, or for each term of a word (unknown: empty)."""
        if ":" in token:
            tid = self.ix.vocab.get(token.strip().lower())
            return [seg.filter_postings(tid) if tid is not None else EMPTY_U32]
        terms = self.ix.analyzer.analyze(token)
        if not terms and every:
            return []  # a stopword requires nothing
        return [
            seg.postings(self.ix.vocab[t])[0] if t in self.ix.vocab else EMPTY_U32 for t in terms
        ]

    # --- scoring

    def _score_all(self, i: int, seg: Segment, mask: np.ndarray | None) -> _Found:
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
        sample = next((d for d, _ in lists if len(d) >= self.k), EMPTY_U32)
        return self._pick(i, seg, acc, mask, sample)

    def _accumulate(self, seg: Segment, lists: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
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

    def _score_ords(self, seg: Segment, ords: np.ndarray) -> np.ndarray:
        """Scores of the given (sorted, uint32) ordinals, by lookup or by full accumulation."""
        lists = [seg.postings(int(t)) for t in self.tids]
        if _lookup_is_cheaper(len(ords), lists, seg.n):
            return self._score_some(lists, ords)
        return self._accumulate(seg, lists)[ords]

    def _pick(
        self, i: int, seg: Segment, acc: np.ndarray | None, mask: np.ndarray | None,
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
        self, seg: Segment, acc: np.ndarray | None, mask: np.ndarray | None, total: int
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

    def _phrase_candidates(self, seg: Segment, mask: np.ndarray | None) -> np.ndarray:
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
        cand = EMPTY_U32 if cand is None else np.asarray(cand, np.uint32)
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


def _phrase_in(seg: Segment, ords: np.ndarray, phrase: list[int]) -> np.ndarray:
    """Whether each doc has the phrase as consecutive tokens inside its title or inside its
    abstract (never across the two: they are separate streams)."""
    off = seg.fwd_off
    start, mid, end = off[3 * ords], off[3 * ords + 1], off[3 * ords + 2]
    lens = end - start
    owner = np.repeat(np.arange(len(ords)), lens)
    pos = token_positions(start, end)
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
        return EMPTY_U32
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
