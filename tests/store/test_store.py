"""The paper store on both backends (SQLite file, real PostgreSQL): schema, upserts, merging,
ids, reading, unicode, checkpoints and resumable ingests."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, select

from paperwire.errors import NotFound, SourceError
from paperwire.ingest.base import Cursor
from paperwire.ingest.runner import run_ingest
from paperwire.records import Item, PaperRecord, Version, finish, normalize_title
from paperwire.store import Store, open_store
from paperwire.store.checkpoints import clear_checkpoint, load_checkpoint, save_checkpoint
from paperwire.store.db import _alembic_config, migrate
from paperwire.store.listing import latest_listing_day
from paperwire.store.merge import title_key
from paperwire.store.papers import (
    Outcome,
    count_papers,
    get_paper,
    list_papers,
    stats,
    upsert_records,
)
from paperwire.store.schema import ingest_runs, metadata
from tests.support.paperfactory import paper_record

NEW, UPDATED, MERGED, UNCHANGED = (
    Outcome.NEW,
    Outcome.UPDATED,
    Outcome.MERGED,
    Outcome.UNCHANGED,
)
D = date.fromisoformat


def rec(title: str, **fields: Any) -> PaperRecord:
    """A record as a source would hand it over: through `finish()`, and accepted."""
    item = finish(paper_record(title=title, **fields))
    assert isinstance(item, PaperRecord), item
    return item


def arxiv(arxiv_id: str, title: str = "", **fields: Any) -> PaperRecord:
    fields.setdefault("source", "arxiv-oai")
    return rec(title or f"Paper {arxiv_id}", arxiv_id=arxiv_id, **fields)


def tid(title: str) -> str:
    return f"title-{title_key(title)[:16]}"


def ids(store: Store, **filters: Any) -> list[str]:
    return [p["id"] for p in list_papers(store, **filters)]


def without_times(paper: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in paper.items() if k not in ("first_seen", "modified")}


# --- schema ----------------------------------------------------------------------------------


def test_migrations_create_the_schema_and_are_idempotent(store: Store) -> None:
    assert store.dialect in ("sqlite", "postgresql")
    assert set(inspect(store.engine).get_table_names()) == {"alembic_version", *metadata.tables}
    with store.engine.connect() as conn:
        # At the head of the migration chain (whatever its newest revision is called).
        head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == head
        # The migrations build exactly what schema.py declares (columns, types, indexes).
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
        assert diff == []
    assert migrate(store.engine) is False  # already at head
    assert upsert_records(store, [arxiv("2501.00001")]) == [NEW]

    url = store.engine.url.render_as_string(hide_password=False)
    with open_store(url=url) as again:  # opening an existing store migrates nothing, keeps data
        assert count_papers(again) == 1
        assert get_paper(again, "2501.00001")["title"] == "Paper 2501.00001"
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM alembic_version").scalar() == 1


def test_empty_store(store: Store) -> None:
    assert count_papers(store) == 0
    assert list_papers(store) == []
    assert latest_listing_day(store) is None
    s = stats(store)
    assert s.pop("database") == store.url
    assert s == {
        "papers": 0,
        "with_arxiv_id": 0,
        "days": 0,
        "first_day": None,
        "last_day": None,
        "top_primary_categories": {},
        "sources": {},
    }


# --- upserts ---------------------------------------------------------------------------------


def batch_one() -> list[PaperRecord]:
    return [
        arxiv(
            "2501.00001",
            "Deep   Learning\n  for Everything",
            abstract="We learn\n  deeply.",
            authors=["Ada Lovelace", " Alan Turing "],
            categories=["cs.LG", "stat.ML"],
            versions=[Version(2, D("2025-01-09")), Version(1, D("2025-01-02"))],
            doi="https://doi.org/10.1000/ABC.1",
            comments="12 pages",
            journal_ref="J. Stuff 1 (2025)",
            announced=D("2025-01-03"),
        ),
        rec("A Paper Without Identifiers", authors=["Grace Hopper"], source="rss"),
    ]


def test_first_insert_stores_every_field(store: Store) -> None:
    assert upsert_records(store, batch_one()) == [NEW, NEW]
    assert count_papers(store) == 2
    paper = get_paper(store, "2501.00001")
    assert paper["first_seen"] is not None and paper["modified"] is not None
    assert without_times(paper) == {
        "id": "2501.00001",
        "arxiv_id": "2501.00001",
        "doi": "10.1000/abc.1",
        "title": "Deep Learning for Everything",
        "abstract": "We learn deeply.",
        "authors": ["Ada Lovelace", "Alan Turing"],
        "categories": ["cs.LG", "stat.ML"],
        "primary_category": "cs.LG",
        "submitted": D("2025-01-02"),
        "updated": D("2025-01-09"),
        "announced": D("2025-01-03"),
        "versions": [[1, "2025-01-02"], [2, "2025-01-09"]],
        "latest_version": 2,
        "journal_ref": "J. Stuff 1 (2025)",
        "comments": "12 pages",
        "abs_url": "https://arxiv.org/abs/2501.00001",
        "pdf_url": "https://arxiv.org/pdf/2501.00001",
        "code_links": [],
        "sources": ["arxiv-oai"],
    }
    other = get_paper(store, tid("A Paper Without Identifiers"))
    assert without_times(other) == {
        "id": tid("A Paper Without Identifiers"),
        "arxiv_id": None,
        "doi": None,
        "title": "A Paper Without Identifiers",
        "abstract": "",
        "authors": ["Grace Hopper"],
        "categories": [],
        "primary_category": None,
        "submitted": None,
        "updated": None,
        "announced": None,
        "versions": [],
        "latest_version": None,
        "journal_ref": None,
        "comments": None,
        "abs_url": None,
        "pdf_url": None,
        "code_links": [],
        "sources": ["rss"],
    }


def test_same_batch_twice_changes_nothing(store: Store) -> None:
    assert upsert_records(store, batch_one()) == [NEW, NEW]
    before = list_papers(store)
    assert upsert_records(store, batch_one()) == [UNCHANGED, UNCHANGED]
    assert list_papers(store) == before  # every column, `modified` included
    assert count_papers(store) == 2


def test_newer_version_updates_and_older_changes_nothing(store: Store) -> None:
    v1 = dict(abstract="First abstract.", versions=[Version(1, D("2025-01-02"))])
    v2 = dict(abstract="Second abstract.", versions=[Version(2, D("2025-02-10"))])
    assert upsert_records(store, [arxiv("2501.00001", "Old title", **v1)]) == [NEW]
    first = get_paper(store, "2501.00001")

    assert upsert_records(store, [arxiv("2501.00001", "New title", **v2)]) == [UPDATED]
    paper = get_paper(store, "2501.00001")
    assert (paper["title"], paper["abstract"]) == ("New title", "Second abstract.")
    assert paper["versions"] == [[1, "2025-01-02"], [2, "2025-02-10"]]
    assert paper["latest_version"] == 2
    assert (paper["submitted"], paper["updated"]) == (D("2025-01-02"), D("2025-02-10"))
    assert paper["first_seen"] == first["first_seen"]
    assert paper["modified"] >= first["modified"]

    assert upsert_records(store, [arxiv("2501.00001", "Old title", **v1)]) == [UNCHANGED]
    assert get_paper(store, "2501.00001") == paper
    assert count_papers(store) == 1


def test_versions_union_keeps_known_dates(store: Store) -> None:
    upsert_records(store, [arxiv("2501.00001", versions=[Version(1), Version(2, D("2025-01-05"))])])
    more = [Version(1, D("2025-01-01")), Version(3, D("2025-03-01"))]
    assert upsert_records(store, [arxiv("2501.00001", versions=more)]) == [UPDATED]
    paper = get_paper(store, "2501.00001")
    assert paper["versions"] == [[1, "2025-01-01"], [2, "2025-01-05"], [3, "2025-03-01"]]
    assert paper["latest_version"] == 3


# --- identity and merging --------------------------------------------------------------------


def test_same_arxiv_id_from_two_sources_is_one_paper(store: Store) -> None:
    assert upsert_records(store, [arxiv("2501.00001", source="arxiv-oai")]) == [NEW]
    hf = arxiv("2501.00001", source="hf-daily", links=["https://github.com/org/repo"])
    assert upsert_records(store, [hf]) == [MERGED]
    assert count_papers(store) == 1
    paper = get_paper(store, "2501.00001")
    assert paper["sources"] == ["arxiv-oai", "hf-daily"]
    assert paper["code_links"] == ["https://github.com/org/repo"]
    assert upsert_records(store, [hf]) == [UNCHANGED]


def test_same_doi_without_arxiv_id_is_one_paper(store: Store) -> None:
    upsert_records(store, [arxiv("2501.00001", "Preprint title", doi="10.1000/XYZ")])
    journal = rec("The Journal Title", doi="https://doi.org/10.1000/xyz", source="crossref")
    assert upsert_records(store, [journal]) == [MERGED]
    assert ids(store) == ["2501.00001"]
    paper = get_paper(store, "2501.00001")
    assert paper["sources"] == ["arxiv-oai", "crossref"]
    assert paper["title"] == "Preprint title"  # not newer: it only fills empty fields


def test_doi_paper_is_promoted_to_its_arxiv_id(store: Store) -> None:
    journal = rec("The Journal Title", doi="10.1000/xyz", source="crossref")
    assert upsert_records(store, [journal]) == [NEW]
    assert ids(store) == ["doi:10.1000/xyz"]
    preprint = arxiv("2501.00001", "Preprint title", doi="10.1000/XYZ")
    assert upsert_records(store, [preprint]) == [MERGED]
    assert ids(store) == ["2501.00001"]
    assert get_paper(store, "doi:10.1000/xyz")["id"] == "2501.00001"
    assert get_paper(store, "2501.00001")["title"] == "Preprint title"  # an arXiv id supersedes


def test_same_normalised_title_with_compatible_authors_is_one_paper(store: Store) -> None:
    t1 = "{BERT}: Pre-training of Deep $N$-body Transformers for Schrödinger Equations"
    t2 = "BERT - pre-training of deep N-body transformers for Schrodinger equations."
    assert normalize_title(t1) == normalize_title(t2)
    first = rec(t1, authors=["Jacob Devlin", "Ming-Wei Chang", "Kenton Lee"], source="rss")
    second = rec(t2, authors=["J. Devlin", "M.-W. Chang", "K. Lee"], source="hf-daily")
    assert upsert_records(store, [first]) == [NEW]
    assert upsert_records(store, [second]) == [MERGED]
    assert ids(store) == [tid(t1)]
    paper = get_paper(store, tid(t2))
    assert paper["title"] == t1
    assert paper["sources"] == ["hf-daily", "rss"]


def test_same_title_different_authors_are_two_papers(store: Store) -> None:
    title = "On the Convergence of Things"
    a = rec(title, authors=["Alice Smith", "Bob Jones"], source="rss")
    b = rec(title, authors=["Carol White", "Dan Brown"], source="rss")
    c = rec(title, authors=["Erin Green"], source="rss")
    assert upsert_records(store, [a, b]) == [NEW, NEW]
    assert upsert_records(store, [c]) == [NEW]  # the next free suffix, not a clash with "-2"
    base = tid(title)
    assert ids(store) == [base, f"{base}-2", f"{base}-3"]
    assert get_paper(store, f"{base}-2")["authors"] == ["Carol White", "Dan Brown"]
    assert get_paper(store, f"{base}-3")["authors"] == ["Erin Green"]
    assert upsert_records(store, [a, b, c]) == [UNCHANGED, UNCHANGED, UNCHANGED]
    assert count_papers(store) == 3


def test_listing_record_without_authors_matches_by_title(store: Store) -> None:
    full = rec("Sparse Mixtures of Experts", authors=["Noam Shazeer"], source="rss")
    upsert_records(store, [full])
    listing = rec("SPARSE MIXTURES OF EXPERTS", source="listing-page", announced=D("2025-01-06"))
    assert upsert_records(store, [listing]) == [MERGED]
    assert count_papers(store) == 1
    paper = get_paper(store, tid("Sparse Mixtures of Experts"))
    assert paper["authors"] == ["Noam Shazeer"]
    assert paper["announced"] == D("2025-01-06")
    assert paper["sources"] == ["listing-page", "rss"]


def test_different_arxiv_ids_with_the_same_title_are_two_papers(store: Store) -> None:
    same = dict(title="Introduction", authors=["Ann Author"])
    assert upsert_records(store, [arxiv("2501.00001", **same)]) == [NEW]
    assert upsert_records(store, [arxiv("2501.00002", **same)]) == [NEW]
    assert ids(store) == ["2501.00001", "2501.00002"]


def test_title_id_is_promoted_to_the_arxiv_id_and_kept_as_alias(store: Store) -> None:
    title = "Scaling Laws for Tiny Models"
    old_id = tid(title)
    listing = rec(title, source="listing-page", announced=D("2025-01-06"))
    assert upsert_records(store, [listing]) == [NEW]
    assert ids(store) == [old_id]

    full = arxiv(
        "2501.00042",
        "Scaling laws for tiny models",
        authors=["Ada Lovelace"],
        announced=D("2025-01-07"),
        versions=[Version(1, D("2025-01-05"))],
    )
    assert upsert_records(store, [full]) == [MERGED]
    assert ids(store) == ["2501.00042"]
    paper = get_paper(store, old_id)
    assert paper["id"] == "2501.00042"
    assert paper["title"] == "Scaling laws for tiny models"  # the arXiv record supersedes
    assert paper["announced"] == D("2025-01-06")  # the earliest day seen
    assert paper["sources"] == ["arxiv-oai", "listing-page"]
    assert get_paper(store, "2501.00042v1") == paper
    assert upsert_records(store, [listing, full]) == [UNCHANGED, UNCHANGED]


def test_a_new_paper_never_takes_an_old_id(store: Store) -> None:
    title = "Scaling Laws for Tiny Models"
    old_id = tid(title)
    upsert_records(store, [rec(title, source="listing-page")])
    upsert_records(store, [arxiv("2501.00042", title, authors=["Ada Lovelace"])])
    # Same title, other people: another paper, which must not take the promoted paper's old id.
    other = rec(title, authors=["Zed Zimmer"], source="rss")
    assert upsert_records(store, [other]) == [NEW]
    assert ids(store) == ["2501.00042", f"{old_id}-2"]
    assert get_paper(store, old_id)["id"] == "2501.00042"
    # ... and its own promotion later records its own old id.
    assert upsert_records(store, [arxiv("2501.00043", title, authors=["Zed Zimmer"])]) == [MERGED]
    assert ids(store) == ["2501.00042", "2501.00043"]
    assert get_paper(store, old_id)["id"] == "2501.00042"
    assert get_paper(store, f"{old_id}-2")["id"] == "2501.00043"


def test_promotion_within_one_batch(store: Store) -> None:
    title = "Scaling Laws for Tiny Models"
    batch = [rec(title, source="listing-page"), arxiv("2501.00042", title)]
    assert upsert_records(store, batch) == [NEW, MERGED]  # one paper created, not two
    assert ids(store) == ["2501.00042"]
    with pytest.raises(NotFound):
        get_paper(store, tid(title))  # never stored under it, so no alias


def test_duplicates_within_one_batch_are_one_paper(store: Store) -> None:
    dup = dict(title="Twice in One Batch", categories=["cs.AI"])
    outcomes = upsert_records(
        store,
        [
            arxiv("2501.00007", **dup),
            arxiv("2501.00007", **dup),
            arxiv("2501.00007", **dup, source="hf-daily"),
        ],
    )
    assert outcomes == [NEW, UNCHANGED, MERGED]  # one paper created, not three
    assert count_papers(store) == 1
    paper = get_paper(store, "2501.00007")
    assert paper["sources"] == ["arxiv-oai", "hf-daily"]
    assert paper["categories"] == ["cs.AI"]
    assert list_papers(store, category="cs.AI") == [paper]  # one category row, not three


# --- reading ---------------------------------------------------------------------------------


def listing_fixture(store: Store) -> None:
    upsert_records(
        store,
        [
            arxiv("2501.00001", categories=["cs.CL", "cs.LG", "cs.CL"], announced=D("2025-01-02")),
            arxiv("2501.00003", categories=["cs.LG"], announced=D("2025-01-03")),
            arxiv("2501.00002", categories=["stat.ML", "cs.LG"], announced=D("2025-01-03")),
            arxiv("2501.00009", categories=["cs.CL"], submitted=D("2025-01-05")),
            rec("Undated", authors=["Nobody"], categories=["math.CO"], source="rss"),
        ],
    )


def test_categories_primary_first(store: Store) -> None:
    listing_fixture(store)
    paper = get_paper(store, "2501.00001")
    assert paper["categories"] == ["cs.CL", "cs.LG"]
    assert paper["primary_category"] == "cs.CL"
    assert get_paper(store, "2501.00002")["primary_category"] == "stat.ML"


def test_list_papers_order_and_filters(store: Store) -> None:
    listing_fixture(store)
    undated = tid("Undated")
    # Newest listing day (announced, else submitted) first, then id; undated last.
    assert ids(store) == ["2501.00009", "2501.00002", "2501.00003", "2501.00001", undated]
    assert ids(store, category="cs.LG") == ["2501.00002", "2501.00003", "2501.00001"]
    assert ids(store, category="cs.CL") == ["2501.00009", "2501.00001"]
    assert ids(store, category="math.CO") == [undated]
    assert ids(store, category="hep-th") == []
    assert ids(store, day=D("2025-01-03")) == ["2501.00002", "2501.00003"]
    assert ids(store, day=D("2025-01-05")) == ["2501.00009"]  # the submission day stands in
    assert ids(store, day=D("2025-01-03"), category="stat.ML") == ["2501.00002"]
    assert ids(store, day=D("2024-12-31")) == []
    assert ids(store, limit=2) == ["2501.00009", "2501.00002"]
    assert ids(store, limit=2, offset=2) == ["2501.00003", "2501.00001"]
    assert latest_listing_day(store) == D("2025-01-03")  # announcement days only


def test_stats(store: Store) -> None:
    listing_fixture(store)
    upsert_records(store, [arxiv("2501.00003", source="hf-daily")])
    s = stats(store)
    assert s.pop("database") == store.url
    assert s == {
        "papers": 5,
        "with_arxiv_id": 4,
        "days": 2,
        "first_day": "2025-01-02",
        "last_day": "2025-01-03",
        "top_primary_categories": {"cs.CL": 2, "cs.LG": 1, "math.CO": 1, "stat.ML": 1},
        "sources": {"arxiv-oai": 4, "hf-daily": 1, "rss": 1},
    }


def test_code_links_from_abstract_comments_and_record(store: Store) -> None:
    paper = arxiv(
        "2501.00005",
        abstract="Code: https://github.com/Foo/bar. Also see http://www.gitlab.com/x/y.git, "
        "and (huggingface.co/datasets/org/ds).",
        comments="Project page https://github.com/Foo/bar/ and https://hf.co/org/model; v2",
        links=["https://github.com/explicit/repo", "https://github.com/Foo/bar"],
    )
    upsert_records(store, [paper])
    expected = [
        "https://github.com/Foo/bar",
        "https://gitlab.com/x/y",
        "https://huggingface.co/datasets/org/ds",
        "https://hf.co/org/model",
        "https://github.com/explicit/repo",
    ]
    assert get_paper(store, "2501.00005")["code_links"] == expected
    hf = arxiv("2501.00005", source="hf-daily", links=["https://huggingface.co/org/new-model"])
    assert upsert_records(store, [hf]) == [MERGED]
    merged = get_paper(store, "2501.00005")["code_links"]
    assert merged == [*expected, "https://huggingface.co/org/new-model"]


def test_get_paper_ids(store: Store) -> None:
    upsert_records(store, [arxiv("2501.00001"), arxiv("hep-th/9901001", "Old Style")])
    assert get_paper(store, "2501.00001v3")["id"] == "2501.00001"
    assert get_paper(store, " 2501.00001 ")["id"] == "2501.00001"
    assert get_paper(store, "arXiv:2501.00001v1")["id"] == "2501.00001"
    assert get_paper(store, "hep-th/9901001v2")["title"] == "Old Style"
    for unknown in ("2501.99999", "2501.99999v2", "title-0000000000000000", "", "nonsense"):
        with pytest.raises(NotFound):
            get_paper(store, unknown)


def test_unicode_round_trips_exactly(store: Store) -> None:
    title = "量子もつれと Schrödinger 方程式: façade, naïve — Zoë 🚀 ∑ᵢ"
    authors = ["山田 太郎", "José Núñez-Ørsted", "Zoë 🙂 Ω", "Ǆemal Ꙭ"]
    abstract = "日本語の要約 🧪 with ümlauts, ß, İ, ﬁ ligature, and RTL: שלום مرحبا."
    comments = "コメント 💬 — 12 pages"
    paper = arxiv(
        "2501.00099", title, abstract=abstract, authors=authors, comments=comments, source="日本"
    )
    assert upsert_records(store, [paper]) == [NEW]
    got = get_paper(store, "2501.00099")
    assert (got["title"], got["abstract"], got["authors"], got["comments"], got["sources"]) == (
        title,
        abstract,
        authors,
        comments,
        ["日本"],
    )
    again = arxiv(
        "2501.00099", title, abstract=abstract, authors=authors, comments=comments, source="日本"
    )
    assert upsert_records(store, [again]) == [UNCHANGED]
    # Accents and case do not hide the same title from another source.
    other = rec(title.upper().replace("Ö", "O"), authors=["J. NÚÑEZ-ØRSTED"], source="rss")
    assert upsert_records(store, [other]) == [MERGED]
    assert count_papers(store) == 1


# --- checkpoints and resumable ingests -------------------------------------------------------


def test_checkpoint_round_trip(store: Store) -> None:
    key = "daily-jsonl:/data/é/files"
    assert load_checkpoint(store, key) is None
    state = {"file": "2025-01-02.jsonl", "offset": 12345, "done": ["a", "ü"], "n": {"x": None}}
    with store.engine.begin() as conn:
        save_checkpoint(conn, key, "daily-jsonl", state)
    assert load_checkpoint(store, key) == state
    with store.engine.begin() as conn:
        save_checkpoint(conn, key, "daily-jsonl", {"offset": 99})
    assert load_checkpoint(store, key) == {"offset": 99}
    assert load_checkpoint(store, "another key") is None
    clear_checkpoint(store, key)
    assert load_checkpoint(store, key) is None
    clear_checkpoint(store, key)  # clearing nothing is fine


def test_upsert_saves_the_checkpoint_in_the_same_transaction(store: Store) -> None:
    outcomes = upsert_records(
        store, [arxiv("2501.00001")], checkpoint=("k", "arxiv-oai", {"page": 2})
    )
    assert outcomes == [NEW]
    assert load_checkpoint(store, "k") == {"page": 2}
    assert upsert_records(store, [], checkpoint=("k", "arxiv-oai", {"page": 3})) == []
    assert load_checkpoint(store, "k") == {"page": 3}


class ListSource:
    """A source over a list of records, resumable by index; it can fail before one index."""

    name = "test-list"

    def __init__(self, records: list[PaperRecord], *, fail_at: int | None = None) -> None:
        self.records = records
        self.fail_at = fail_at
        self.error: type[BaseException] = SourceError
        self.started_at: list[int] = []

    @property
    def key(self) -> str:
        return "test-list:five"

    @property
    def total(self) -> int:
        return len(self.records)

    def items(self, resume: dict[str, Any] | None = None) -> Iterator[tuple[Item, Cursor]]:
        start = resume["next"] if resume else 0
        self.started_at.append(start)
        for i in range(start, len(self.records)):
            if i == self.fail_at:
                raise self.error(f"lost the connection before record {i}")
            yield self.records[i], Cursor(state={"next": i + 1}, done=i + 1)


def five() -> list[PaperRecord]:
    return [arxiv(f"2501.0000{i}", source="test-list") for i in range(1, 6)]


def runs(store: Store) -> list[tuple[str, dict[str, int]]]:
    stmt = select(ingest_runs.c.status, ingest_runs.c.counts).order_by(ingest_runs.c.id)
    with store.engine.connect() as conn:
        return [(status, counts) for status, counts in conn.execute(stmt)]


def test_failed_ingest_keeps_earlier_batches_and_resumes(store: Store) -> None:
    source = ListSource(five(), fail_at=3)
    with pytest.raises(SourceError, match="before record 3"):
        run_ingest(store, source, batch_size=2)
    # The full batch [0, 1] and the partial batch [2] (flushed on the error) are stored.
    assert ids(store) == ["2501.00001", "2501.00002", "2501.00003"]
    assert load_checkpoint(store, source.key) == {"next": 3}
    counts = {"records": 3, "new": 3, "updated": 0, "merged": 0, "unchanged": 0, "rejected": 0}
    assert runs(store) == [("failed", counts)]

    source.fail_at = None
    summary = run_ingest(store, source, batch_size=2)
    assert source.started_at == [0, 3]
    assert summary.resumed is True
    assert (summary.records, summary.new, summary.unchanged) == (2, 2, 0)
    assert count_papers(store) == 5
    assert load_checkpoint(store, source.key) is None  # a finished run clears it
    assert [status for status, _ in runs(store)] == ["failed", "done"]

    again = run_ingest(store, source, batch_size=2)  # from the start: all unchanged
    assert source.started_at == [0, 3, 0]
    assert (again.resumed, again.records, again.new, again.unchanged) == (False, 5, 0, 5)


def test_crashed_ingest_loses_only_the_uncommitted_batch(store: Store) -> None:
    source = ListSource(five(), fail_at=3)
    source.error = RuntimeError  # a crash, not a source error: nothing is flushed on the way out
    with pytest.raises(RuntimeError):
        run_ingest(store, source, batch_size=2)
    assert ids(store) == ["2501.00001", "2501.00002"]
    assert load_checkpoint(store, source.key) == {"next": 2}
    assert [status for status, _ in runs(store)] == ["failed"]  # never left `running` (issue 17)

    source.fail_at = None
    summary = run_ingest(store, source, batch_size=2)
    assert source.started_at == [0, 2]
    assert (summary.resumed, summary.records, summary.new) == (True, 3, 3)
    assert ids(store) == [f"2501.0000{i}" for i in range(1, 6)]
    assert load_checkpoint(store, source.key) is None
