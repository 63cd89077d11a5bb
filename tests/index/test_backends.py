"""The same search, filter, date-sort, similar and hybrid tests against both index backends:
the embedded one and Milvus (a real `milvus-lite server` on loopback, tests/support/milvus.py),
on the ten hand-made papers of test_embedded.py. Milvus must give the embedded rankings."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from paperwire.index.backend import MODES, IndexBackend, Mode, Query
from paperwire.index.base import Doc
from paperwire.index.embedded import EmbeddedIndex
from paperwire.index.encoders import Encoder, HashEncoder, load_encoder
from paperwire.index.location import parse_index
from paperwire.index.milvus.client import Connection, MilvusUnavailable
from paperwire.index.milvus.index import MilvusIndex
from paperwire.index.milvus.tokens import MemoryTokens, StoreTokens
from paperwire.store import open_store
from tests.index.test_embedded import ALL, BY_DATE, DOCS, FILTERS, day, reference_bm25
from tests.support.milvus import MilvusServer, free_port

BACKENDS = ["embedded", pytest.param("milvus", marks=pytest.mark.milvus)]


def make(kind: str, encoder: Encoder, request: pytest.FixtureRequest) -> IndexBackend:
    if kind == "embedded":
        return EmbeddedIndex(None, encoder=encoder)
    server: MilvusServer = request.getfixturevalue("milvus_server")
    conn = Connection(parse_index(server.url()))
    return MilvusIndex(conn, encoder=encoder, tokens=MemoryTokens(encoder.dim)).ensure()


def build(
    kind: str, encoder: Encoder, request: pytest.FixtureRequest, *, embed: bool = True
) -> Any:
    index: Any = make(kind, encoder, request)
    index.upsert(DOCS)
    if embed:
        index.embed(DOCS)
    return index


@pytest.fixture(scope="module")
def encoder() -> Encoder:
    return load_encoder(None)  # the real default: all-MiniLM-L6-v2, int8 ONNX


@pytest.fixture(scope="module", params=BACKENDS)
def index(request: pytest.FixtureRequest, encoder: Encoder) -> Iterator[Any]:
    built = build(request.param, encoder, request)
    yield built
    if isinstance(built, MilvusIndex):
        built.drop()


@pytest.fixture(scope="module", params=BACKENDS)
def lexical_only(request: pytest.FixtureRequest) -> Iterator[Any]:
    """Both backends without vectors (no model needed: a hash encoder sizes the collection)."""
    built = build(request.param, HashEncoder(16), request, embed=False)
    yield built
    if isinstance(built, MilvusIndex):
        built.drop()


def keys(index: IndexBackend, query: Query, mode: Mode, k: int = 10) -> list[int]:
    return index.search(query, k=k, mode=mode).keys.tolist()


# --- bm25: the same ranking, scores proportional to the reference formula -----------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("attention", [5, 8, 2]),
        ("dark matter", [10, 7]),
        ("galaxies", [7, 10]),
        ("graph networks", [1, 9, 6]),
        ("zhang", [3, 1]),
        ("proteins folding", [2]),
        ("cosmology", []),
    ],
)
def test_bm25_rankings_match_the_reference(
    lexical_only: Any, text: str, expected: list[int]
) -> None:
    hits = lexical_only.search(Query(text=text), k=10, mode="bm25")
    assert hits.keys.tolist() == expected
    assert hits.total == len(expected)
    if expected:  # Milvus scales BM25 by (k1 + 1): the ratios to the reference are one number
        ref = reference_bm25(text, DOCS)
        ratio = hits.scores / np.array([ref[k] for k in expected])
        assert ratio == pytest.approx(np.full(len(ratio), ratio[0]), rel=1e-4)


def test_bm25_total_counts_every_match(lexical_only: Any) -> None:
    top = lexical_only.search(Query(text="attention"), k=1, mode="bm25")
    assert top.keys.tolist() == [5] and top.total == 3


def test_without_vectors_every_mode_is_bm25(lexical_only: Any) -> None:
    for mode in MODES:
        assert keys(lexical_only, Query(text="attention"), mode) == [5, 8, 2]


# --- model modes -----------------------------------------------------------------------------


@pytest.mark.model
@pytest.mark.parametrize("mode", ["dense", "hybrid", "hybrid+rerank"])
@pytest.mark.parametrize(
    ("text", "first"),
    [("surface codes", [4]), ("how do proteins fold", [2]), ("dark matter", [10, 7])],
)
def test_model_modes_put_the_obvious_paper_first(
    index: Any, mode: Mode, text: str, first: list[int]
) -> None:
    hits = index.search(Query(text=text), k=10, mode=mode)
    assert hits.keys.tolist()[: len(first)] == first
    assert sorted(hits.keys.tolist()) == sorted(ALL)
    assert np.all(np.diff(hits.scores) <= 0)


@pytest.mark.model
@pytest.mark.milvus
def test_milvus_ranks_as_embedded_in_every_mode(
    encoder: Encoder, request: pytest.FixtureRequest
) -> None:
    embedded = build("embedded", encoder, request)
    milvus = build("milvus", encoder, request)
    try:
        for text in ["attention", "graph networks", "neural networks", "dark matter halos"]:
            for mode in MODES:
                want = embedded.search(Query(text=text), k=10, mode=mode)
                got = milvus.search(Query(text=text), k=10, mode=mode)
                assert got.keys.tolist() == want.keys.tolist(), (text, mode)
                if mode != "bm25":  # z-scored fusion: BM25's scale does not matter
                    assert got.scores == pytest.approx(want.scores, abs=1e-2)  # f16 vs f32 dots
    finally:
        milvus.drop()


# --- filters, dates, similar ------------------------------------------------------------------


@pytest.mark.model
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("constraints", "allowed", "bm25"), FILTERS)
def test_filters_apply_in_every_mode(
    index: Any, mode: Mode, constraints: Query, allowed: set[int], bm25: list[int]
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
    else:
        assert set(found) == allowed


@pytest.mark.model
@pytest.mark.parametrize("mode", MODES)
def test_sort_by_date(index: Any, mode: Mode) -> None:
    found = keys(index, Query(text="attention", sort="date"), mode)
    assert found == ([8, 5, 2] if mode == "bm25" else BY_DATE)
    assert keys(index, Query(text="attention", sort="date"), mode, k=2) == [8, 5]
    dated = Query(text="attention", sort="date", must=["cat:cs.lg"])
    assert keys(index, dated, mode) == ([8] if mode == "bm25" else [8, 3, 6, 1, 9])


@pytest.mark.model
def test_empty_text_with_filters_lists_by_date(index: Any) -> None:
    assert keys(index, Query(must=["cat:cs.lg"]), "hybrid") == [8, 3, 6, 1, 9]
    assert keys(index, Query(day_to=day("2023-12-31")), "bm25") == [9, 4, 7, 10]
    assert keys(index, Query(must=["has:code"], must_not=["author:zhang"]), "bm25", k=2) == [8, 5]
    assert index.search(Query(must=["cat:cs.lg"]), k=2, mode="bm25").total == 5
    assert keys(index, Query(), "bm25", k=3) == BY_DATE[:3]  # nothing asked: newest first


@pytest.mark.model
def test_similar_to_papers_and_texts(index: Any) -> None:
    assert index.similar(keys=[1], k=3).keys.tolist()[0] == 9
    assert index.similar(keys=[7], k=3).keys.tolist()[0] == 10
    both = index.similar(keys=[1, 9], k=10).keys.tolist()
    assert sorted(both) == sorted(ALL - {1, 9})
    within = index.similar(keys=[1], k=5, query=Query(must=["cat:q-bio.bm"]))
    assert within.keys.tolist() == [2]
    text = index.similar(text="cold dark matter halos around galaxies", k=2)
    assert text.keys.tolist() == [10, 7]


# --- writes ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", BACKENDS)
def test_changed_text_drops_the_vector_and_remove_forgets(
    kind: str, request: pytest.FixtureRequest
) -> None:
    index: Any = build(kind, HashEncoder(16), request)
    try:
        assert index.needs_embedding(DOCS) == []
        changed = Doc(4, "Quantum error correction with colour codes", "Colour codes decoded.")
        index.upsert([changed])
        assert [d.key for d in index.needs_embedding([*DOCS[:3], changed])] == [4]
        assert keys(index, Query(text="colour"), "bm25") == [4]
        assert 4 not in keys(index, Query(text="colour codes"), "dense")  # no vector now
        index.remove([4, 5])
        assert keys(index, Query(text="colour"), "bm25") == []
        assert index.status().papers_indexed == 8
    finally:
        if isinstance(index, MilvusIndex):
            index.drop()


# --- Milvus only: token bits in the store, an unreachable server --------------------------------


def test_store_tokens_score_as_memory_tokens(tmp_path: Path) -> None:
    store = open_store(url=f"sqlite:///{tmp_path / 'p.db'}")
    enc = HashEncoder(16)
    tokens = enc.encode_tokens([d.text() for d in DOCS], kind="doc")
    keys_ = np.array([d.key for d in DOCS], np.int64)
    memory, shared = MemoryTokens(16), StoreTokens(store, 16)
    for source in (memory, shared):
        source.add(keys_, keys_ * 7, tokens)
    q = enc.encode_tokens(["graph networks"], kind="query")[0]
    probe = np.array([3, 1, 9999, 9], np.int64)
    assert shared.maxsim(q, probe).tolist() == memory.maxsim(q, probe).tolist()
    assert np.isfinite(shared.maxsim(q, probe)[[0, 1, 3]]).all()
    sims = shared.token_sims(q, [3, 1, 9999], [21, 0, 0])  # key 1's hash is 7: another text
    assert sims[0] is not None and sims[0].shape == (len(tokens[2]), len(q))
    assert sims[1] is None and sims[2] is None
    assert len(shared) == 10
    shared.remove([1])
    assert shared.maxsim(q, probe)[1] == -np.inf
    assert len(shared) == 9
    store.close()


def test_an_unreachable_server_is_one_clear_error() -> None:
    conn = Connection(parse_index(f"milvus://127.0.0.1:{free_port()}/x"), backoff=0.01)
    index = MilvusIndex(conn, encoder=HashEncoder(16))
    with pytest.raises(MilvusUnavailable) as caught:
        index.ensure()
    message = str(caught.value)
    assert "did not answer" in message and "paperwire index build" in message
    assert "\n" not in message


def test_cli_against_a_server_that_is_down_says_so(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.support.clirun import run_main

    monkeypatch.setenv("PAPERWIRE_INDEX", f"milvus://127.0.0.1:{free_port()}/papers")
    code, out, err = run_main(capsys, "--home", str(tmp_path), "index", "build")
    assert code == 1
    assert "did not answer" in err and "paperwire index build" in err
    assert "Traceback" not in err + out


# --- what recommendations, Ask, status and readers' reloads read ------------------------------


@pytest.mark.parametrize("kind", BACKENDS)
def test_boundary_reads_agree_with_the_embedded_index(
    kind: str, request: pytest.FixtureRequest
) -> None:
    enc = HashEncoder(16)
    embedded: Any = build("embedded", enc, request)
    index: Any = build(kind, enc, request)
    try:
        probe = np.array([3, 99, 1], np.int64)
        found, vecs = index.vectors(probe)
        want_found, want_vecs = embedded.vectors(probe)
        assert found.tolist() == want_found.tolist() == [True, False, True]
        np.testing.assert_allclose(vecs, want_vecs, atol=1e-2)  # embedded keeps int8 codes
        assert index.embedded_keys().tolist() == sorted(ALL)
        assert index.days(probe).tolist() == embedded.days(probe).tolist()
        terms = ["attent", "graph", "nosuchterm"]
        assert index.doc_freqs(terms).tolist() == embedded.doc_freqs(terms).tolist()
        w = vecs[0]
        assert index.by_vector(w, 3).keys.tolist() == embedded.by_vector(w, 3).keys.tolist()
        allow = np.array([2, 5, 7], np.int64)
        got = index.by_vector(w, 2, allow=allow).keys.tolist()
        assert got == embedded.by_vector(w, 2, allow=allow).keys.tolist()
        from paperwire.index.embedlog import text_hash

        q = index.query_tokens("graph networks")
        hashes = [text_hash(DOCS[0].text()), 0]
        sims = index.token_sims(q, [1, 2], hashes)
        want = embedded.token_sims(q, [1, 2], hashes)
        assert sims[1] is None and want[1] is None
        np.testing.assert_allclose(sims[0], want[0], atol=1e-5)
        status = index.status()
        assert (status.papers_indexed, status.papers_embedded) == (10, 10)
        assert status.token_vectors == 10 and status.embedded_fraction == 1.0
    finally:
        if isinstance(index, MilvusIndex):
            index.drop()


def test_none_of_excludes_in_every_mode(lexical_only: Any) -> None:
    query = Query(text="attention", none_of=("cat:cs.cl",))
    for mode in MODES:
        assert keys(lexical_only, query, mode) == [2]


@pytest.mark.milvus
def test_milvus_version_moves_on_save_and_instance_stays(milvus_server: MilvusServer) -> None:
    url = milvus_server.url()
    writer = MilvusIndex(Connection(parse_index(url)), encoder=HashEncoder(16)).ensure()
    reader = MilvusIndex(Connection(parse_index(url)), encoder=HashEncoder(16)).ensure()
    try:
        assert writer.name == parse_index(url).name == url
        assert reader.instance() == writer.instance()
        before = reader.version()
        writer.upsert(DOCS[:2])
        writer.save()
        assert reader.version() != before
        assert keys(reader, Query(text="graph"), "bm25") == [1]
        writer.drop()
        again = MilvusIndex(Connection(parse_index(url)), encoder=HashEncoder(16)).ensure()
        assert again.instance() != writer.instance()  # a new collection: applied anew
    finally:
        writer.drop()


def test_a_weighted_query_ranks_as_the_embedded_one(
    lexical_only: Any, request: pytest.FixtureRequest
) -> None:
    """RM3's expanded query (`Query.weighted`, analysed terms): Milvus repeats each term by
    its weight in one BM25 search, the lexical index weighs it; the rankings agree."""
    embedded = build("embedded", HashEncoder(16), request, embed=False)
    for weighted in ({"attent": 2.0, "graph": 1.0}, {"attent": 0.05, "graph": 1.0, "network": 0.3}):
        query = Query(text="ignored", weighted=weighted)
        want = embedded.search(query, k=10, mode="bm25")
        got = lexical_only.search(query, k=10, mode="bm25")
        assert got.keys.tolist() == want.keys.tolist()
        ratio = got.scores / want.scores  # Milvus scales BM25 by (k1 + 1)
        assert ratio == pytest.approx(np.full(len(ratio), ratio[0]), rel=0.02)
