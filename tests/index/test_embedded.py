"""EmbeddedIndex on ten hand-made papers: exact BM25F rankings (checked against a reference
formula), the real default encoder's dense, hybrid and reranked rankings, filters in every
mode, date sorts, similar papers, files, upserts of changed texts, status, and the embedding
log that a killed embedding job leaves behind."""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from paperwire.index.analyze import Analyzer
from paperwire.index.backend import MODES, Mode, Query
from paperwire.index.base import Doc
from paperwire.index.embedded import EmbeddedIndex, FusionConfig
from paperwire.index.encoders import Encoder, HashEncoder, load_encoder

EPOCH = date(1970, 1, 1)


def day(iso: str) -> int:
    return (date.fromisoformat(iso) - EPOCH).days


# Ten topics; 1 & 9 (graph networks for molecules) and 7 & 10 (galaxies, dark matter) are pairs.
DOCS = [
    Doc(1, "Graph neural networks for molecules",
        "We predict molecular properties with message passing graph networks.",
        ["Alice Zhang", "Bob Smith"], ["cs.LG", "q-bio.BM"], day("2024-03-01"), True),
    Doc(2, "Protein folding with deep learning",
        "Structure prediction of proteins from amino acid sequences using attention.",
        ["Carol Jones"], ["q-bio.BM"], day("2024-05-10"), False),
    Doc(3, "Reinforcement learning for robot control",
        "Walking policies for legged robots are trained in simulation.",
        ["Dan Brown", "Alice Zhang"], ["cs.RO", "cs.LG"], day("2025-01-15"), True),
    Doc(4, "Quantum error correction with surface codes",
        "Decoding surface codes on noisy superconducting qubits.",
        ["Eve Davis"], ["quant-ph"], day("2023-07-20"), False),
    Doc(5, "Efficient attention for long documents",
        "A sparse transformer reads long sequences of text.",
        ["Frank Miller"], ["cs.CL"], day("2025-02-01"), True),
    Doc(6, "Bayesian optimisation of hyperparameters",
        "Gaussian processes guide the search over neural network hyperparameters.",
        ["Grace Lee"], ["stat.ML", "cs.LG"], day("2024-11-11"), False),
    Doc(7, "Galaxy rotation curves and dark matter",
        "We measure rotation curves of spiral galaxies.",
        ["Henry Wilson"], ["astro-ph.GA"], day("2022-09-09"), False),
    Doc(8, "Machine translation with transformers",
        "Neural machine translation of low resource languages with attention.",
        ["Ivy Chen", "Bob Smith"], ["cs.CL", "cs.LG"], day("2025-03-03"), True),
    Doc(9, "Molecular property prediction with message passing",
        "Graph networks learn chemistry from atoms and bonds.",
        ["Judy Park"], ["physics.chem-ph", "cs.LG"], day("2023-12-12"), True),
    Doc(10, "Spiral galaxies and their dark matter halos",
        "Simulations of galaxy formation in cold dark matter.",
        ["Karl Young"], ["astro-ph.CO"], day("2021-06-06"), False),
]  # fmt: skip
BY_DATE = [8, 5, 3, 6, 2, 1, 9, 4, 7, 10]  # newest listing day first
ALL = set(range(1, 11))


# --- a reference BM25F: what the lexical index must compute -----------------------------------


def reference_bm25(query: str, docs: list[Doc]) -> dict[int, float]:
    """Lucene BM25 over field-weighted counts (title 3, abstract 1, authors 1), k1 1.5, b 0.75,
    idf ln(1 + (N - df + 0.5) / (df + 0.5)): the index's documented defaults, written out."""
    an, k1, b = Analyzer(), 1.5, 0.75
    tf: dict[int, Counter[str]] = {}
    for d in docs:
        counts: Counter[str] = Counter()
        for text, weight in ((d.title, 3), (d.abstract, 1), (" ".join(d.authors), 1)):
            for term in an.analyze(text):
                counts[term] += weight
        tf[d.key] = counts
    dl = {k: sum(c.values()) for k, c in tf.items()}
    avgdl = sum(dl.values()) / len(docs)
    scores: dict[int, float] = {}
    for term, q_count in Counter(an.analyze(query)).items():
        df = sum(1 for c in tf.values() if term in c)
        idf = math.log(1 + (len(docs) - df + 0.5) / (df + 0.5))
        for key, counts in tf.items():
            if term in counts:
                t = counts[term]
                norm = k1 * (1 - b + b * dl[key] / avgdl)
                scores[key] = scores.get(key, 0.0) + q_count * idf * t / (t + norm)
    return scores


# --- fixtures ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def encoder() -> Encoder:
    return load_encoder(None)  # the real default: all-MiniLM-L6-v2, int8 ONNX


def build(
    encoder: Encoder | None, folder: Path | None = None, docs: list[Doc] = DOCS
) -> EmbeddedIndex:
    index = EmbeddedIndex(folder, encoder=encoder)
    index.upsert(docs)
    if encoder is not None:
        index.embed(docs)
    return index


@pytest.fixture(scope="module")
def index(encoder: Encoder) -> EmbeddedIndex:
    return build(encoder)


def keys(index: EmbeddedIndex, query: Query, mode: Mode, k: int = 10) -> list[int]:
    return index.search(query, k=k, mode=mode).keys.tolist()


# --- bm25 ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("attention", [5, 8, 2]),  # 5 has it in the title (x3); 8 and 2 once each, 8 is shorter
        ("dark matter", [10, 7]),  # 10 has both words in title and abstract, 7 in its title
        ("galaxies", [7, 10]),  # galaxy|galaxies x3 + x1 in both, equal lengths: a tie, by key
        ("graph networks", [1, 9, 6]),  # 1: both words, title and abstract; 6: 'network' once
        ("surface codes", [4]),
        ("zhang", [3, 1]),  # the authors field is text too; 3's document is shorter
        ("proteins folding", [2]),  # stemmed: protein|proteins, fold|folding
        ("cosmology", []),  # no word of it is in the corpus
    ],
)
def test_bm25_rankings_are_exact(text: str, expected: list[int]) -> None:
    index = build(None)
    hits = index.search(Query(text=text), k=10, mode="bm25")
    assert hits.keys.tolist() == expected
    assert hits.total == len(expected)
    ref = reference_bm25(text, DOCS)
    assert sorted(ref) == sorted(expected)
    assert hits.scores.tolist() == pytest.approx([ref[k] for k in expected], rel=1e-5)


def test_bm25_k_and_ties() -> None:
    index = build(None)
    galaxies = index.search(Query(text="galaxies"), k=10, mode="bm25")
    assert galaxies.scores[0] == galaxies.scores[1]
    top = index.search(Query(text="attention"), k=1, mode="bm25")
    assert top.keys.tolist() == [5] and top.total == 3  # total counts every match


# --- dense, hybrid, hybrid+rerank with the real encoder -----------------------------------------


@pytest.mark.model
@pytest.mark.parametrize("mode", ["dense", "hybrid", "hybrid+rerank"])
@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("surface codes", [4]),
        ("how do proteins fold", [2]),
        ("teaching robots to walk", [3]),
        ("translating languages", [8]),
        ("tuning hyperparameters", [6]),
        ("chemistry of atoms", [9]),
        ("qubits", [4]),
        ("dark matter", [10, 7]),
        ("graph networks", [1, 9]),
    ],
)
def test_model_modes_put_the_obvious_paper_first(
    index: EmbeddedIndex, mode: Mode, text: str, first: list[int]
) -> None:
    hits = index.search(Query(text=text), k=10, mode=mode)
    assert hits.keys.tolist()[: len(first)] == first
    assert sorted(hits.keys.tolist()) == sorted(ALL)  # the dense list reaches every paper
    assert np.all(np.diff(hits.scores) <= 0)


@pytest.mark.model
def test_dense_finds_what_no_word_matches(index: EmbeddedIndex) -> None:
    assert keys(index, Query(text="cosmology"), "bm25") == []
    assert set(keys(index, Query(text="cosmology"), "dense", k=2)) == {7, 10}


@pytest.mark.model
def test_model_rankings_are_deterministic(encoder: Encoder) -> None:
    a, b = build(encoder), build(encoder)
    for text in ["attention", "neural networks", "message passing", "learning"]:
        for mode in MODES:
            first = a.search(Query(text=text), k=10, mode=mode).pairs()
            assert first == b.search(Query(text=text), k=10, mode=mode).pairs()
            assert first == a.search(Query(text=text), k=10, mode=mode).pairs()  # cached query


@pytest.mark.model
def test_hybrid_uses_bm25_for_papers_not_embedded_yet(encoder: Encoder) -> None:
    default = EmbeddedIndex(None, encoder=encoder)
    default.upsert(DOCS)
    default.embed([d for d in DOCS if d.key != 4])
    for mode in ("hybrid", "hybrid+rerank"):  # default (score) fusion: BM25's only match ranks
        assert 4 in keys(default, Query(text="surface codes"), mode)[:2]
    rrf_config = FusionConfig("rrf", (1.0, 1.0), (1.0, 1.0, 1.0))
    index = EmbeddedIndex(None, encoder=encoder, fusion=rrf_config)
    index.upsert(DOCS)
    index.embed([d for d in DOCS if d.key != 4])
    assert 4 not in keys(index, Query(text="surface codes"), "dense")  # no vector: invisible
    for mode in ("hybrid", "hybrid+rerank"):  # 4 is BM25's only match: 1/61 from that list
        hits = index.search(Query(text="surface codes"), k=10, mode=mode)
        assert dict(hits.pairs())[4] == pytest.approx(1 / 61)
    # In hybrid, 4 ties with dense's first (2): by key.
    assert keys(index, Query(text="surface codes"), "hybrid")[:2] == [2, 4]
    nothing = EmbeddedIndex(None, encoder=encoder)
    nothing.upsert(DOCS)
    for mode in MODES:  # nothing embedded at all: every mode is BM25
        assert keys(nothing, Query(text="attention"), mode) == [5, 8, 2]


# --- filters apply in every mode ------------------------------------------------------------

FILTERS = [
    # (query constraints, the papers they allow, bm25's ranking of "attention" among them)
    (Query(must=["cat:cs.lg"]), {1, 3, 6, 8, 9}, [8]),
    (Query(must=["has:code", "author:smith"]), {1, 8}, [8]),
    (Query(any_of=[["cat:cs.cl", "cat:q-bio.bm"]]), {1, 2, 5, 8}, [5, 8, 2]),
    (Query(must_not=["transformer"]), ALL - {5, 8}, [2]),  # a word: stemmed, transformers too
    (Query(must_not=["cat:cs.cl", "author:jones"]), ALL - {2, 5, 8}, []),
    (Query(day_from=day("2025-01-01")), {3, 5, 8}, [5, 8]),
    (Query(day_from=day("2024-05-10"), day_to=day("2025-02-01")), {2, 3, 5, 6}, [5, 2]),
    (Query(phrases=["message passing"]), {1, 9}, []),
]


@pytest.mark.model
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("constraints", "allowed", "bm25"), FILTERS)
def test_filters_apply_in_every_mode(
    index: EmbeddedIndex, mode: Mode, constraints: Query, allowed: set[int], bm25: list[int]
) -> None:
    query = Query(
        text="attention",
        must=constraints.must,
        any_of=constraints.any_of,
        must_not=constraints.must_not,
        day_from=constraints.day_from,
        day_to=constraints.day_to,
        phrases=constraints.phrases,
    )
    if constraints.phrases:
        query = dataclasses.replace(query, text="message passing")  # phrase words are text
        bm25 = [9, 1]
    found = keys(index, query, mode)
    if mode == "bm25":
        assert found == bm25
    else:  # the dense list scores every allowed paper and nothing else
        assert set(found) == allowed


@pytest.mark.model
@pytest.mark.parametrize("mode", MODES)
def test_sort_by_date(index: EmbeddedIndex, mode: Mode) -> None:
    found = keys(index, Query(text="attention", sort="date"), mode)
    assert found == ([8, 5, 2] if mode == "bm25" else BY_DATE)
    assert keys(index, Query(text="attention", sort="date"), mode, k=2) == [8, 5]
    dated = Query(text="attention", sort="date", must=["cat:cs.lg"])
    assert keys(index, dated, mode) == ([8] if mode == "bm25" else [8, 3, 6, 1, 9])


@pytest.mark.model
@pytest.mark.parametrize("mode", MODES)
def test_empty_text_with_filters_lists_by_date(index: EmbeddedIndex, mode: Mode) -> None:
    assert keys(index, Query(must=["cat:cs.lg"]), mode) == [8, 3, 6, 1, 9]
    assert keys(index, Query(day_to=day("2023-12-31")), mode) == [9, 4, 7, 10]
    assert keys(index, Query(must=["has:code"], must_not=["author:zhang"]), mode, k=2) == [8, 5]
    hits = index.search(Query(must=["cat:cs.lg"]), k=2, mode=mode)
    assert hits.total == 5


# --- similar ---------------------------------------------------------------------------------


@pytest.mark.model
def test_similar_to_papers(index: EmbeddedIndex) -> None:
    assert keys_of(index.similar(keys=[1], k=3))[0] == 9
    assert keys_of(index.similar(keys=[9], k=3))[0] == 1
    assert keys_of(index.similar(keys=[7], k=3))[0] == 10
    assert keys_of(index.similar(keys=[4], k=9)) and 4 not in keys_of(index.similar(keys=[4], k=9))
    both = keys_of(index.similar(keys=[1, 9], k=10))
    assert sorted(both) == sorted(ALL - {1, 9})  # the given papers are left out, all others in
    within = index.similar(keys=[1], k=5, query=Query(must=["cat:q-bio.bm"]))
    assert keys_of(within) == [2]  # q-bio.BM holds 1 and 2, and 1 is the paper itself
    assert index.similar(keys=[1], k=3).pairs() == index.similar(keys=[1], k=3).pairs()


@pytest.mark.model
def test_similar_to_a_text(index: EmbeddedIndex) -> None:
    assert keys_of(index.similar(text="cold dark matter halos around galaxies", k=2)) == [10, 7]
    assert keys_of(index.similar(text="qubits", k=1)) == [4]
    # The text of paper 1 with paper 1 left out: its pair, 9, comes first.
    text = f"{DOCS[0].title}. {DOCS[0].abstract}"
    assert keys_of(index.similar(keys=[1], text=text, k=3))[0] == 9
    filtered = index.similar(text="dark matter", k=5, query=Query(must=["cat:astro-ph.ga"]))
    assert keys_of(filtered) == [7]


def keys_of(hits: object) -> list[int]:
    return hits.keys.tolist()  # type: ignore[attr-defined]


def test_similar_without_vectors_uses_the_text_alone() -> None:
    index = build(None)
    assert keys_of(index.similar(keys=[1], k=3)) == []  # no vectors, no text: nothing to go on
    assert keys_of(index.similar(text="surface codes on qubits", k=3)) == [4]


# --- files -----------------------------------------------------------------------------------


@pytest.mark.model
def test_save_then_open_gives_identical_results(encoder: Encoder, tmp_path: Path) -> None:
    folder = tmp_path / "index"
    saved = build(encoder, folder)
    saved.state.encoder = saved.encoder_name()
    saved.save()
    assert {p.name for p in folder.iterdir()} >= {"lexical", "dense", "tokens", "state.json"}
    opened = EmbeddedIndex.open(folder, encoder=encoder)
    queries = [
        Query(text="attention"),
        Query(text="dark matter", must_not=["author:young"]),
        Query(text="neural networks", sort="date"),
        Query(must=["cat:cs.lg"]),
    ]
    for query in queries:
        for mode in MODES:
            assert opened.search(query, k=10, mode=mode).pairs() == (
                saved.search(query, k=10, mode=mode).pairs()
            )
    assert opened.similar(keys=[1], k=5).pairs() == saved.similar(keys=[1], k=5).pairs()
    assert opened.status() == saved.status()
    assert opened.instance() == saved.instance() and opened.version() == saved.version()
    assert opened.needs_embedding(DOCS) == []


def test_open_of_an_empty_folder_is_an_empty_index(tmp_path: Path) -> None:
    index = EmbeddedIndex.open(tmp_path / "nothing", encoder=HashEncoder())
    assert index.status().papers_indexed == 0
    assert len(index.search(Query(text="attention"), k=10, mode="hybrid")) == 0


# --- writes ----------------------------------------------------------------------------------


def test_upsert_of_a_changed_text_drops_that_papers_vectors(tmp_path: Path) -> None:
    enc = HashEncoder()
    index = build(enc, tmp_path / "index")
    assert index.needs_embedding(DOCS) == []
    changed = Doc(3, DOCS[2].title, "Quadruped robots learn to climb stairs.", DOCS[2].authors)
    same = DOCS[0]
    index.upsert([changed, same])
    assert index.needs_embedding([*DOCS, changed]) == [DOCS[2], changed]  # old and new text of 3
    assert index.needs_embedding([same]) == []
    assert 3 not in keys(index, Query(text="robot control"), "dense")
    assert 3 in keys(index, Query(text="robot control"), "hybrid")  # still found through BM25
    assert index.status().papers_embedded == 9
    index.save()
    reopened = EmbeddedIndex.open(tmp_path / "index", encoder=enc)
    assert reopened.needs_embedding([changed, same]) == [changed]
    reopened.embed([changed])
    assert reopened.needs_embedding([changed]) == []
    assert reopened.status().papers_embedded == 10


def test_remove_forgets_text_and_vectors() -> None:
    index = build(HashEncoder())
    index.remove([4, 99])  # an unknown key is ignored
    for mode in MODES:
        assert 4 not in keys(index, Query(text="surface codes qubits"), mode)
    status = index.status().as_dict()
    assert (status["papers_indexed"], status["papers_embedded"], status["token_vectors"]) == (
        9,
        9,
        9,
    )
    assert index.needs_embedding([DOCS[3]]) == [DOCS[3]]


def test_status_counts(tmp_path: Path) -> None:
    enc = HashEncoder()
    index = EmbeddedIndex(tmp_path / "index", encoder=enc)
    index.upsert(DOCS)
    status = index.status().as_dict()
    assert status["papers_indexed"] == 10
    assert (status["papers_embedded"], status["embedded_fraction"], status["encoder"]) == (
        0,
        0.0,
        None,
    )
    index.embed(DOCS[:4])
    status = index.status().as_dict()
    assert status["papers_embedded"] == 4 and status["token_vectors"] == 4
    assert status["embedded_fraction"] == 0.4
    assert status["encoder"] == enc.name == "hash-32"
    assert status["pending_log_chunks"] == 1
    assert status["lexical"]["docs"] == 10
    assert status["fusion"]["method"] == "score"
    index.fold()
    assert index.status().details["pending_log_chunks"] == 0


# --- the embedding log: a killed embedding job keeps its finished batches ---------------------


def test_embed_log_is_replayed_after_a_crash_and_cleared_by_fold(tmp_path: Path) -> None:
    enc = HashEncoder()
    folder = tmp_path / "index"
    index = EmbeddedIndex(folder, encoder=enc)
    index.upsert(DOCS)
    index.save()  # what `index update` leaves before `index embed` starts
    index.embed(DOCS[:5])
    index.embed(DOCS[5:])
    chunks = sorted(p.name for p in (folder / "embedlog").iterdir())
    assert chunks == ["chunk-00000000.npz", "chunk-00000001.npz"]
    assert not (folder / "dense").exists()  # nothing folded: a kill here loses nothing
    expected = {m: index.search(Query(text="attention"), k=10, mode=m).keys.tolist() for m in MODES}
    del index  # the crash: no fold(), no save()

    reopened = EmbeddedIndex.open(folder, encoder=enc)
    assert reopened.needs_embedding(DOCS) == []
    status = reopened.status().as_dict()
    assert (status["papers_embedded"], status["token_vectors"], status["pending_log_chunks"]) == (
        10,
        10,
        2,
    )
    for mode, ranking in expected.items():
        assert reopened.search(Query(text="attention"), k=10, mode=mode).keys.tolist() == ranking

    reopened.fold()
    assert [p.name for p in (folder / "embedlog").iterdir()] == []
    assert reopened.status().details["pending_log_chunks"] == 0
    again = EmbeddedIndex.open(folder, encoder=enc)
    assert again.needs_embedding(DOCS) == [] and again.status().papers_embedded == 10
    assert again.status().details["pending_log_chunks"] == 0
    for mode, ranking in expected.items():
        assert again.search(Query(text="attention"), k=10, mode=mode).keys.tolist() == ranking


def test_embed_after_a_replay_appends_new_chunks(tmp_path: Path) -> None:
    enc = HashEncoder()
    folder = tmp_path / "index"
    first = EmbeddedIndex(folder, encoder=enc)
    first.upsert(DOCS)
    first.save()
    first.embed(DOCS[:3])
    resumed = EmbeddedIndex.open(folder, encoder=enc)  # the re-run after a kill
    todo = resumed.needs_embedding(DOCS)
    assert [d.key for d in todo] == list(range(4, 11))
    resumed.embed(todo)
    assert sorted(p.name for p in (folder / "embedlog").iterdir()) == [
        "chunk-00000000.npz",
        "chunk-00000001.npz",
    ]
    resumed.fold()
    assert EmbeddedIndex.open(folder, encoder=enc).status().papers_embedded == 10
    assert not list((folder / "embedlog").iterdir())


@pytest.mark.model
def test_replayed_vectors_equal_the_uninterrupted_ones(encoder: Encoder, tmp_path: Path) -> None:
    straight = build(encoder, tmp_path / "straight")
    straight.fold()
    crashed = EmbeddedIndex(tmp_path / "crashed", encoder=encoder)
    crashed.upsert(DOCS)
    crashed.save()
    crashed.embed(DOCS)  # the same batch as `straight`'s, then a crash
    EmbeddedIndex.open(tmp_path / "crashed", encoder=encoder).fold()
    a = EmbeddedIndex.open(tmp_path / "straight", encoder=encoder)
    b = EmbeddedIndex.open(tmp_path / "crashed", encoder=encoder)
    every = np.arange(1, 11)
    assert a.tokens is not None and b.tokens is not None
    bits_a, bits_b = a.tokens._gather(np.arange(10))[0], b.tokens._gather(np.arange(10))[0]
    assert np.array_equal(bits_a, bits_b), "token sign bits differ"
    np.testing.assert_array_equal(a.dense.vectors(every)[1], b.dense.vectors(every)[1])  # type: ignore[union-attr]
