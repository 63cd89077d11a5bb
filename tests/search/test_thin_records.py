"""A paper with authors and an abstract ranks above a title-only listing-page record that
scores about the same (issue 16: title-only entries filled half the top results)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from paperwire.index.embedded import EmbeddedIndex
from paperwire.index.manager import update_index
from paperwire.records import PaperRecord, Version
from paperwire.search.service import THIN_PENALTY, search
from paperwire.store import open_store
from paperwire.store.papers import upsert_records
from paperwire.store.reading import pks_for_ids
from tests.support.paperfactory import paper_record


def _full(n: int, title: str) -> PaperRecord:
    return paper_record(
        title=title,
        abstract="We study token merging in vision transformers at length, with experiments "
        "on many benchmarks and a long discussion of what else matters.",
        authors=["Ada Lovelace"],
        categories=["cs.CV"],
        arxiv_id=f"2601.{n:05d}",
        versions=[Version(1)],
        announced=date(2026, 1, 2),
        source="test",
    )


def test_title_only_records_move_down(tmp_path: Path) -> None:
    store = open_store(url=f"sqlite:///{tmp_path / 'db.sqlite'}")
    thin = paper_record(title="Token merging", source="listing-page")  # short: BM25 favours it
    full = [_full(n, f"Token merging for vision transformers, study {n}") for n in range(3)]
    upsert_records(store, [thin, *full])
    index = EmbeddedIndex(tmp_path / "index")
    update_index(store, index)
    result = search(store, index, "token merging", mode="bm25", per_page=10)
    ids = [h["id"] for h in result.hits]
    assert ids[-1].startswith("title-") and len(ids) == 4  # below every full record
    plain = index.search(result.parsed, k=4, mode="bm25")
    thin_pk = pks_for_ids(store, [ids[-1]])[ids[-1]]
    assert int(plain.keys[0]) == thin_pk  # BM25 alone put the title-only one first
    assert THIN_PENALTY >= 3
    # Pages stay consistent: page 2 of 2-per-page continues page 1.
    first = search(store, index, "token merging", mode="bm25", per_page=2)
    second = search(store, index, "token merging", mode="bm25", per_page=2, page=2)
    assert [h["id"] for h in first.hits + second.hits] == ids
    store.close()
