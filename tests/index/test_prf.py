"""RM3 feedback (index/prf.py) on hand-made documents: field-weighted term counts from the
forward index, the relevance model's weights computed by hand, the RM3 mix, weighted lexical
queries, and the expansion inside hybrid search."""

from __future__ import annotations

import numpy as np
import pytest

from paperwire.index.backend import Query
from paperwire.index.base import Doc, Hits
from paperwire.index.embedded import EmbeddedIndex, FusionConfig
from paperwire.index.encoders import HashEncoder
from paperwire.index.lexical import LexicalIndex, LexQuery
from paperwire.index.prf import PrfConfig, doc_term_weights, expand, relevance_model

DOCS = [
    Doc(1, "Kinase inhibitors", "kinase inhibitors block tumour growth", categories=["q-bio"]),
    Doc(2, "Tumour growth", "tumour growth in mice 2005 x", categories=["q-bio"]),
    Doc(3, "Galaxy halos", "dark matter halos of galaxies", categories=["astro-ph"]),
    Doc(4, "Tumour suppressors", "suppressor genes slow tumour growth", categories=["q-bio"]),
]


def lexical(docs: list[Doc] = DOCS) -> LexicalIndex:
    index = LexicalIndex()
    index.add(docs)
    return index


def by_term(index: LexicalIndex, counts: dict[int, float]) -> dict[str, float]:
    return {index.terms[t]: w for t, w in counts.items()}


def test_doc_term_weights_count_title_words_three_times() -> None:
    index = lexical()
    one, missing = doc_term_weights(index, np.array([1, 99]))
    # title "Kinase inhibitors" (x3) + abstract "kinase inhibitors block tumour growth" (x1)
    assert by_term(index, one) == {"kinas": 4, "inhibitor": 4, "block": 1, "tumour": 1, "growth": 1}
    assert missing == {}  # a key the index does not hold


def test_doc_term_weights_skip_removed_documents() -> None:
    index = lexical()
    index.remove([2])
    assert doc_term_weights(index, np.array([2])) == [{}]


def test_relevance_model_by_hand() -> None:
    index = lexical()
    # Docs 1 and 2 with scores 3 and 1: p(d|q) = 0.75, 0.25.
    feedback = Hits(np.array([1, 2]), np.array([3.0, 1.0], np.float32))
    model = relevance_model(index, feedback, fb_terms=4)
    # Doc 1 (length 11): kinas 4, inhibitor 4, block, tumour, growth 1 each. Doc 2 (length 11:
    # title x3 + "tumour growth mice 2005 x"; 2005 and x count in the length but never expand):
    # tumour 4, growth 4, mice, 2005, x 1 each.
    kinase = 0.75 * 4 / 11
    tumour = 0.75 * 1 / 11 + 0.25 * 4 / 11
    assert list(model) == ["inhibitor", "kinas", "growth", "tumour"]  # ties: by term
    total = 2 * kinase + 2 * tumour
    assert model["kinas"] == pytest.approx(kinase / total)
    assert model["tumour"] == pytest.approx(tumour / total)
    assert sum(model.values()) == pytest.approx(1.0)
    assert list(relevance_model(index, feedback, fb_terms=2)) == ["inhibitor", "kinas"]


def test_relevance_model_never_expands_by_numbers_letters_or_filter_tokens() -> None:
    index = lexical()
    feedback = Hits(np.array([2]), np.array([1.0], np.float32))
    assert set(relevance_model(index, feedback, fb_terms=50)) == {"tumour", "growth", "mice"}
    assert relevance_model(index, Hits.empty(), fb_terms=5) == {}


def test_expand_mixes_the_query_with_the_model() -> None:
    index = lexical()
    feedback = Hits(np.array([1, 2]), np.array([3.0, 1.0], np.float32))
    query = LexQuery(text="kinase tumour", must=["cat:q-bio"], day_from=3)
    cfg = PrfConfig(fb_docs=2, fb_terms=3, weight=0.25)
    out = expand(index, query, feedback, cfg)
    model = relevance_model(index, feedback, fb_terms=3)
    assert list(model) == ["inhibitor", "kinas", "growth"]
    assert dict(out.weighted) == pytest.approx(
        {  # on the query's count scale: 2 terms, so the model's weights sum to 2 * 0.25
            "kinas": 0.75 + 0.25 * 2 * model["kinas"],
            "tumour": 0.75,  # a query term the model does not hold keeps its own share
            "inhibitor": 0.25 * 2 * model["inhibitor"],
            "growth": 0.25 * 2 * model["growth"],
        }
    )
    assert (out.text, out.must, out.day_from) == (query.text, query.must, query.day_from)
    only_first = expand(index, query, feedback, PrfConfig(fb_docs=1, fb_terms=3, weight=0.25))
    assert set(dict(only_first.weighted)) == {"kinas", "inhibitor", "tumour", "block"}
    assert only_first.weighted != out.weighted  # doc 2 no longer counts


@pytest.mark.parametrize("cfg", [PrfConfig(), PrfConfig(fb_docs=3, weight=0.0)])
def test_expand_off_returns_the_query_itself(cfg: PrfConfig) -> None:
    query = LexQuery(text="kinase")
    feedback = Hits(np.array([1]), np.array([1.0], np.float32))
    assert expand(lexical(), query, feedback, cfg) is query


def test_expand_of_words_the_index_lacks_is_unchanged() -> None:
    query = LexQuery(text="cosmology")
    feedback = Hits(np.array([1]), np.array([1.0], np.float32))
    assert expand(lexical(), query, feedback, PrfConfig(fb_docs=1)) is query


def test_weighted_query_scores_as_repeated_words() -> None:
    index = lexical()
    repeated = index.search(LexQuery(text="tumour tumour growth"), k=10)
    weighted = index.search(LexQuery(text="ignored", weighted=(("tumour", 2.0), ("growth", 1.0))))
    assert weighted.keys.tolist() == repeated.keys.tolist()
    np.testing.assert_allclose(weighted.scores, repeated.scores, rtol=1e-6)
    half = index.search(LexQuery(text="x", weighted=(("tumour", 1.0), ("growth", 0.5))), k=10)
    np.testing.assert_allclose(half.scores, repeated.scores / 2, rtol=1e-6)


def test_weighted_query_keeps_filters() -> None:
    hits = lexical().search(LexQuery(weighted=(("tumour", 1.0),), must_not=["suppressor"]), k=10)
    assert sorted(hits.keys.tolist()) == [1, 2]


def test_config_is_checked() -> None:
    with pytest.raises(ValueError, match="fb_docs >= 0"):
        PrfConfig(fb_docs=-1)
    with pytest.raises(ValueError, match="weight <= 1"):
        PrfConfig(fb_docs=5, weight=1.5)


def test_reranked_search_expands_the_lexical_query() -> None:
    """ "inhibitors" matches doc 1 only; feedback from it brings in "tumour" and "growth", so the
    expanded BM25 list also scores docs 2 and 4, which share no word with the query, and they
    rank next. The total is that of the user's query either way. Plain hybrid never expands."""
    docs = [*DOCS, Doc(5, "Unrelated", "rotation curves"), Doc(6, "Other", "surface codes")]

    def build(prf: PrfConfig) -> EmbeddedIndex:
        # MaxSim weighs 0: hash "token vectors" are noise, and the feedback is what is tested.
        fusion = FusionConfig(rerank_weights=(1.0, 1.0, 0.0), prf=prf)
        index = EmbeddedIndex(None, encoder=HashEncoder(), fusion=fusion)
        index.upsert(docs)
        index.embed(docs)
        return index

    query = Query(text="inhibitors")
    plain, with_prf = build(PrfConfig()), build(PrfConfig(fb_docs=1, fb_terms=4, weight=0.5))
    before = plain.search(query, k=10, mode="hybrid+rerank")
    after = with_prf.search(query, k=10, mode="hybrid+rerank")
    assert before.keys[0] == after.keys[0] == 1
    assert set(after.keys[1:3].tolist()) == {2, 4}
    assert set(before.keys[1:3].tolist()) != {2, 4}
    assert before.total == after.total
    hybrid = (index.search(query, k=10, mode="hybrid").pairs() for index in (plain, with_prf))
    assert next(hybrid) == next(hybrid)
