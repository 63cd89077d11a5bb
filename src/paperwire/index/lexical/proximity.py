"""Term proximity: how often a query's consecutive terms stand next to each other in a paper.

The ordered-window feature of Metzler & Croft's sequential dependence model (SIGIR 2005): for
each pair of consecutive analysed query terms (a, b), the count c of places where b directly
follows a in the paper's title or abstract (stopwords are not in the forward index, so "loss of
function" counts as the bigram "loss function"). A paper scores Σ_pairs min(idf_a, idf_b) ·
c / (c + 1): saturating like BM25's tf, and weighted by the rarer term so that a pair of common
words says little. BM25 scores terms independently; this is what it misses when a claim's words
"amyloid beta" are scattered over an abstract about something else.

Computed on the forward index (the segments' `fwd` / `fwd_off`, as phrase checks read it) for
the few hundred fusion candidates only: one vectorised pass over their tokens, ~1 CPU-ms. A
backend that stores each paper's analysed terms instead (Milvus) scores them with
`proximity_of_spans`, the same formula.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import TYPE_CHECKING

import numpy as np

from paperwire.index.lexical.segments import gather_ranges

if TYPE_CHECKING:
    from paperwire.index.lexical.index import LexicalIndex

_SCORED_FIELDS = (0, 1)  # title, abstract (author names make no bigrams worth counting)


def query_pairs(index: LexicalIndex, text: str) -> tuple[np.ndarray, np.ndarray]:
    """(pair codes a * V + b, weights min(idf_a, idf_b)) of the text's consecutive analysed
    terms that the index knows; a term it does not know breaks the chain."""
    vocab = index.vocab
    tids = [vocab.get(t, -1) for t in index.analyzer.analyze(text)]
    pairs = sorted({(a, b) for a, b in pairwise(tids) if a >= 0 and b >= 0})
    if not pairs:
        return np.zeros(0, np.int64), np.zeros(0, np.float64)
    a = np.array([p[0] for p in pairs], np.int64)
    b = np.array([p[1] for p in pairs], np.int64)
    weights = np.minimum(index.idf(a), index.idf(b))
    return a * len(index.terms) + b, weights


def proximity(index: LexicalIndex, text: str, keys: np.ndarray) -> np.ndarray:
    """The ordered-bigram score of `text` for each of `keys` (float32, aligned; 0 for a key the
    index does not hold or a text with no pair of known terms)."""
    keys = np.asarray(keys, np.int64)
    codes, weights = query_pairs(index, text)
    if not len(codes) or not len(keys):
        return np.zeros(len(keys), np.float32)
    counts = np.zeros((len(keys), len(codes)), np.float64)  # title and abstract together
    vocab_size = len(index.terms)
    for seg in index.segments:
        if not seg.n:
            continue
        pos = np.minimum(np.searchsorted(seg.skeys, keys), seg.n - 1)
        found = np.flatnonzero((seg.skeys[pos] == keys) & seg.live[seg.sperm[pos]])
        if not len(found):
            continue
        ords = seg.sperm[pos[found]].astype(np.int64)
        for field in _SCORED_FIELDS:
            starts = seg.fwd_off[3 * ords + field]
            ends = seg.fwd_off[3 * ords + field + 1]
            tokens = gather_ranges(seg.fwd, starts, ends).astype(np.int64)
            owner = np.repeat(np.arange(len(ords)), ends - starts)
            if len(tokens) < 2:
                continue
            same = owner[1:] == owner[:-1]  # a bigram never spans two papers
            bigram = tokens[:-1] * vocab_size + tokens[1:]
            which = np.searchsorted(codes, bigram)
            hit = same & (which < len(codes))
            hit[hit] = codes[which[hit]] == bigram[hit]
            np.add.at(counts, (found[owner[:-1][hit]], which[hit]), 1.0)
    return ((counts / (counts + 1.0)) @ weights).astype(np.float32)


def term_pairs(terms: Sequence[str]) -> list[tuple[str, str]]:
    """The distinct consecutive pairs of a query's analysed terms, sorted (as `query_pairs`)."""
    return sorted(set(pairwise(terms)))


def proximity_of_spans(
    pairs: Sequence[tuple[str, str]],
    weights: np.ndarray,
    spans: Sequence[Sequence[Sequence[str]]],
) -> np.ndarray:
    """`proximity`'s score from each paper's analysed terms per field (title, abstract):
    `weights` is min(idf_a, idf_b) of each of `pairs`. float32, aligned with `spans`."""
    column = {pair: j for j, pair in enumerate(pairs)}
    out = np.zeros(len(spans), np.float32)
    if not column:
        return out
    for row, fields in enumerate(spans):
        counts = np.zeros(len(column), np.float64)
        for terms in fields:
            for pair in pairwise(terms):
                if (j := column.get(pair)) is not None:
                    counts[j] += 1.0
        out[row] = (counts / (counts + 1.0)) @ weights
    return out
