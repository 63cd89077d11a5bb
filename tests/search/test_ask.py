"""Ask on a real SQLite store: sentences, token offsets that line up with the stored token
vectors, the evidence chosen (with the real MiniLM encoder, and lexical only), citations,
highlighting, filters, "no good evidence", and the errors users get."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from paperwire.errors import BadQuery
from paperwire.index.embedded import EmbeddedIndex
from paperwire.index.encoders import Encoder, HashEncoder, load_encoder
from paperwire.index.manager import embed_index, update_index
from paperwire.records import PaperRecord, Version
from paperwire.search.ask import ask
from paperwire.search.sentences import split_sentences
from paperwire.store import Store, open_store
from paperwire.store.papers import upsert_records
from tests.support.paperfactory import paper_record


def paper(n: int, title: str, abstract: str, cats: list[str]) -> PaperRecord:
    return paper_record(
        title=title,
        abstract=abstract,
        authors=[f"Author {n}"],
        categories=cats,
        arxiv_id=f"2502.{n:05d}",
        versions=[Version(1)],
        announced=date(2025, 2, n),
        source="test",
    )


KV_SENTENCE = (
    "We quantise the key-value cache to two bits per value after training, which cuts its "
    "memory by a factor of eight without any retraining."
)
PAPERS = [
    paper(1, "Serving large language models efficiently",
          "Large language models are expensive to serve. " + KV_SENTENCE +
          " Perplexity rises by less than one percent on standard benchmarks.", ["cs.CL"]),
    paper(2, "Sparse attention for long documents",
          "Long documents strain attention. We propose a sparse pattern learned during "
          "pre-training. It needs a full retraining of the model.", ["cs.CL", "cs.LG"]),
    paper(3, "Galaxy rotation curves",
          "We measure rotation curves of spiral galaxies. Dark matter halos explain the flat "
          "curves, e.g. in the outer disk.", ["astro-ph.GA"]),
    paper(4, "Robust <b>attention</b> & friends",
          "Attention <script>alert(1)</script> memory of the cache is <i>small</i>. The key "
          "value cache holds keys and values.", ["cs.LG"]),
    paper(5, "Protein folding with transformers",
          "Structure prediction of proteins from amino acid sequences uses attention. The "
          "model is trained on crystal structures.", ["q-bio.BM"]),
]  # fmt: skip
QUESTION = "which methods reduce the memory of the key-value cache without retraining?"


@pytest.fixture(scope="module")
def encoder() -> Encoder:
    return load_encoder(None)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(url=f"sqlite:///{tmp_path}/db")
    upsert_records(opened, PAPERS)
    yield opened
    opened.close()


@pytest.fixture
def lexical(store: Store, tmp_path: Path) -> EmbeddedIndex:
    opened = EmbeddedIndex.open(tmp_path / "index")
    update_index(store, opened)
    return opened


@pytest.fixture
def embedded(store: Store, tmp_path: Path, encoder: Encoder) -> EmbeddedIndex:
    opened = EmbeddedIndex.open(tmp_path / "index", encoder=encoder)
    update_index(store, opened)
    assert embed_index(store, opened, batch_size=4)["embedded"] == len(PAPERS)
    return opened


# --- sentences and token offsets -----------------------------------------------------------


def test_sentences_keep_abbreviations_initials_and_formulas_whole() -> None:
    text = (
        "We follow Smith et al. and J. Doe closely. The loss is $a. B$ in total, "
        "see Fig. 3. Results. It improves accuracy by 2.5 points!"
    )
    parts = split_sentences(text)
    assert [s.text for s in parts] == [
        "We follow Smith et al. and J. Doe closely.",
        "The loss is $a. B$ in total, see Fig. 3.",
        "Results. It improves accuracy by 2.5 points!",  # "Results." is too short alone
    ]
    assert all(text[s.start : s.end] == s.text for s in parts)
    assert split_sentences("") == [] and split_sentences("   ") == []
    assert [s.text for s in split_sentences("Short.")] == ["Short."]


@pytest.mark.parametrize("kind", ["doc", "query"])
def test_token_offsets_line_up_with_token_vectors(encoder: Encoder, kind: str) -> None:
    texts = [
        "Title. " + KV_SENTENCE,
        "Punctuation only: (, ; .) and math $x^2$ here!",
        " ".join(["word"] * 400),  # truncated at 256 wordpieces
    ]
    tokens = encoder.encode_tokens(texts, kind=kind)  # type: ignore[arg-type]
    offsets = encoder.token_offsets(texts, kind=kind)  # type: ignore[attr-defined]
    assert [len(o) for o in offsets] == [len(t) for t in tokens]
    first = [texts[0][a:b].lower() for a, b in offsets[0]]
    # Documents drop punctuation wordpieces (as their stored vectors do), queries keep them.
    assert first[:2] == (["title", "we"] if kind == "doc" else ["title", "."])
    hashed = HashEncoder(8)
    assert [len(o) for o in hashed.token_offsets(texts, kind="doc")] == [
        len(t) for t in hashed.encode_tokens(texts, kind="doc")
    ]


# --- answers -------------------------------------------------------------------------------


def test_ask_quotes_the_sentence_that_answers(store: Store, embedded: EmbeddedIndex) -> None:
    result = ask(store, embedded, QUESTION)
    assert result["found"] and result["scoring"] == "maxsim+lexical"
    top = result["evidence"][0]
    assert top == result["papers"][0]["evidence"][0]
    assert (top["eid"], top["paper_id"], top["sentence"], top["position"]) == (
        "E1",
        "2502.00001",
        KV_SENTENCE,
        1,
    )
    assert "<mark>memory</mark>" in top["sentence_html"]
    assert "<mark>retraining</mark>" in top["sentence_html"]
    assert "<mark>which</mark>" not in top["sentence_html"]  # a question word counts for nothing
    assert [e["eid"] for e in result["evidence"]] == [
        f"E{n}" for n in range(1, len(result["evidence"]) + 1)
    ]
    assert all(len(p["evidence"]) <= 2 for p in result["papers"])
    ranks = [e["score"] for e in result["evidence"]]
    assert ranks == sorted(ranks, reverse=True)
    assert 0 < result["confidence"] <= 1 and result["confidence_label"] in {"high", "medium", "low"}
    assert result["papers"][0]["title"] == "Serving large language models efficiently"


def test_ask_without_token_vectors_scores_words(store: Store, lexical: EmbeddedIndex) -> None:
    result = ask(store, lexical, QUESTION, mode="bm25")
    assert result["found"] and result["scoring"] == "lexical"
    assert result["evidence"][0]["sentence"] == KV_SENTENCE
    assert all(e["maxsim"] == 0 for e in result["evidence"])


def test_stale_token_vectors_are_not_used(store: Store, embedded: EmbeddedIndex) -> None:
    """A paper whose text changed since it was embedded: its old token vectors would point at
    the wrong words, so the sentence scores fall back to words for it."""
    edited = PAPERS[0]
    edited.abstract = "Completely new text. " + KV_SENTENCE
    upsert_records(store, [edited])
    update_index(store, embedded)  # drops the stale vectors (not re-embedded)
    result = ask(store, embedded, QUESTION)
    assert result["evidence"][0]["paper_id"] == "2502.00001"
    assert result["evidence"][0]["sentence"] == KV_SENTENCE


def test_hostile_text_is_escaped(store: Store, lexical: EmbeddedIndex) -> None:
    result = ask(store, lexical, "attention memory of the cache", mode="bm25")
    html = " ".join(e["sentence_html"] for e in result["evidence"])
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<i>" not in html


def test_filters_narrow_the_papers(store: Store, embedded: EmbeddedIndex) -> None:
    result = ask(store, embedded, QUESTION + " cat:cs.LG")
    assert {p["id"] for p in result["papers"]} <= {"2502.00002", "2502.00004"}
    assert result["found"]


def test_no_good_evidence(store: Store, embedded: EmbeddedIndex, lexical: EmbeddedIndex) -> None:
    for index, mode in ((embedded, "hybrid+rerank"), (lexical, "bm25")):
        result = ask(store, index, "sourdough bread recipes for beginners", mode=mode)
        assert not result["found"], result
        assert result["evidence"] == [] and result["papers"] == []
        assert result["note"].startswith("No good evidence found")
        assert result["confidence_label"] == "none"


@pytest.mark.parametrize(
    ("question", "message"),
    [("", "ask a question"), ("  ", "ask a question"), ("cat:cs.CL", "in words"),
     ("x" * 1001, "at most 1,000"), ('"unclosed', "quote")],
)  # fmt: skip
def test_bad_questions(store: Store, lexical: EmbeddedIndex, question: str, message: str) -> None:
    with pytest.raises(BadQuery, match=message):
        ask(store, lexical, question, mode="bm25")


def test_doc_bits_match_the_stored_tokens(embedded: EmbeddedIndex) -> None:
    tokens = embedded.tokens
    assert tokens is not None
    keys = np.array([1, 999, 2])
    bits, lens = tokens.doc_bits(keys)
    assert lens[1] == 0 and lens[0] > 0 and len(bits) == lens.sum()
    assert list(lens) == list(tokens.token_counts(keys))
