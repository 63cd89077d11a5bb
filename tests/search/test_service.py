"""The search service on a real SQLite store: hydrated, highlighted pages of results, the query
syntax's filters, errors users get, similar papers, and incremental index updates."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from paperwire.errors import BadQuery, NotFound
from paperwire.index.embedded import EmbeddedIndex
from paperwire.index.encoders import Encoder, load_encoder
from paperwire.index.manager import embed_index, index_status, update_index
from paperwire.records import PaperRecord, Version
from paperwire.search.service import search, similar
from paperwire.store import Store, open_store
from paperwire.store.papers import upsert_records
from tests.support.paperfactory import paper_record

GH = "https://github.com/example/{}"


def paper(n: int, title: str, abstract: str, authors: list[str], cats: list[str], day: str,
          code: bool = False) -> PaperRecord:  # fmt: skip
    return paper_record(
        title=title,
        abstract=abstract,
        authors=authors,
        categories=cats,
        arxiv_id=f"2501.{n:05d}",
        versions=[Version(1)],
        announced=date.fromisoformat(day),
        links=[GH.format(n)] if code else [],
        source="test",
    )


PAPERS = [
    paper(1, "Graph neural networks for molecules",
          "We predict molecular properties with message passing graph networks.",
          ["Alice Zhang", "Bob Smith"], ["cs.LG", "q-bio.BM"], "2024-03-01", code=True),
    paper(2, "Protein folding with deep learning",
          "Structure prediction of proteins from amino acid sequences using attention.",
          ["Carol Jones"], ["q-bio.BM"], "2024-05-10"),
    paper(3, "Reinforcement learning for robot control",
          "Walking policies for legged robots are trained in simulation.",
          ["Dan Brown", "Alice Zhang"], ["cs.RO", "cs.LG"], "2025-01-15", code=True),
    paper(4, "Quantum error correction with surface codes",
          "Decoding surface codes on noisy superconducting qubits.",
          ["Eve Davis"], ["quant-ph"], "2023-07-20"),
    paper(5, "Efficient attention for long documents",
          "A sparse <transformer> reads long sequences of text & tables.",
          ["Frank Miller"], ["cs.CL"], "2025-02-01", code=True),
    paper(6, "Bayesian optimisation of hyperparameters",
          "Gaussian processes guide the search over neural network hyperparameters.",
          ["Grace Lee"], ["stat.ML", "cs.LG"], "2024-11-11"),
    paper(7, "Galaxy rotation curves and dark matter",
          "We measure rotation curves of spiral galaxies.",
          ["Henry Wilson"], ["astro-ph.GA"], "2022-09-09"),
    paper(8, "Machine translation with transformers",
          "Neural machine translation of low resource languages with attention.",
          ["Ivy Chen", "Bob Smith"], ["cs.CL", "cs.LG"], "2025-03-03", code=True),
    paper(9, "Molecular property prediction with message passing",
          "Graph networks learn chemistry from atoms and bonds.",
          ["Judy Park"], ["physics.chem-ph", "cs.LG"], "2023-12-12", code=True),
    paper(10, "Spiral galaxies and their dark matter halos",
          "Simulations of galaxy formation in cold dark matter.",
          ["Karl Young"], ["astro-ph.CO"], "2021-06-06"),
]  # fmt: skip


def ids(*numbers: int) -> list[str]:
    return [f"2501.{n:05d}" for n in numbers]


def found(rows: list[dict]) -> list[str]:
    return [r["id"] for r in rows]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(url=f"sqlite:///{tmp_path}/db")
    upsert_records(opened, PAPERS[:9])
    upsert_records(opened, PAPERS[9:])  # a second batch: a later `modified`
    yield opened
    opened.close()


@pytest.fixture
def index(store: Store, tmp_path: Path) -> EmbeddedIndex:
    opened = EmbeddedIndex.open(tmp_path / "index")
    assert update_index(store, opened)["papers_read"] == 10
    return opened


@pytest.fixture(scope="module")
def encoder() -> Encoder:
    return load_encoder(None)


@pytest.fixture
def embedded(store: Store, tmp_path: Path, encoder: Encoder) -> EmbeddedIndex:
    opened = EmbeddedIndex.open(tmp_path / "index", encoder=encoder)
    update_index(store, opened)
    assert embed_index(store, opened, batch_size=4)["embedded"] == 10
    return opened


# --- search ----------------------------------------------------------------------------------


def test_search_returns_hydrated_rows_in_order(store: Store, index: EmbeddedIndex) -> None:
    result = search(store, index, "attention", mode="bm25")
    # 5 has the word in its title (weighted x3); 8 and 2 once in the abstract, 8 is shorter.
    assert found(result.hits) == ids(5, 8, 2)
    assert result.total == 3
    assert result.took_ms > 0
    assert (result.page, result.per_page, result.mode) == (1, 10, "bm25")
    first = result.hits[0]
    assert first["title"] == "Efficient attention for long documents"
    assert first["authors"] == ["Frank Miller"] and first["categories"] == ["cs.CL"]
    assert first["announced"] == date(2025, 2, 1)
    assert first["code_links"] == [GH.format(5)]
    assert "pk" not in first and "title_key" not in first
    scores = [r["score"] for r in result.hits]
    assert scores == sorted(scores, reverse=True) and scores[-1] > 0
    assert result.hits[1]["snippet_html"] == (
        "Neural machine translation of low resource languages with <mark>attention</mark>."
    )
    data = result.as_dict()
    assert list(data) == ["query", "mode", "page", "per_page", "total", "took_ms", "sort", "hits"]
    assert (data["query"], data["sort"]) == ("attention", "relevance")


def test_snippets_are_escaped_and_marked(store: Store, index: EmbeddedIndex) -> None:
    (hit,) = search(store, index, "transformer tables", mode="bm25", per_page=1).hits
    assert hit["id"] == "2501.00005"
    # The stemmed query words match 'transformer' and 'tables'; '<', '>' and '&' are escaped.
    assert hit["snippet_html"] == (
        "A sparse &lt;<mark>transformer</mark>&gt; reads long sequences of text &amp; "
        "<mark>tables</mark>."
    )
    # 8 matches 'transformers' in its title only: its abstract is shown unmarked.
    first, second = search(store, index, "transformers", mode="bm25").hits
    assert (first["id"], second["id"]) == ("2501.00008", "2501.00005")
    assert first["snippet_html"] == (
        "Neural machine translation of low resource languages with attention."
    )
    assert "&lt;<mark>transformer</mark>&gt;" in second["snippet_html"]


def test_pages_continue_without_overlap(store: Store, index: EmbeddedIndex) -> None:
    whole = found(search(store, index, "learning networks attention", mode="bm25").hits)
    assert len(whole) == 7
    pages = [
        search(store, index, "learning networks attention", mode="bm25", page=p, per_page=3)
        for p in (1, 2, 3, 4)
    ]
    assert [found(p.hits) for p in pages] == [whole[:3], whole[3:6], whole[6:], []]
    assert {p.total for p in pages} == {7}
    assert [p.page for p in pages] == [1, 2, 3, 4]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("attention author:smith", [8]),
        ('attention author:"Bob Smith"', [8]),
        ("attention cat:cs.CL", [5, 8]),
        ("attention cat:cs.CL,q-bio.BM", [5, 8, 2]),
        ("attention -transformers", [2]),  # 5 has '<transformer>', 8 'transformers' in its title
        ("attention -has:code", [2]),
        ("attention -cat:cs.CL", [2]),
        ('"message passing"', [9, 1]),  # in 9's title (x3), in 1's abstract
        ('"passing message"', []),
        ("attention sort:date", [8, 5, 2]),
        ("year:2025", [8, 5, 3]),  # no text: newest first
        ("has:code", [8, 5, 3, 1, 9]),
        ("date:2024", [6, 2, 1]),
        ("year:2024.. cat:cs.LG", [8, 3, 6, 1]),
        ("before:2023 -cat:astro-ph.CO", [7]),
        ("author:zhang sort:relevance robots", [3]),
        ("cosmology", []),
    ],
)
def test_filters_through_the_query_syntax(
    store: Store, index: EmbeddedIndex, query: str, expected: list[int]
) -> None:
    result = search(store, index, query, mode="bm25")
    assert found(result.hits) == ids(*expected)
    assert result.total == len(expected)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"query": "author:"}, "author: needs a value right after the colon; it takes a name: "
         'author:lecun or author:"Yann LeCun" (column 8)'),
        ({"query": '"token merging'}, "this quote is never closed; quotes come in pairs, around "
         "a phrase (column 1)"),
        ({"query": "sort:newest"}, "sort: does not take 'newest'; it takes one of: "
         "sort:relevance, sort:date (column 6)"),
        ({"query": "year:2025..2020"}, "year: the range 2025..2020 ends before it starts "
         "(column 6)"),
        ({"query": "x", "page": 0}, "page must be between 1 and 100 at 10 results per page"),
        ({"query": "x", "per_page": 0}, "per_page must be between 1 and 100, not 0"),
        ({"query": "x", "per_page": 101}, "per_page must be between 1 and 100, not 101"),
        ({"query": "x", "mode": "fuzzy"},
         "search mode 'fuzzy' is not one of: bm25, hybrid, hybrid+rerank"),
        ({"query": "x", "mode": "dense"},  # an evaluation baseline, not a user's mode
         "search mode 'dense' is not one of: bm25, hybrid, hybrid+rerank"),
    ],
)  # fmt: skip
def test_bad_queries_say_what_is_wrong(
    store: Store, index: EmbeddedIndex, kwargs: dict, message: str
) -> None:
    with pytest.raises(BadQuery) as err:
        search(store, index, **kwargs)
    assert str(err.value) == message


def test_every_mode_without_vectors_ranks_by_bm25(store: Store, index: EmbeddedIndex) -> None:
    for mode in ("hybrid", "hybrid+rerank"):
        assert found(search(store, index, "attention", mode=mode).hits) == ids(5, 8, 2)


@pytest.mark.model
def test_search_with_vectors(store: Store, embedded: EmbeddedIndex) -> None:
    for mode in ("hybrid", "hybrid+rerank"):
        result = search(store, embedded, "how do proteins fold", mode=mode, per_page=3)
        assert found(result.hits)[0] == "2501.00002"
        assert len(result.hits) == 3
        filtered = search(store, embedded, "dark matter cat:astro-ph.GA", mode=mode)
        assert found(filtered.hits) == ids(7)


# --- similar ---------------------------------------------------------------------------------


@pytest.mark.model
def test_similar_to_papers_and_to_a_text(store: Store, embedded: EmbeddedIndex) -> None:
    rows = similar(store, embedded, ids=["2501.00001"], k=3)
    assert found(rows)[0] == "2501.00009"  # the other graph-networks-for-molecules paper
    assert "2501.00001" not in found(rows) and len(rows) == 3
    assert rows[0]["title"] == "Molecular property prediction with message passing"
    assert "<mark>" not in rows[0]["snippet_html"]
    assert found(similar(store, embedded, ids=["2501.00007v1"], k=1)) == ids(10)  # versioned id
    pair = similar(store, embedded, ids=ids(7, 10), k=9)
    assert sorted(found(pair)) == ids(1, 2, 3, 4, 5, 6, 8, 9)
    text = "Halos of cold dark matter around spiral galaxies."
    assert found(similar(store, embedded, text=text, k=2)) == ids(10, 7)
    within = similar(store, embedded, text=text, k=5, filters="cat:astro-ph.GA")
    assert found(within) == ids(7)


def test_similar_errors(store: Store, index: EmbeddedIndex) -> None:
    with pytest.raises(NotFound, match=r"^no paper with id '2501\.99999'$"):
        similar(store, index, ids=["2501.00001", "2501.99999"])
    with pytest.raises(BadQuery, match=r"^give paper ids or a text to find similar papers$"):
        similar(store, index, text="  ")
    with pytest.raises(BadQuery, match=r"^k must be between 1 and 500$"):
        similar(store, index, ids=["2501.00001"], k=0)
    with pytest.raises(BadQuery, match=r"^k must be between 1 and 500$"):
        similar(store, index, ids=["2501.00001"], k=501)
    assert len(similar(store, index, ids=["2501.00001"], k=101)) <= 101  # above a page: allowed
    with pytest.raises(BadQuery, match=r"^the text is 20,001 characters; at most 20,000$"):
        similar(store, index, text="x" * 20_001)


def test_similar_without_vectors_uses_distinctive_words(store: Store, index: EmbeddedIndex) -> None:
    rows = similar(store, index, ids=["2501.00004"], k=3)
    assert "2501.00004" not in found(rows)
    assert found(similar(store, index, text="decoding surface codes", k=1)) == ids(4)


# --- keeping the index up to date -------------------------------------------------------------


def test_incremental_update_reads_only_what_changed(store: Store, index: EmbeddedIndex) -> None:
    status = index_status(store, index)
    assert (status["store_papers"], status["papers_indexed"]) == (10, 10)
    assert (status["lags_store_by"], status["up_to_date"]) == (0, True)

    robot = PAPERS[2]
    robot = paper(3, robot.title, "Quadruped robots learn to climb stairs from demonstrations.",
                  robot.authors, robot.categories, "2025-01-15", code=True)  # fmt: skip
    robot.versions = [Version(1), Version(2)]  # a new version: its abstract replaces the old
    new = paper(11, "Stair climbing quadrupeds", "Legged robots on stairs.", ["Lu Wang"],
                ["cs.RO"], "2025-03-04")  # fmt: skip
    upsert_records(store, [robot, new])

    status = index_status(store, index)
    assert (status["store_papers"], status["papers_indexed"]) == (11, 10)
    assert (status["lags_store_by"], status["up_to_date"]) == (2, False)
    assert found(search(store, index, "stairs", mode="bm25").hits) == []

    result = update_index(store, index)
    # Exactly the two changed papers: they are the store's changes after the applied one.
    assert result["papers_read"] == 2
    assert result["papers_indexed"] == 11
    after = index_status(store, index)
    assert (after["store_papers"], after["lags_store_by"], after["up_to_date"]) == (11, 0, True)
    assert found(search(store, index, "stairs", mode="bm25").hits) == ids(11, 3)  # 11: title
    assert found(search(store, index, "walking", mode="bm25").hits) == []  # old text gone

    # Nothing changed: nothing is read.
    assert update_index(store, index)["papers_read"] == 0
    assert update_index(store, index, full=True)["papers_read"] == 11


def test_update_survives_a_reopen(store: Store, index: EmbeddedIndex, tmp_path: Path) -> None:
    upsert_records(store, [paper(11, "Stair climbing quadrupeds", "Legged robots on stairs.",
                                 ["Lu Wang"], ["cs.RO"], "2025-03-04")])  # fmt: skip
    reopened = EmbeddedIndex.open(tmp_path / "index")
    assert reopened.instance() == index.instance()  # the store's record of it still counts
    assert index_status(store, reopened)["lags_store_by"] == 1
    assert update_index(store, reopened)["papers_read"] == 1  # paper 11 alone
    assert found(search(store, reopened, "stairs", mode="bm25").hits) == ids(11)


def test_a_batch_committed_late_with_an_earlier_stamp_is_applied(
    store: Store, index: EmbeddedIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch takes its `modified` time before it waits for the writers' lock; a later batch
    can commit first and be indexed. A watermark on `modified` then skips the late one for
    good; the store's change counter, taken under the lock, does not."""
    upsert_records(store, [paper(11, "Stair climbing quadrupeds", "Legged robots on stairs.",
                                 ["Lu Wang"], ["cs.RO"], "2025-03-04")])  # fmt: skip
    update_index(store, index)
    from datetime import UTC, datetime, timedelta

    import paperwire.store.papers as papers_module

    earlier = datetime.now(UTC) - timedelta(minutes=10)

    class Clock(datetime):
        @classmethod
        def now(cls, tz: object = None) -> datetime:  # type: ignore[override]
            return earlier

    monkeypatch.setattr(papers_module, "datetime", Clock)  # the stamp taken before the wait
    upsert_records(store, [paper(12, "Hexapod gaits on ice", "Six-legged robots slip less.",
                                 ["Ana Ruiz"], ["cs.RO"], "2025-03-04")])  # fmt: skip
    monkeypatch.undo()
    assert index_status(store, index)["lags_store_by"] == 1
    assert update_index(store, index)["papers_read"] == 1
    assert found(search(store, index, "hexapod", mode="bm25").hits) == ids(12)
    assert index_status(store, index)["up_to_date"]
