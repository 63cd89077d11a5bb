"""Term proximity (index/lexical/proximity.py) on hand-made documents: ordered-bigram counts
from the forward index with scores computed by hand, what never counts as a bigram, several
segments, and the proximity list inside hybrid search."""

from __future__ import annotations

import numpy as np
import pytest

from paperwire.index.backend import Query
from paperwire.index.base import Doc
from paperwire.index.embedded import EmbeddedIndex, FusionConfig
from paperwire.index.encoders import HashEncoder
from paperwire.index.lexical import LexicalIndex
from paperwire.index.lexical.proximity import proximity_of_spans, term_pairs

DOCS = [
    Doc(1, "Amyloid beta plaques", "amyloid beta protein, and beta amyloid"),
    Doc(2, "Beta amyloid", "amyloid of the beta kind"),  # "of the" are stopwords: adjacent
    Doc(3, "Amyloid", "we study beta cells"),  # both words, never next to each other
    Doc(4, "Galaxy halos", "dark matter halos"),
]


def lexical(docs: list[Doc] = DOCS) -> LexicalIndex:
    index = LexicalIndex()
    index.add(docs)
    return index


def idf(index: LexicalIndex, *terms: str) -> float:
    return float(min(index.idf(np.array([index.vocab[t] for t in terms]))))


def test_scores_count_ordered_bigrams_saturated_and_idf_weighted() -> None:
    index = lexical()
    scores = index.proximity("amyloid beta", np.array([1, 2, 3, 4, 99]))
    w = idf(index, "amyloid", "beta")
    # doc 1: "amyloid beta" once in the title and once in the abstract (c = 2): 2/3;
    # doc 2: reversed in the title, once in the abstract across stopwords (c = 1): 1/2
    assert scores.tolist() == pytest.approx([w * 2 / 3, w / 2, 0.0, 0.0, 0.0], rel=1e-6)
    assert scores.dtype == np.float32


def test_pairs_are_consecutive_query_terms_each_counted_once() -> None:
    index = lexical()
    w = idf(index, "amyloid", "beta")
    keys = np.array([1, 2])
    # "beta amyloid" is its own pair: doc 1 has it once in the abstract, doc 2 in the title
    assert index.proximity("beta amyloid", keys).tolist() == pytest.approx([w / 2, w / 2])
    # a repeated pair is one pair; the stopword "the" between query words is dropped
    assert index.proximity("amyloid the beta amyloid beta", keys).tolist() == pytest.approx(
        [w * 2 / 3 + w / 2, w / 2 + w / 2]
    )


def test_no_pair_no_score() -> None:
    index = lexical()
    keys = np.array([1, 2, 3])
    for text in ("amyloid", "", "the of", "amyloid unknownword beta"):  # unknown breaks the chain
        assert index.proximity(text, keys).tolist() == [0.0, 0.0, 0.0]
    assert index.proximity("amyloid beta", np.zeros(0, np.int64)).tolist() == []


def test_bigrams_never_span_papers_or_fields() -> None:
    # doc 5's title ends in "amyloid" and its abstract starts with "beta"; doc 6 ends in
    # "amyloid" and doc 7 starts with "beta" in the forward index's order
    docs = [
        Doc(5, "Amyloid", "beta cells"),
        Doc(6, "Cells", "of amyloid"),
        Doc(7, "Beta", "blockers"),
    ]
    index = lexical(docs)
    assert index.proximity("amyloid beta", np.array([5, 6, 7])).tolist() == [0.0, 0.0, 0.0]


def test_segments_and_removals() -> None:
    index = lexical(DOCS[:2])
    index.add(DOCS[2:])  # a second segment
    assert len(index.segments) == 2
    w = idf(index, "amyloid", "beta")
    assert index.proximity("amyloid beta", np.array([3, 1])).tolist() == pytest.approx(
        [0.0, w * 2 / 3]
    )
    index.remove([1])
    assert index.proximity("amyloid beta", np.array([1, 2])).tolist() == pytest.approx(
        [0.0, idf(index, "amyloid", "beta") / 2]
    )


def test_hybrid_ranks_the_adjacent_words_first_with_proximity_on() -> None:
    """Docs 8 and 9 have the same words, so the same BM25; only doc 9 has "heat shock" as a
    phrase. With the dense side silenced (weight 0) proximity alone separates them."""
    docs = [
        Doc(8, "Shock heat", "sun waves"),  # the words in the other order
        Doc(9, "Heat shock", "sun waves"),
    ]

    def search(proximity: tuple[float, float], mode: str) -> list[int]:
        fusion = FusionConfig(
            hybrid_weights=(1.0, 0.0), rerank_weights=(1.0, 0.0, 0.0), proximity=proximity
        )
        index = EmbeddedIndex(None, encoder=HashEncoder(), fusion=fusion)
        index.upsert(docs)
        index.embed(docs)
        return index.search(Query(text="heat shock"), k=10, mode=mode).keys.tolist()  # type: ignore[arg-type]

    bm25 = lexical(docs).search("heat shock", k=10)
    assert bm25.scores[0] == pytest.approx(bm25.scores[1])  # a tie on BM25
    assert search((1.0, 0.0), "hybrid") == [9, 8]
    assert search((0.0, 1.0), "hybrid+rerank") == [9, 8]
    assert search((0.0, 0.0), "hybrid") == [8, 9]  # tie: by key


def test_stored_terms_score_as_the_forward_index() -> None:
    """A backend without our forward index (Milvus) scores its stored title and abstract terms
    with `proximity_of_spans`: the same numbers."""
    index = lexical()
    an = index.analyzer
    text = "amyloid beta protein and dark matter"
    keys = np.array([d.key for d in DOCS])
    pairs = term_pairs(an.analyze(text))
    weights = np.array([idf(index, a, b) for a, b in pairs])
    spans = [(an.analyze(d.title), an.analyze(d.abstract)) for d in DOCS]
    want = index.proximity(text, keys)
    assert want.max() > 0
    assert proximity_of_spans(pairs, weights, spans).tolist() == pytest.approx(want.tolist())
