"""Pseudo-relevance feedback on the lexical side: RM3 query expansion (Abdul-Jaleel et al.,
UMass at TREC 2004; Lavrenko & Croft's relevance model with the query mixed back in).

The top `fb_docs` documents of a first search are taken as relevant. Each term's relevance
model weight is Σ_d p(d | q) · tf(t, d) / |d| over those documents, with p(d | q) their scores
normalised to sum to 1 and tf, |d| field-weighted as BM25F weights them (a title word counts
`title` times). The `fb_terms` best terms, normalised to sum to 1, are mixed with the original
query's term distribution: (1 - weight) · q(t) + weight · rm(t). The expanded query is run as
BM25F with those term weights (the index multiplies each by its idf). Feedback helps where the
first ranking is good: on SciFact train it loses from BM25's own top documents and wins from
the hybrid fusion's (see FusionConfig.prf).

Reads documents' analysed tokens through the lexical index's forward index (the segments'
`fwd` / `fwd_off`, the same arrays phrase verification uses); the expanded query goes back
through `LexicalIndex.search` as `LexQuery.weighted`, so filters and `allow` work unchanged.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from paperwire.index.base import Hits
from paperwire.index.lexical import LexicalIndex, LexQuery


@dataclass(frozen=True)
class PrfConfig:
    """RM3 parameters; fb_docs 0 turns feedback off."""

    fb_docs: int = 0  # feedback documents taken from the top of the first search
    fb_terms: int = 10  # expansion terms kept from the relevance model
    weight: float = 0.5  # share of the relevance model in the expanded query (1 - it: original)

    def __post_init__(self) -> None:
        if self.fb_docs < 0 or self.fb_terms < 1 or not 0.0 <= self.weight <= 1.0:
            raise ValueError(
                f"PRF needs fb_docs >= 0, fb_terms >= 1 and 0 <= weight <= 1, not {self}"
            )

    @property
    def on(self) -> bool:
        return self.fb_docs > 0 and self.weight > 0


def _expansion_candidate(term: str) -> bool:
    """Filter tokens (`cat:cs.lg`), single characters and bare numbers never expand a query:
    frequent in the feedback documents, they say nothing about the topic."""
    return ":" not in term and len(term) > 1 and not term.isdigit()


def doc_term_weights(lexical: LexicalIndex, keys: np.ndarray) -> list[dict[int, float]]:
    """Per key (in the order given), its field-weighted term counts (term id -> Σ_f w_f tf_f);
    an empty dict for a key the index does not hold."""
    keys = np.asarray(keys, np.int64)
    out: list[dict[int, float]] = [{} for _ in range(len(keys))]
    weights = [float(w) for w in lexical.weights]
    for seg in lexical.segments:
        if not seg.n:
            continue
        pos = np.minimum(np.searchsorted(seg.skeys, keys), seg.n - 1)
        found = np.flatnonzero((seg.skeys[pos] == keys) & seg.live[seg.sperm[pos]])
        for i in found.tolist():
            ordinal = int(seg.sperm[pos[i]])
            counts = out[i]
            for f, w in enumerate(weights):
                if w <= 0:
                    continue
                s, e = int(seg.fwd_off[3 * ordinal + f]), int(seg.fwd_off[3 * ordinal + f + 1])
                for tid, n in Counter(seg.fwd[s:e].tolist()).items():
                    counts[tid] = counts.get(tid, 0.0) + w * n
    return out


def relevance_model(lexical: LexicalIndex, feedback: Hits, *, fb_terms: int) -> dict[str, float]:
    """RM1 over the feedback hits, their term counts read from the lexical index."""
    terms = lexical.terms
    counts = [
        {terms[t]: w for t, w in doc.items()} for doc in doc_term_weights(lexical, feedback.keys)
    ]
    return relevance_model_of(counts, feedback.scores, fb_terms=fb_terms)


def relevance_model_of(
    counts: Sequence[Mapping[str, float]], scores: np.ndarray, *, fb_terms: int
) -> dict[str, float]:
    """RM1 over feedback documents given as their field-weighted term counts (aligned with
    their scores): the `fb_terms` best terms, weights summing to 1 (ties by term, so the same
    documents always give the same model). Any backend that can count a document's terms
    (the lexical index, Milvus's stored analysed text) builds the model here."""
    if not len(counts):
        return {}
    scores = np.maximum(np.asarray(scores, np.float64), 0.0)
    prior = scores / scores.sum() if scores.sum() > 0 else np.full(len(scores), 1 / len(scores))
    model: dict[str, float] = {}
    for p_doc, doc in zip(prior, counts, strict=True):
        length = sum(doc.values())
        if length <= 0:
            continue
        for term, tf in doc.items():
            model[term] = model.get(term, 0.0) + p_doc * tf / length
    ranked = sorted(
        ((t, w) for t, w in model.items() if _expansion_candidate(t)),
        key=lambda tw: (-tw[1], tw[0]),
    )[:fb_terms]
    total = sum(w for _, w in ranked)
    return {t: w / total for t, w in ranked} if total > 0 else {}


def expand(lexical: LexicalIndex, query: LexQuery, feedback: Hits, cfg: PrfConfig) -> LexQuery:
    """RM3: `query` with its text replaced by the mix of its own terms and the relevance model
    of `feedback` (its top `cfg.fb_docs`). Unchanged when feedback is off or finds nothing."""
    if not cfg.on or not query.text.strip():
        return query
    original = Counter(t for t in lexical.analyzer.analyze(query.text) if t in lexical.vocab)
    top = Hits(feedback.keys[: cfg.fb_docs], feedback.scores[: cfg.fb_docs])
    return mix(query, original, relevance_model(lexical, top, fb_terms=cfg.fb_terms), cfg)


def mix(
    query: LexQuery, original: Counter[str], model: dict[str, float], cfg: PrfConfig
) -> LexQuery:
    """The RM3 mix of the query's own term counts with the relevance model, as
    `query.weighted` (the query itself when either is empty)."""
    if not original or not model:
        return query
    # On the scale of the query's own term counts (the model's weights sum to the number of
    # query terms), so that phrase terms, which the index adds at count 1, keep their weight.
    size = sum(original.values())
    mixed: dict[str, float] = {t: (1 - cfg.weight) * n for t, n in original.items()}
    for term, w in model.items():
        mixed[term] = mixed.get(term, 0.0) + cfg.weight * w * size
    return replace(query, weighted=tuple(mixed.items()))
